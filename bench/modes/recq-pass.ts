import { type AppendInput, type AppendResult, type Component, defineComponent, type System } from '../../src/index.ts';
import { counterMachine, eventAt, keyAt, totalsMatch, type Workload } from '../workloads.ts';
import type { Measurement } from './mode.ts';

/** Events per publishMany call: a producer that batches, as a fast one would. */
const PUBLISH_BATCH = 1_000;
/**
 * Batches a producer keeps unacknowledged. Bounded, as a real producer's would be: over NATS,
 * every batch queued behind the others counts against its request's 5 s reply timeout.
 */
const PUBLISH_IN_FLIGHT = 8;

/** The counter as a recq component on the workload's topic, keyed unless the workload is a singleton. */
export function counterComponent(workload: Workload): Component {
  return defineComponent({
    name: 'counter',
    logic: counterMachine,
    subscribe: workload.topic,
    ...(workload.checkpoint === undefined ? {} : { checkpoint: workload.checkpoint }),
    ...(workload.keys === undefined ? {} : { key: true as const }),
  });
}

/**
 * Publishes the workload through `system`, waits until it has settled, and checks the log and
 * every key. The same steps embedded and over NATS, so their rows differ only by deployment.
 * Reports the end-to-end row `<mode>` and the publish phase `<mode> publish`.
 */
export async function timePass(system: System, workload: Workload, mode: string, durability: string, recordsBeforeEvents = 0): Promise<Measurement[]> {
  const batches = batchesOf(workload);
  const started = performance.now();
  const results = await publishAll(system, batches, PUBLISH_IN_FLIGHT);
  const published = performance.now();
  await system.settled();
  const settled = performance.now();

  const appendedAll =
    results.length === workload.events && results.every((r) => !r.duplicate) && (await system.head()) === workload.events + recordsBeforeEvents;
  const totalsRight = await totalsMatch(workload, async (key) => (await system.query('counter', key)).context);
  const row = { events: workload.events, durability, verified: appendedAll && totalsRight };
  return [
    { ...row, mode, seconds: (settled - started) / 1000, endToEnd: true },
    {
      ...row,
      mode: `${mode} publish`,
      seconds: (published - started) / 1000,
      verified: appendedAll && seqsInOrder(results, 1 + recordsBeforeEvents),
      endToEnd: false,
    },
  ];
}

/** Publishes every batch, keeping at most `window` in flight; results in publish order. */
async function publishAll(system: System, batches: readonly AppendInput[][], window: number): Promise<AppendResult[]> {
  const results: AppendResult[][] = new Array(batches.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < batches.length) {
      const i = next++;
      results[i] = await system.publishMany(batches[i] as AppendInput[]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, batches.length) }, lane));
  return results.flat();
}

/** Built before the clock starts: the producer has its events in hand. */
function batchesOf(workload: Workload): AppendInput[][] {
  const batches: AppendInput[][] = [];
  for (let start = 0; start < workload.events; start += PUBLISH_BATCH) {
    const batch: AppendInput[] = [];
    for (let i = start; i < Math.min(workload.events, start + PUBLISH_BATCH); i++) {
      const key = keyAt(workload, i);
      batch.push(key === undefined ? { topic: workload.topic, event: eventAt(i) } : { topic: workload.topic, event: eventAt(i), key });
    }
    batches.push(batch);
  }
  return batches;
}

/** The log must hand out seq 1..N in publish order. */
function seqsInOrder(results: readonly AppendResult[], first: number): boolean {
  return results.every((r, i) => r.seq === i + first);
}
