import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppendInput, type AppendResult, consoleLogger, createSystem, type Durability, defineComponent } from '../../src/index.ts';
import { counterMachine, eventAt, keyAt, totalsMatch, type Workload } from '../workloads.ts';
import type { Measurement, Mode } from './mode.ts';

/** Events per publishMany call: a producer that batches, as a fast one would. */
const PUBLISH_BATCH = 1_000;

/** recq in-process, on a fresh SQLite file in a temp dir. */
export function embeddedMode(durability: Durability = 'full'): Mode {
  return {
    name: 'embedded',
    async run(workload) {
      const dir = await mkdtemp(join(tmpdir(), 'recq-bench-'));
      try {
        return await runOnce(workload, durability, join(dir, 'bench.db'));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

async function runOnce(workload: Workload, durability: Durability, db: string): Promise<Measurement[]> {
  const counter = defineComponent({
    name: 'counter',
    logic: counterMachine,
    subscribe: workload.topic,
    ...(workload.keys === undefined ? {} : { key: true as const }),
  });
  const system = await createSystem({ db, components: [counter], durability, logger: consoleLogger('error') });
  try {
    const batches = batchesOf(workload);
    const started = performance.now();
    const results = (await Promise.all(batches.map((batch) => system.publishMany(batch)))).flat();
    const published = performance.now();
    await system.settled();
    const settled = performance.now();

    const appendedAll = results.length === workload.events && results.every((r) => !r.duplicate) && (await system.head()) === workload.events;
    const totalsRight = await totalsMatch(workload, async (key) => (await system.query('counter', key)).context);
    const row = { events: workload.events, durability, verified: appendedAll && totalsRight };
    return [
      { ...row, mode: 'embedded', seconds: (settled - started) / 1000, endToEnd: true },
      { ...row, mode: 'embedded publish', seconds: (published - started) / 1000, verified: appendedAll && seqsInOrder(results), endToEnd: false },
    ];
  } finally {
    await system.stop();
  }
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
function seqsInOrder(results: readonly AppendResult[]): boolean {
  return results.every((r, i) => r.seq === i + 1);
}
