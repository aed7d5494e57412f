import { InvalidOptionError } from '../errors.ts';
import { createSystem, type System, type SystemOptions, startSupervisor, startWorker } from './system.ts';

/** The functions that start a system, from the same copy of recq as the definition's components. */
export interface SystemStarters {
  createSystem: typeof createSystem;
  startSupervisor: typeof startSupervisor;
  startWorker: typeof startWorker;
}

/**
 * Where `defineSystem` leaves its starters. The CLI uses them, so a module that imports recq
 * from its own install runs on that copy of the library (one set of error classes and ids).
 */
export const STARTERS = Symbol.for('recq.starters');

/**
 * What a module run by `recq run <module>` exports as its default: the system's components
 * and options, and optionally a `main` that drives it. When `main` returns, `recq run` stops
 * the system and exits; without `main`, it runs until SIGINT or SIGTERM.
 */
export interface SystemDefinition extends Omit<SystemOptions, 'db'> {
  /** Default database file when the CLI is given no `--db`. */
  db?: string;
  main?: (system: System, context: RunContext) => Promise<void> | void;
}

/** What `recq run` hands to `main`. */
export interface RunContext {
  /** The database file the system runs on. */
  db: string;
  /** Arguments after `--` on the command line. */
  args: readonly string[];
  /** Aborted on SIGINT or SIGTERM. */
  signal: AbortSignal;
}

/**
 * Declares a runnable system for `recq run`.
 *
 * @example
 * export default defineSystem({
 *   components: [orders, payments],
 *   async main(system) {
 *     await system.publish('orders.placed', { type: 'order.placed', orderId: 'o-1' }, { key: 'o-1' });
 *     await system.settled();
 *   },
 * });
 */
export function defineSystem(definition: SystemDefinition): SystemDefinition {
  if (typeof definition !== 'object' || definition === null || !Array.isArray(definition.components)) {
    throw new InvalidOptionError('definition', definition, 'expected { components: [...], main? }');
  }
  if (definition.main !== undefined && typeof definition.main !== 'function') {
    throw new InvalidOptionError('main', definition.main, 'expected a function (system, context) => Promise<void>');
  }
  // A definition made by another copy of recq keeps that copy's starters.
  if (STARTERS in definition) return definition;
  return Object.assign(definition, { [STARTERS]: { createSystem, startSupervisor, startWorker } satisfies SystemStarters });
}

/** The starters a definition carries, or this copy's own. */
export function startersOf(definition: SystemDefinition): SystemStarters {
  const carried = (definition as { [STARTERS]?: SystemStarters })[STARTERS];
  return carried ?? { createSystem, startSupervisor, startWorker };
}
