/**
 * Two writers of one log stream on a real 3-node cluster, driven directly: a leader at epoch 1
 * whose pipelined appends are still in flight when a newer leader claims epoch 2. With
 * `Nats-Expected-Last-Sequence` alone, the stream refuses the first of those appends but
 * accepts a later one whose expected seq happens to be the newer leader's epoch record: a
 * stale record lands, its id sits in the stream's duplicate window while no index holds it
 * as an event, and every leader that appends that id again (a producer retrying it) gets a
 * duplicate ack and steps down. Each append also names the id of the record before it.
 * A batch cut the same way keeps what landed before the cut; a retry with the same ids completes it.
 */
import Database from 'better-sqlite3';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import type { PreparedAppend } from '../../src/envelope.ts';
import { NotLeadingError } from '../../src/errors.ts';
import { StreamIndex } from '../../src/sss/jetstream/stream-index.ts';
import { decodeRecord, encodeEpochBody, epochMsgId, recordHeaders, type StreamRecord } from '../../src/sss/jetstream/stream-record.ts';
import { ensureLogStream } from '../../src/sss/jetstream/stream-setup.ts';
import { StreamWriter } from '../../src/sss/jetstream/stream-writer.ts';
import { type NatsCluster, startNatsCluster } from '../support/nats-cluster.ts';

const PLACE = { stream: 'pipe_sss', subject: 'pipe.log', bucket: 'pipe_supervisors', replicas: 3, livenessTtlMs: 1500, ackTimeoutMs: 5000 };

const event = (id: string): PreparedAppend => ({ id, topic: 'orders.created', key: null, json: '{"type":"created"}', causation: null, correlationId: null });

/** An epoch record appended as a claim does: after `tail`, indexed by `index` once the stream takes it. */
async function claim(js: JetStreamClient, index: StreamIndex, epoch: number, owner: string, tail: number): Promise<void> {
  const ack = await js.publish(PLACE.subject, encodeEpochBody(owner, 0), {
    msgID: epochMsgId(epoch),
    expect: { lastSequence: tail },
    headers: recordHeaders('epoch', epoch),
  });
  index.apply([{ kind: 'epoch', seq: ack.seq, epoch, owner, time: 0 }]);
}

function writer(js: JetStreamClient, index: StreamIndex, epoch: number, deposed: NotLeadingError[]): StreamWriter {
  return new StreamWriter({
    js,
    subject: PLACE.subject,
    index,
    clock: systemClock,
    epoch,
    ackTimeoutMs: PLACE.ackTimeoutMs,
    committed: () => {},
    deposed: (error) => deposed.push(error),
  });
}

describe('a deposed leader whose pipelined appends arrive after a newer epoch record', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  const databases: Database.Database[] = [];
  const index = () => {
    const db = new Database(':memory:');
    databases.push(db);
    return new StreamIndex(db);
  };

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    nc = await connect({ servers: cluster.servers.split(',') });
    jsm = await nc.jetstreamManager();
    js = nc.jetstream();
    await ensureLogStream(jsm, PLACE);
  }, 60_000);

  afterAll(async () => {
    for (const db of databases) db.close();
    await nc?.close();
    await cluster?.stop();
  });

  it('lands none of them, and the newer leader appends their ids as new events', async () => {
    const indexA = index();
    const indexB = index();
    await claim(js, indexA, 1, 'sup-a', 0);
    const deposedA: NotLeadingError[] = [];
    const a = writer(js, indexA, 1, deposedA);
    expect(await a.append([event('e1')])).toEqual([{ seq: 2, id: 'e1', duplicate: false }]);

    // sup-b has read seqs 1-2 and claims epoch 2 at seq 3 while sup-a still believes it leads.
    indexB.apply([
      { kind: 'epoch', seq: 1, epoch: 1, owner: 'sup-a', time: 0 },
      { kind: 'event', seq: 2, epoch: 1, envelope: { seq: 2, id: 'e1', topic: 'orders.created', time: 0, event: { type: 'created' } } },
    ]);
    await claim(js, indexB, 2, 'sup-b', 2);

    // sup-a's next three appends expect seqs 2, 3 and 4: the stream is at 3, so the second would fit by seq alone.
    await expect(a.append([event('e2'), event('e3'), event('e4')])).rejects.toBeInstanceOf(NotLeadingError);
    expect(deposedA.map((e) => e.message)).toEqual([expect.stringMatching(/another supervisor has written since/)]);

    const deposedB: NotLeadingError[] = [];
    const b = writer(js, indexB, 2, deposedB);
    const results = await b.append([event('e2'), event('e3'), event('e4')]);
    expect(results).toEqual([
      { seq: 4, id: 'e2', duplicate: false },
      { seq: 5, id: 'e3', duplicate: false },
      { seq: 6, id: 'e4', duplicate: false },
    ]);
    expect(deposedB).toEqual([]);
    // sup-a's publishes left first on the same connection, so the stream had taken or refused them all before these.
    expect((await jsm.streams.info(PLACE.stream)).state.last_seq).toBe(6);
    expect(indexB.skipped().map((r) => r.kind)).toEqual(['epoch', 'epoch']);
  }, 30_000);

  it('keeps the part of a batch that landed before the leader lost the lead, and a retry with the same ids completes it once', async () => {
    const stream = await jsm.streams.info(PLACE.stream);
    const start = stream.state.last_seq;
    const indexA = index();
    const indexB = index();
    const upTo = await streamRecordsOf(jsm, 0);
    indexA.apply(upTo);
    indexB.apply(upTo);
    await claim(js, indexA, 3, 'sup-a', start);
    // sup-a is held after the batch's first publish, as a pause or a crash mid-batch would hold it.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const heldJs = {
      publish: (subject: string, data: string, options: { msgID?: string }) =>
        options.msgID === 'b1' ? js.publish(subject, data, options) : held.then(() => js.publish(subject, data, options)),
    } as unknown as JetStreamClient;
    const a = writer(heldJs, indexA, 3, []);
    const batch = a.append([event('b1'), event('b2'), event('b3')]);
    batch.catch(() => {});
    // A probe the stream refuses, naming its last seq: b1 has landed (it left first on this connection), b2 and b3 have not left.
    const probe = await js.publish(PLACE.subject, '', { expect: { lastSequence: start + 1 } }).catch((error: Error) => error.message);
    expect(probe).toBe(`wrong last sequence: ${start + 2}`);

    indexB.apply(await streamRecordsOf(jsm, indexB.head));
    await claim(js, indexB, 4, 'sup-b', start + 2);
    release();
    await expect(batch).rejects.toBeInstanceOf(NotLeadingError);

    const b = writer(js, indexB, 4, []);
    const retried = await b.append([event('b1'), event('b2'), event('b3')]);
    expect(retried).toEqual([
      { seq: start + 2, id: 'b1', duplicate: true },
      { seq: start + 4, id: 'b2', duplicate: false },
      { seq: start + 5, id: 'b3', duplicate: false },
    ]);
    expect((await jsm.streams.info(PLACE.stream)).state.last_seq).toBe(start + 5);
  }, 30_000);
});

/** The stream's records after `after`, decoded as a tail reads them. */
async function streamRecordsOf(jsm: JetStreamManager, after: number): Promise<StreamRecord[]> {
  const last = (await jsm.streams.info(PLACE.stream)).state.last_seq;
  const records: StreamRecord[] = [];
  for (let seq = after + 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(PLACE.stream, { seq });
    records.push(decodeRecord(m.seq, m.header, m.data));
  }
  return records;
}
