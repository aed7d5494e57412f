import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register as registerCommonJs } from 'tsx/cjs/api';
import { defineSystem, type SystemDefinition, startersOf } from '../define-system.ts';
import { InvalidOptionError, RecqError } from '../errors.ts';
import type { System } from '../system.ts';
import { type Command, DB_OPTION, DEFAULT_DB, isRecqError, parseCommandArgs, UsageError } from './command.ts';
import { isoTime } from './format.ts';
import { StoreReader } from './inspect.ts';

const HELP = `Usage: recq run <module> [--db FILE] [--fresh] [-- args...]

Starts the system that <module> (a .ts or .js file, relative to the current directory)
exports as its default:

  export default defineSystem({ components: [...], async main(system, { db, args, signal }) {...} });

With main: runs it, then stops the system and exits 0. Ctrl-C (SIGINT) or SIGTERM while main
runs aborts main's signal and stops the system cleanly; the exit code is then 130 or 143.
Without main: the system runs until Ctrl-C or SIGTERM, then stops cleanly and exits 0.
Stopping commits what every component has applied. A second Ctrl-C exits at once.

Options:
  --db FILE   database file (default: the definition's db, else ${DEFAULT_DB})
  --fresh     delete the database and its -wal and -shm files first, so the system starts
              from an empty log (handy for "npm start" on a fresh clone). Refused while a
              running system holds the file, or if it is not a recq database
  -- args...  everything after -- is passed to main as context.args
  -h, --help  show this help
`;

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export const runCommand: Command = {
  name: 'run',
  summary: 'start the system a module exports, run its main (or until Ctrl-C)',
  help: HELP,
  async run(argv) {
    const { values, tokens } = parseCommandArgs('run', argv, { ...DB_OPTION, fresh: { type: 'boolean' } }, true);
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const terminator = tokens.find((t) => t.kind === 'option-terminator')?.index ?? Number.POSITIVE_INFINITY;
    const positionals = tokens.filter((t) => t.kind === 'positional');
    const [module, ...extra] = positionals.filter((t) => t.index < terminator).map((t) => t.value);
    const args = positionals.filter((t) => t.index > terminator).map((t) => t.value);
    if (module === undefined) throw new UsageError('missing <module>: the file whose default export is the system', 'run');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}; pass arguments for main after --`, 'run');

    const definition = await loadDefinition(module);
    if (definition.db !== undefined && typeof definition.db !== 'string') {
      throw new InvalidOptionError('db', definition.db, `the definition in ${module} must give db as a file path`);
    }
    const db = values.db ?? definition.db ?? DEFAULT_DB;
    if (values.fresh) deleteDatabase(db);
    return runSystem(definition, { module, db, args });
  },
};

/** Imports the module and checks that its default export is a system definition. */
async function loadDefinition(module: string): Promise<SystemDefinition> {
  const path = resolve(module);
  if (!existsSync(path)) throw new RecqError('MODULE_NOT_FOUND', `Cannot find the system module ${module} (looked for ${path}).`);
  // A .ts file outside a "type": "module" package is CommonJS to Node; without tsx's CommonJS
  // hook, Node 20.19+ fails on it with ERR_REQUIRE_CYCLE_MODULE.
  registerCommonJs();
  let namespace: { default?: unknown };
  try {
    namespace = await import(pathToFileURL(path).href);
  } catch (error) {
    if (!isRecqError(error)) throw error;
    throw new RecqError(error.code, `${module} failed to load: ${error.message}`, { cause: error });
  }
  const exported = defaultExport(namespace);
  if (exported === undefined) {
    throw new RecqError(
      'INVALID_SYSTEM_MODULE',
      `${module} has no default export. Export the system from it: export default defineSystem({ components: [...], main? }).`,
    );
  }
  try {
    return defineSystem(exported as SystemDefinition);
  } catch (error) {
    if (!(error instanceof RecqError)) throw error;
    throw new RecqError('INVALID_SYSTEM_MODULE', `The default export of ${module} is not a system definition: ${error.message}`, { cause: error });
  }
}

/** A TypeScript module compiled to CommonJS arrives as `{ __esModule, default }` under the namespace's default. */
function defaultExport(namespace: { default?: unknown }): unknown {
  const value = namespace.default;
  if (typeof value === 'object' && value !== null && (value as { __esModule?: unknown }).__esModule === true) {
    return (value as { default?: unknown }).default;
  }
  return value;
}

/** Deletes a database for `--fresh`, unless a live system holds it or it holds something other than recq's tables. */
function deleteDatabase(db: string): void {
  const path = resolve(db);
  if (existsSync(path)) {
    let reader: StoreReader;
    try {
      reader = StoreReader.open(path);
    } catch (error) {
      throw new RecqError('NOT_A_RECQ_DATABASE', `--fresh refuses to delete ${path}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    try {
      if (!reader.isRecqDatabase()) {
        throw new RecqError('NOT_A_RECQ_DATABASE', `--fresh refuses to delete ${path}: it holds tables but no recq event log. Check --db.`);
      }
      const lease = reader.leases(Date.now()).find((l) => l.resource === 'log' && !l.expired);
      if (lease) {
        throw new RecqError(
          'DB_IN_USE',
          `--fresh refuses to delete ${path}: ${lease.owner} is running a system on it (its lease on the log lasts until ${isoTime(lease.expiresAt)}). Stop that process first.`,
        );
      }
    } finally {
      reader.close();
    }
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

interface RunTarget {
  module: string;
  db: string;
  args: readonly string[];
}

type Outcome = { kind: 'done' } | { kind: 'failed'; error: unknown } | { kind: 'interrupted' } | { kind: 'stopped' };

/** Creates the system, runs main (or waits for a signal), and always stops the system before returning the exit code. */
async function runSystem(definition: SystemDefinition, target: RunTarget): Promise<number> {
  const interrupt = new AbortController();
  let received: NodeJS.Signals | undefined;
  let system: System | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) {
      process.stderr.write(`recq: ${signal} again; exiting without waiting for the system to stop\n`);
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
    received = signal;
    interrupt.abort(new RecqError('INTERRUPTED', `recq run received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The system's timers are unref'd and signal handlers do not count, so a main that only
  // awaits its signal (or a system without main) would otherwise let Node exit at once.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const interrupted = new Promise<Outcome>((resolve) => interrupt.signal.addEventListener('abort', () => resolve({ kind: 'interrupted' }), { once: true }));
  try {
    const { main, db: _db, ...options } = definition;
    system = await startersOf(definition).createSystem({ ...options, db: target.db });
    let outcome: Outcome;
    if (interrupt.signal.aborted) {
      outcome = { kind: 'interrupted' };
    } else if (main) {
      const running = system;
      const done = Promise.resolve()
        .then(() => main(running, { db: target.db, args: target.args, signal: interrupt.signal }))
        .then(
          (): Outcome => ({ kind: 'done' }),
          (error: unknown): Outcome => ({ kind: 'failed', error }),
        );
      outcome = await Promise.race([done, interrupted, stoppedOnItsOwn(system)]);
    } else {
      process.stderr.write(`recq: running ${target.module} on ${target.db}; stop with Ctrl-C\n`);
      outcome = await Promise.race([interrupted, stoppedOnItsOwn(system)]);
    }
    await system.stop();
    if (outcome.kind === 'failed') throw outcome.error;
    if (outcome.kind === 'stopped') throw new RecqError('SYSTEM_STOPPED', 'The system stopped on its own; the log above says why.');
    if (outcome.kind === 'interrupted' && main) return SIGNAL_EXIT[received ?? 'SIGINT'] ?? 1;
    return 0;
  } catch (error) {
    await system?.stop().catch(() => {});
    throw error;
  } finally {
    clearInterval(keepAlive);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Resolves if the supervisor stops without being asked, e.g. after losing its lease on the log. */
function stoppedOnItsOwn(system: System): Promise<Outcome> {
  return new Promise((resolve) => {
    const subscription = system.view.subscribe((snapshot) => {
      if (snapshot.context.supervisor === 'stopped') {
        subscription.unsubscribe();
        resolve({ kind: 'stopped' });
      }
    });
  });
}
