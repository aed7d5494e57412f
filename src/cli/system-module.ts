import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidOptionError, InvalidSystemModuleError, isRecqError, ModuleLoadError, ModuleNotFoundError, RecqError } from '../errors.ts';
import { defineSystem, type SystemDefinition } from '../system/define-system.ts';
import { enableTypeScript, isTypeScript } from './typescript-loader.ts';

/**
 * Imports a system module (`recq run`, `recq worker`) and checks that its default export is a
 * system definition. A TypeScript module is loaded through tsx, registered only then.
 *
 * @example
 * const definition = await loadDefinition('./shop.ts');
 * const system = await startersOf(definition).createSystem({ ...definition, db: './shop.db' });
 */
export async function loadDefinition(module: string): Promise<SystemDefinition> {
  const path = resolve(module);
  if (!existsSync(path)) throw new ModuleNotFoundError(module, path);
  if (isTypeScript(path)) await enableTypeScript(module, path);
  let namespace: { default?: unknown };
  try {
    namespace = await import(pathToFileURL(path).href);
  } catch (error) {
    if (!isRecqError(error)) throw error;
    throw new ModuleLoadError(module, error);
  }
  const exported = defaultExport(namespace);
  if (exported === undefined) {
    throw new InvalidSystemModuleError(module);
  }
  let definition: SystemDefinition;
  try {
    definition = defineSystem(exported as SystemDefinition);
  } catch (error) {
    if (!(error instanceof RecqError)) throw error;
    throw new InvalidSystemModuleError(module, error);
  }
  if (definition.db !== undefined && typeof definition.db !== 'string') {
    throw new InvalidOptionError('db', definition.db, `the definition in ${module} must give db as a file path`);
  }
  return definition;
}

/** A TypeScript module compiled to CommonJS arrives as `{ __esModule, default }` under the namespace's default. */
function defaultExport(namespace: { default?: unknown }): unknown {
  const value = namespace.default;
  if (typeof value === 'object' && value !== null && (value as { __esModule?: unknown }).__esModule === true) {
    return (value as { default?: unknown }).default;
  }
  return value;
}
