import { describe, expect, it } from 'vitest';
import { readTables } from '../support/tables.ts';
import { acknowledged, quiet, readLog, useCluster, type WorkerSpec, waitForAcks } from './processes.ts';
import { expectAcknowledgedInLog, expectExactOutcome, expectRecorderCheckpoint } from './reference.ts';

const EVENTS = 1500;

describe('a worker SIGKILLed mid-stream', () => {
  const startCluster = useCluster();

  it('comes back on its own file and ends in the exact state, with nothing doubled in the log', async () => {
    const cluster = await startCluster();
    const supervisor = await cluster.supervisor();
    // Small checkpoints, so kills tend to land between a batch and its checkpoint, or before the outbox is relayed.
    const recorderSpec: WorkerSpec = { name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 7 } };
    let recorderWorker = await cluster.worker(recorderSpec);
    const producer = await cluster.worker({ name: 'worker-b', components: ['tally'] });
    await producer.call('stream', { prefix: 'p', from: 0, count: EVENTS, batch: 10, inFlight: 2, keys: 12 });

    for (const [killAt, restartAt] of [
      [300, 600],
      [900, 1100],
    ] as const) {
      await waitForAcks(producer, killAt);
      await recorderWorker.kill();
      expect(await recorderWorker.exited).toEqual({ code: null, signal: 'SIGKILL' });
      // What it left on its own file is where the restarted worker starts from.
      const [left] = readTables(cluster.file('worker-a'), ['consumers']).consumers;
      expect(left?.offset).toBeGreaterThan(0);
      // Events keep coming while the recorder is down; they wait in the log.
      await waitForAcks(producer, restartAt);
      recorderWorker = await cluster.worker(recorderSpec);
    }
    await producer.waitFor((line) => line.type === 'produced', 'the producer to finish');
    await quiet(supervisor, [recorderWorker, producer]);

    const log = await readLog(supervisor);
    expect(log.filter((e) => e.causation === undefined)).toHaveLength(EVENTS);
    expectAcknowledgedInLog(acknowledged(producer), log);
    await expectExactOutcome(log, recorderWorker, producer);
    expectRecorderCheckpoint(cluster.file('worker-a'), log);
  });
});
