/**
 * The W3 and W4 process, run as a child so that its peak RSS and its start-up time are its own:
 *
 *   node --import tsx bench/scenarios/scale-child.ts fill|restart <db> <events> <keys> <passivateAfterMs>
 *
 * `fill` publishes `events` round-robin over `keys` keyed counters and waits until they have
 * settled; `restart` opens the file `fill` left, then applies one more event. Each prints one
 * JSON line of figures on stdout.
 */
import { type AppendInput, consoleLogger, createSystem, defineComponent, type System } from '../../src/index.ts';
import { counterMachine, eventAt, keyAt, totalsMatch, type Workload } from '../workloads.ts';

const PUBLISH_BATCH = 1_000;
const PUBLISH_IN_FLIGHT = 8;

function workloadOf(events: number, keys: number): Workload {
  return { name: 'W3', description: '', topic: 'w3.add', events, keys };
}

async function open(db: string, workload: Workload, passivateAfterMs: number): Promise<System> {
  const counter = defineComponent({ name: 'counter', logic: counterMachine, subscribe: workload.topic, key: true, passivateAfterMs });
  return createSystem({ db, components: [counter], logger: consoleLogger('error') });
}

async function activeActors(system: System): Promise<number> {
  return (await system.status()).consumers.reduce((n, c) => n + c.activeActors, 0);
}

async function fill(db: string, workload: Workload, passivateAfterMs: number): Promise<Record<string, number | boolean>> {
  const system = await open(db, workload, passivateAfterMs);
  try {
    const started = performance.now();
    const appendedInOrder = await publishStreaming(system, workload);
    await system.settled();
    const seconds = (performance.now() - started) / 1000;
    // Before the check below reads every key back.
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    const rssMB = process.memoryUsage().rss / 2 ** 20;
    const heapUsedMB = process.memoryUsage().heapUsed / 2 ** 20;
    // With --expose-gc (the bench passes it), the heap still live at settle: what garbage does not explain.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const atSettle = {
      rssMB,
      heapUsedMB,
      liveHeapMB: gc ? process.memoryUsage().heapUsed / 2 ** 20 : Number.NaN,
      activeActors: await activeActors(system),
    };
    const appended = appendedInOrder && (await system.head()) === workload.events;
    const verified = appended && (await totalsMatch(workload, async (key) => (await system.query('counter', key)).context));
    return {
      seconds,
      eventsPerSec: workload.events / seconds,
      peakRssMB,
      ...atSettle,
      verified,
    };
  } finally {
    await system.stop();
  }
}

/**
 * Publishes the workload in batches of 1,000 with 8 in flight, each built when its turn comes:
 * a million events held up front (and their results) would weigh in the peak RSS measured.
 * True when every event got the next seq, in publish order.
 */
async function publishStreaming(system: System, workload: Workload): Promise<boolean> {
  let next = 0;
  let inOrder = true;
  const lane = async (): Promise<void> => {
    while (next < workload.events) {
      const first = next;
      const count = Math.min(PUBLISH_BATCH, workload.events - first);
      next += count;
      const batch: AppendInput[] = new Array(count);
      for (let i = 0; i < count; i++) batch[i] = { topic: workload.topic, event: eventAt(first + i), key: keyAt(workload, first + i) as string };
      const results = await system.publishMany(batch);
      for (let i = 0; i < count; i++) if (results[i]?.seq !== first + i + 1 || results[i]?.duplicate) inOrder = false;
    }
  };
  await Promise.all(Array.from({ length: PUBLISH_IN_FLIGHT }, lane));
  return inOrder;
}

async function restart(db: string, workload: Workload, passivateAfterMs: number): Promise<Record<string, number | boolean>> {
  // performance.now() counts from this process's start: node, the loader and module loading are in it.
  const entered = performance.now();
  const system = await open(db, workload, passivateAfterMs);
  const live = performance.now();
  try {
    // Key k0 has a stored snapshot: the first event restores it lazily, then applies.
    const want = Math.ceil(workload.events / (workload.keys ?? 1)) + 1;
    await system.publish(workload.topic, { type: 'add', amount: 1 }, { key: 'k0' });
    const view = await system.waitFor('counter', 'k0', (v) => (v.context as { count: number }).count === want, { timeoutMs: 30_000 });
    const applied = performance.now();
    const stored = (await system.status()).consumers.reduce((n, c) => n + c.storedActors, 0);
    return {
      processStartToLiveMs: live,
      openToLiveMs: live - entered,
      processStartToFirstAppliedMs: applied,
      liveToFirstAppliedMs: applied - live,
      storedSnapshots: stored,
      logHead: await system.head(),
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      verified: (view.context as { count: number }).count === want && stored === workload.keys,
    };
  } finally {
    await system.stop();
  }
}

async function main(): Promise<void> {
  const [command, db, events, keys, passivate] = process.argv.slice(2);
  if ((command !== 'fill' && command !== 'restart') || !db || !events || !keys || !passivate) {
    throw new Error('usage: scale-child.ts fill|restart <db> <events> <keys> <passivateAfterMs>');
  }
  const workload = workloadOf(Number(events), Number(keys));
  const figures = await (command === 'fill' ? fill : restart)(db, workload, Number(passivate));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`scale-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
