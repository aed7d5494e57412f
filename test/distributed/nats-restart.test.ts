import { describe, expect, it } from 'vitest';
import { acknowledged, type NodeProcess, quiet, readLog, useCluster, waitForAcks } from './processes.ts';
import { expectAcknowledgedInLog, expectExactOutcome, expectRecorderCheckpoint } from './reference.ts';

const EVENTS = 1500;

const connectionEvent = (node: NodeProcess, event: string, from: number) =>
  node.waitFor((line) => line.type === 'nats' && line.event === event, `NATS ${event}`, from);

describe('nats-server killed mid-stream', () => {
  const startCluster = useCluster();

  it('after a restart on the same port, every process resumes and the final state is exact', async () => {
    const cluster = await startCluster();
    const supervisor = await cluster.supervisor();
    const recorderWorker = await cluster.worker({ name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 7 } });
    const producer = await cluster.worker({ name: 'worker-b', components: ['tally'] });
    const everyone = [supervisor, recorderWorker, producer];
    await producer.call('stream', { prefix: 'p', from: 0, count: EVENTS, batch: 10, inFlight: 2, keys: 12 });

    await waitForAcks(producer, 500);
    const marks = everyone.map((node) => node.mark());
    await cluster.nats.kill();
    await Promise.all(everyone.map((node, i) => connectionEvent(node, 'disconnect', marks[i] as number)));
    await cluster.nats.restart();
    await Promise.all(everyone.map((node, i) => connectionEvent(node, 'reconnect', marks[i] as number)));

    await producer.waitFor((line) => line.type === 'produced', 'the producer to finish');
    await quiet(supervisor, [recorderWorker, producer]);
    const log = await readLog(supervisor);
    expect(log.filter((e) => e.causation === undefined)).toHaveLength(EVENTS);
    expectAcknowledgedInLog(acknowledged(producer), log);
    await expectExactOutcome(log, recorderWorker, producer);
    expectRecorderCheckpoint(cluster.file('worker-a'), log);
  });
});
