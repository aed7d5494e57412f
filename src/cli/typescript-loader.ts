import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ModuleLoadError, RecqError } from '../errors.ts';

/** File names Node cannot import without a TypeScript loader (or its own type stripping). */
const TYPESCRIPT_FILE = /\.[cm]?ts$/i;

interface TsxApi {
  register: () => unknown;
}

let registered = false;

/** True for a `.ts`, `.mts` or `.cts` file. */
export function isTypeScript(path: string): boolean {
  return TYPESCRIPT_FILE.test(path);
}

/**
 * Lets this process import the TypeScript system module at `path`: registers tsx's ESM and
 * CommonJS hooks once, from recq's own install or else from the module's project. tsx is an
 * optional peer dependency, so a process that only runs JavaScript never loads it. Without tsx,
 * a Node that strips types itself imports the module as it is; otherwise this throws a
 * `ModuleLoadError` that says what to install.
 *
 * @example
 * if (isTypeScript(path)) await enableTypeScript('./shop.ts', path);
 * const namespace = await import(pathToFileURL(path).href);
 */
export async function enableTypeScript(module: string, path: string): Promise<void> {
  if (registered) return;
  const esm = await importTsx('tsx/esm/api', path);
  const cjs = esm && (await importTsx('tsx/cjs/api', path));
  if (esm === undefined || cjs === undefined) {
    if (nodeStripsTypes()) return;
    throw new ModuleLoadError(
      module,
      new RecqError(
        'MODULE_NOT_FOUND',
        `it is TypeScript, and recq loads TypeScript through tsx, which is not installed. Install it next to recq ` +
          `(npm install --save-dev tsx), or run on a Node that strips types itself (22.18 or later, or 22.6 with ` +
          `--experimental-strip-types), or compile ${module} to JavaScript and run the .js file.`,
      ),
    );
  }
  esm.register();
  // A .ts file outside a "type": "module" package is CommonJS to Node; without tsx's CommonJS
  // hook, Node 20.19+ fails on it with ERR_REQUIRE_CYCLE_MODULE.
  cjs.register();
  registered = true;
}

/** One of tsx's APIs, or undefined when tsx is installed neither with recq nor in the module's project. */
async function importTsx(specifier: string, modulePath: string): Promise<TsxApi | undefined> {
  try {
    return (await import(specifier)) as TsxApi;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    const resolved = createRequire(modulePath).resolve(specifier);
    return (await import(pathToFileURL(resolved).href)) as TsxApi;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    return undefined;
  }
}

/** tsx itself is missing (not a package tsx needs, which is a broken install and surfaces as it is). */
function isNotFound(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && /'tsx[/']/.test(message);
}

/** Node 22.6+ reports `process.features.typescript` when it strips types (by default from 22.18 and 23.6). */
function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}
