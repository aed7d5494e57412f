import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/index.ts';
import { acknowledged, type NodeProcess, quiet, readLog, waitForAcks } from '../distributed/processes.ts';
import { epochsLed, type SkippedRow, StreamCluster, skippedRecords, streamRecords, waitForLeader } from './stream-cluster.ts';
import { expectExactStreamOutcome } from './stream-reference.ts';

const EVENTS = 1500;

const logged = (node: NodeProcess, prefix: string, from: number) =>
  node.waitFor((line) => line.type === 'log' && line.message.startsWith(prefix), `${node.name} to log "${prefix}..."`, from);

describe('the leading supervisor paused (SIGSTOP) past its liveness during appends, then resumed', () => {
  let cluster: StreamCluster | undefined;
  let paused: NodeProcess;
  let leader: NodeProcess;
  let recorderWorker: NodeProcess;
  let producer: NodeProcess;
  let records: { seq: number; kind: string; epoch: number }[];
  let log: Envelope[];
  let skipped: SkippedRow[];
  let head: number;
  let stepDown: { type: string; message?: string };

  beforeAll(async () => {
    cluster = await StreamCluster.start();
    paused = await cluster.supervisor('sup-a');
    await waitForLeader([paused]);
    const standby = await cluster.supervisor('sup-b');
    await logged(standby, 'stands by', 0);
    recorderWorker = await cluster.worker({ name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 7 } });
    producer = await cluster.worker({ name: 'worker-b', components: ['tally'] });
    await producer.call('stream', { prefix: 'p', from: 0, count: EVENTS, batch: 3, inFlight: 6, keys: 12 });

    await waitForAcks(producer, 450);
    const mark = standby.mark();
    paused.freeze();
    leader = await waitForLeader([standby], [mark]);
    // The new leader has written on: whatever the paused one sends now follows a stale seq.
    await waitForAcks(producer, acknowledged(producer).size + 150);
    const resumedAt = paused.mark();
    paused.thaw();
    stepDown = await logged(paused, 'steps down from epoch 1', resumedAt);
    await logged(paused, 'stands by', resumedAt);

    await producer.waitFor((line) => line.type === 'produced', 'the producer to finish');
    head = await quiet(leader, [recorderWorker, producer]);
    log = await readLog(leader);
    skipped = skippedRecords(cluster.file(leader.name));
    records = await streamRecords(cluster.nats.servers);
  }, 90_000);

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('has the standby lead at epoch 2, and the resumed leader step down and stand by without leading again', () => {
    expect(epochsLed(leader)).toEqual([2]);
    expect(epochsLed(paused)).toEqual([1]);
    // Its first append after the pause is what told it: the stream refused it (or held that id already, from the new leader).
    expect(stepDown.message).toMatch(/another supervisor has written since|already holds event/);
  });

  it('refuses every write of the resumed leader: no record of epoch 1 follows the epoch 2 record in the stream', () => {
    const claim = records.find((r) => r.kind === 'epoch' && r.epoch === 2);
    expect(claim).toBeDefined();
    expect(records.length).toBe(head);
    const late = records.filter((r) => r.seq > (claim?.seq ?? 0) && r.epoch < 2);
    expect(late).toEqual([]);
  });

  it('keeps every acknowledged event once, at its seq, and brings the workers to the exact state', async () => {
    const acks = acknowledged(producer);
    expect(acks.size).toBe(EVENTS);
    const bySeq = new Map(log.map((e) => [e.seq, e]));
    expect([...acks].filter(([id, seq]) => bySeq.get(seq)?.id !== id).slice(0, 10)).toEqual([]);
    await expectExactStreamOutcome(log, skipped, head, recorderWorker, producer);
  });
});
