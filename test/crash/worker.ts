/**
 * One lifetime of the crash-test system, run as a child process:
 *
 *   node --import tsx test/crash/worker.ts <dbFile> <total> <checkpointMaxEvents> <resultFile>
 *
 * (the test runs it bundled into one script, with the same arguments).
 *
 * It publishes every producer event with its fixed id (after a restart the ones already in the
 * log are deduplicated), waits until the system has settled and every actor has taken in the
 * outcome of each child it spawned and the firing of each timer it set, writes the final log,
 * snapshots and offsets to `resultFile` as JSON, and prints `final`. It starts by printing
 * `opened <head>`, the log's head before it runs (what a kill of the lifetime before left), and
 * along the way one line per checkpoint commit, which the parent uses to choose when to kill it.
 * Every call a child makes is appended, as its idempotency key, to `callLogOf(dbFile)`.
 */
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
// Internal on purpose: whether a kill landed inside a checkpoint commit is not visible through
// the public API, so the commit and the restored offset are announced from the store itself.
import { ConsumerStore } from '../../src/css/consumer-store.ts';
import { openDatabase } from '../../src/db.ts';
import { type ActorView, createSystem, type Envelope } from '../../src/index.ts';
import { readHead } from '../../src/sss/tables/events.ts';
import { callLogOf, components, producerEvent } from './workload.ts';

/** What a completed lifetime reports. */
export interface RunResult {
  head: number;
  log: Pick<Envelope, 'seq' | 'id' | 'topic' | 'key' | 'event' | 'causation'>[];
  actors: { component: string; key: string | undefined; view: ActorView }[];
  consumers: { component: string; offset: number; committedOffset: number }[];
  deadLetters: number;
}

const PUBLISH_BATCH = 40;
const BATCHES_PER_SETTLE = 3;
/** How long the lifetime waits for the children and timers still due once every event is applied. */
const PENDING_WORK_MS = 60_000;

/**
 * A synchronous write, so that the last line the parent reads after a SIGKILL is the last
 * thing this process did.
 */
function announce(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      // The pipe is non-blocking and the parent may be slow to drain it.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

/** The log's head before this lifetime touches the file: 0 for a new file, or one killed before its log was made. */
function headBefore(dbFile: string): number {
  if (!existsSync(dbFile)) return 0;
  const db = openDatabase(dbFile);
  try {
    return readHead(db);
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/** Appends each call to the call log with one write, so a SIGKILL leaves whole lines only (a process crash, not a power cut: no fsync). */
function callRecorder(file: string): (effect: string) => void {
  const fd = openSync(file, 'a');
  process.once('exit', () => closeSync(fd));
  return (effect) => {
    writeSync(fd, `${effect}\n`);
  };
}

function instrumentStore(): void {
  const { open, commit } = ConsumerStore.prototype;
  ConsumerStore.prototype.open = function (this: ConsumerStore, ...args: Parameters<typeof open>) {
    const record = open.apply(this, args);
    announce(`restored ${record.consumer} ${record.offset}`);
    return record;
  };
  ConsumerStore.prototype.commit = function (this: ConsumerStore, ...args: Parameters<typeof commit>) {
    const [consumer, checkpoint] = args;
    announce(`commit+ ${consumer} ${checkpoint.offset}`);
    commit.apply(this, args);
    announce(`commit- ${consumer} ${checkpoint.offset}`);
  };
}

async function main(): Promise<void> {
  const [dbFile, totalArg, maxEventsArg, resultFile] = process.argv.slice(2);
  const total = Number(totalArg);
  const maxEvents = Number(maxEventsArg);
  if (!dbFile || !resultFile || !Number.isInteger(total) || !Number.isInteger(maxEvents)) {
    throw new Error('usage: worker.ts <dbFile> <total> <checkpointMaxEvents> <resultFile>');
  }
  announce(`opened ${headBefore(dbFile)}`);
  instrumentStore();
  // A fixed owner: the restarted process is the same worker, so it may take its leases back at
  // once instead of waiting for the killed process's leases to expire.
  const system = await createSystem({ db: dbFile, components: components(maxEvents, callRecorder(callLogOf(dbFile))), owner: 'crash-worker' });
  announce('live');

  for (let start = 0, batch = 0; start < total; start += PUBLISH_BATCH, batch++) {
    const inputs = [];
    for (let i = start; i < Math.min(total, start + PUBLISH_BATCH); i++) inputs.push(producerEvent(i));
    await system.publishMany(inputs);
    announce(`published ${Math.min(total, start + PUBLISH_BATCH)}`);
    // A turn of the event loop, as a producer outside the process would give: children's calls
    // and timers go on while events are published, instead of queueing up behind them.
    await new Promise((resolve) => setImmediate(resolve));
    // Lets the consumers keep up, so that kills land while both publishing and processing.
    if (batch % BATCHES_PER_SETTLE === BATCHES_PER_SETTLE - 1) await system.settled();
  }
  await system.settled();
  // Every event is applied; the children it spawned and the timers it set may still be due.
  // Each actor knows how many it is owed; once all have come, what they emitted is settled too.
  const keys = [...new Set(Array.from({ length: total }, (_, i) => producerEvent(i).key as string))].sort();
  const owed = { timeoutMs: PENDING_WORK_MS };
  await Promise.all(
    keys.flatMap((key) => [
      system.waitFor(
        'acc',
        key,
        ({ context }) => {
          const acc = context as { count: number; calls: number; ticks: number; echoes: number; echoesDue: number };
          return acc.calls === acc.count && acc.ticks === acc.count && acc.echoes === acc.echoesDue;
        },
        owed,
      ),
      system.waitFor(
        'gate',
        key,
        ({ context }) => {
          const gate = context as { cycles: number; cooled: number };
          return gate.cooled === gate.cycles;
        },
        owed,
      ),
    ]),
  );
  await system.settled();

  const log: RunResult['log'] = [];
  for (let after = 0; ; ) {
    const page = await system.events({ after, limit: 1000 });
    if (page.length === 0) break;
    for (const { seq, id, topic, key, event, causation } of page) log.push({ seq, id, topic, key, event, causation });
    after = (page[page.length - 1] as Envelope).seq;
  }
  const actors: RunResult['actors'] = [];
  for (const component of ['acc', 'gate']) {
    for (const key of keys) actors.push({ component, key, view: await system.query(component, key) });
  }
  actors.push({ component: 'audit', key: undefined, view: await system.query('audit') });
  const status = await system.status();
  const result: RunResult = {
    head: status.head,
    log,
    actors,
    consumers: status.consumers.map((c) => ({ component: c.component, offset: c.offset, committedOffset: c.committedOffset })),
    deadLetters: system.deadLetters().length,
  };
  writeFileSync(resultFile, JSON.stringify(result));
  await system.stop();
  announce('final');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
