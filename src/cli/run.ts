import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatabaseError, StoppedOnItsOwnError } from '../errors.ts';
import { explainConnectFailure } from '../operator/nats-target.ts';
import { type LeaseState, StoreReader } from '../operator/store-reader.ts';
import { type SystemDefinition, startersOf } from '../system/define-system.ts';
import type { System, SystemOptions } from '../system/system.ts';
import { defineCommand, UsageError } from './command.ts';
import { DEFAULT_DB, FLAGS, NATS_AUTH_FLAGS } from './flags.ts';
import { isoTime } from './format.ts';
import { holdSystem } from './hold-system.ts';
import { interruptOnSignal } from './interrupt.ts';
import { parseNatsTarget } from './nats-target.ts';
import { PROCESS_FLAGS, parseProcessFlags, processOptions } from './process-flags.ts';
import { waitingLine } from './progress.ts';
import { loadDefinition } from './system-module.ts';

export const runCommand = defineCommand({
  name: 'run',
  summary: 'start the system a module exports, run its main (or until Ctrl-C)',
  about: `Usage: recq run <module> [--db FILE] [--fresh] [--nats URL [--namespace NS]] [--owner NAME] [-- args...]

Starts the system that <module> (a .ts or .js file, relative to the current directory)
exports as its default:

  export default defineSystem({ components: [...], async main(system, { db, args, signal }) {...} });

With main: runs it, then stops the system and exits 0. Ctrl-C (SIGINT) or SIGTERM while main
runs aborts main's signal and stops the system cleanly; the exit code is then 130 or 143.
Without main: the system runs until Ctrl-C or SIGTERM, then stops cleanly and exits 0.
Stopping commits what every component has applied. A second Ctrl-C exits at once.

With --nats, the same system runs over NATS in this one process: the supervisor (the log in
the database file) and every component's host talk through the NATS server as separate
processes would, so "recq status --nats" and "recq events --nats" reach it.
`,
  flags: {
    db: { ...FLAGS.db, help: `database file (default: the definition's db, else ${DEFAULT_DB})` },
    fresh: {
      type: 'boolean',
      usage: '--fresh',
      help: 'delete the database and its -wal and -shm files first, so the system starts\nfrom an empty log (handy for "npm start" on a fresh clone). Refused while a\nrunning system holds the file, or if it is not a recq database',
    },
    nats: { ...FLAGS.nats, help: 'run over the NATS server at URL (several: comma-separated, one cluster)' },
    namespace: { ...FLAGS.namespace, help: 'first token of every NATS subject (default recq); only with --nats' },
    ...NATS_AUTH_FLAGS,
    owner: FLAGS.owner,
    ...PROCESS_FLAGS,
  },
  notes: [['-- args...', 'everything after -- is passed to main as context.args']],
  positionals: true,
  rest: true,
  async run({ values, positionals, rest: args }) {
    const [module, ...extra] = positionals;
    if (module === undefined) throw new UsageError('missing <module>: the file whose default export is the system', 'run');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}; pass arguments for main after --`, 'run');
    const nats = parseNatsTarget('run', values);
    if (values.owner === '') throw new UsageError('--owner expects a name', 'run');

    const definition = await loadDefinition(module);
    const db = values.db ?? definition.db ?? DEFAULT_DB;
    if (values.fresh) deleteDatabase(db);
    const overrides: Partial<SystemOptions> = {
      ...processOptions(parseProcessFlags('run', values)),
      ...(nats ? { nats: { servers: nats.servers, namespace: nats.namespace, ...nats.credentials } } : {}),
      ...(values.owner === undefined ? {} : { owner: values.owner }),
    };
    try {
      return await runSystem(definition, { module, db, args, overrides });
    } catch (error) {
      throw nats ? explainConnectFailure(error, nats) : error;
    }
  },
});

/** Deletes a database for `--fresh`, unless a live system holds it or it holds something other than recq's tables. */
function deleteDatabase(db: string): void {
  const path = resolve(db);
  const lease = liveLogLease(path);
  if (lease) {
    throw DatabaseError.refusedToDelete(
      path,
      'in-use',
      `${lease.owner} is running a system on it (its lease on the log lasts until ${isoTime(lease.expiresAt)}). Stop that process first.`,
    );
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/** The unexpired lease on the log in the recq database at `path`, if any; refuses a file that is not a recq database. */
function liveLogLease(path: string): LeaseState | undefined {
  if (!existsSync(path)) return undefined;
  let reader: StoreReader;
  try {
    reader = StoreReader.open(path);
  } catch (error) {
    throw DatabaseError.refusedToDelete(path, 'not-recq', error instanceof Error ? error.message : String(error), error);
  }
  try {
    if (!reader.isRecqDatabase()) {
      throw DatabaseError.refusedToDelete(path, 'not-recq', 'it holds tables but no recq event log. Check --db.');
    }
    return reader.leases(Date.now()).find((l) => l.resource === 'log' && !l.expired);
  } finally {
    reader.close();
  }
}

/**
 * Says on a terminal, once, that the system waits for the lease on the log another process holds
 * (the supervisor logs it too), and how to stop waiting. Advisory: a file it cannot read is left
 * to the system to report.
 */
function sayIfWaitingForLease(db: string): void {
  if (!process.stderr.isTTY) return;
  let lease: LeaseState | undefined;
  try {
    lease = liveLogLease(resolve(db));
  } catch {
    return;
  }
  if (lease)
    waitingLine(
      process.stderr,
      `waiting for ${lease.owner} to give up the lease on the log of ${db} (it lasts until ${isoTime(lease.expiresAt)}); stop with Ctrl-C`,
    );
}

interface RunTarget {
  module: string;
  db: string;
  args: readonly string[];
  /** What the command line sets over the definition: NATS, owner. */
  overrides: Partial<SystemOptions>;
}

type Outcome = { kind: 'done' } | { kind: 'failed'; error: unknown } | { kind: 'interrupted' } | { kind: 'stopped' };

/** Creates the system, runs main (or waits for a signal), and always stops the system before returning the exit code. */
async function runSystem(definition: SystemDefinition, target: RunTarget): Promise<number> {
  const interrupt = interruptOnSignal('system');
  const interrupted = new Promise<Outcome>((resolve) => interrupt.signal.addEventListener('abort', () => resolve({ kind: 'interrupted' }), { once: true }));
  try {
    const { main, db: _db, ...options } = definition;
    // Under a service manager a restart must not crash-loop on a lease another process still holds.
    const waitForLease = options.waitForLease ?? true;
    if (waitForLease) sayIfWaitingForLease(target.db);
    const start = () => startersOf(definition).createSystem({ ...options, waitForLease, ...target.overrides, db: target.db });
    const outcome = await holdSystem(start, async (system): Promise<Outcome> => {
      if (system.metrics?.url) process.stderr.write(`recq: metrics on ${system.metrics.url}\n`);
      if (interrupt.signal.aborted) return { kind: 'interrupted' };
      if (main) {
        const done = Promise.resolve()
          .then(() => main(system, { db: target.db, args: target.args, signal: interrupt.signal }))
          .then(
            (): Outcome => ({ kind: 'done' }),
            (error: unknown): Outcome => ({ kind: 'failed', error }),
          );
        return Promise.race([done, interrupted, stoppedOnItsOwn(system)]);
      }
      const over = target.overrides.nats ? ` over NATS at ${[target.overrides.nats.servers ?? []].flat().join(',')}` : '';
      process.stderr.write(`recq: running ${target.module} on ${target.db}${over}; stop with Ctrl-C\n`);
      return Promise.race([interrupted, stoppedOnItsOwn(system)]);
    });
    if (outcome.kind === 'failed') throw outcome.error;
    if (outcome.kind === 'stopped') throw new StoppedOnItsOwnError('system');
    if (outcome.kind === 'interrupted' && main) return interrupt.exitCode();
    return 0;
  } finally {
    interrupt.release();
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
