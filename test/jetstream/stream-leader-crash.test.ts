import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/index.ts';
import { acknowledged, type NodeProcess, quiet, readLog, waitForAcks } from '../distributed/processes.ts';
import { currentLeader, epochsLed, type SkippedRow, StreamCluster, skippedRecords, streamRecords, waitForLeader } from './stream-cluster.ts';
import { expectExactStreamOutcome } from './stream-reference.ts';

const EVENTS = 1500;

/** The server that leads the log's stream now, as JetStream names it. */
async function streamLeader(servers: string): Promise<string> {
  const nc = await connect({ servers: servers.split(',') });
  try {
    const info = await (await nc.jetstreamManager()).streams.info('recq_sss');
    const leader = info.cluster?.leader;
    if (!leader) throw new Error('the log stream has no leader');
    return leader;
  } finally {
    await nc.close();
  }
}

describe('the nats-server that leads the log stream SIGKILLed during appends', () => {
  let cluster: StreamCluster | undefined;
  let supervisors: NodeProcess[];
  let leader: NodeProcess;
  let recorderWorker: NodeProcess;
  let producer: NodeProcess;
  let killed: string;
  let log: Envelope[];
  let skipped: SkippedRow[];
  let records: { seq: number; kind: string; epoch: number }[];
  let head: number;

  beforeAll(async () => {
    cluster = await StreamCluster.start();
    const first = await cluster.supervisor('sup-a');
    await waitForLeader([first]);
    const second = await cluster.supervisor('sup-b');
    supervisors = [first, second];
    recorderWorker = await cluster.worker({ name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 7 } });
    producer = await cluster.worker({ name: 'worker-b', components: ['tally'] });
    await producer.call('stream', { prefix: 'p', from: 0, count: EVENTS, batch: 3, inFlight: 6, keys: 12 });

    await waitForAcks(producer, 450);
    killed = await streamLeader(cluster.nats.servers);
    await cluster.nats.node(killed).kill();
    // The leader sends its unconfirmed appends again until the stream, led from another server, answers;
    // a standby may claim the next epoch meanwhile if the liveness bucket is unavailable too.
    await producer.waitFor((line) => line.type === 'produced', 'the producer to finish');
    leader = currentLeader(supervisors);
    head = await quiet(leader, [recorderWorker, producer]);
    log = await readLog(leader);
    skipped = skippedRecords(cluster.file(leader.name));
    records = await streamRecords(
      cluster.nats.nodes
        .filter((n) => n.running)
        .map((n) => n.url)
        .join(','),
    );
  }, 90_000);

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('has a supervisor lead, at the newest epoch, with the stream led from one of the two servers left', async () => {
    expect(epochsLed(leader).at(-1)).toBe(Math.max(...supervisors.flatMap((s) => epochsLed(s))));
    expect(
      await streamLeader(
        cluster?.nats.nodes
          .filter((n) => n.running)
          .map((n) => n.url)
          .join(',') ?? '',
      ),
    ).not.toBe(killed);
    expect(records.length).toBe(head);
  });

  it('keeps every acknowledged event once, at its seq, with no seq missing, and brings the workers to the exact state', async () => {
    const acks = acknowledged(producer);
    expect(acks.size).toBe(EVENTS);
    const bySeq = new Map(log.map((e) => [e.seq, e]));
    expect([...acks].filter(([id, seq]) => bySeq.get(seq)?.id !== id).slice(0, 10)).toEqual([]);
    await expectExactStreamOutcome(log, skipped, head, recorderWorker, producer);
  });
});
