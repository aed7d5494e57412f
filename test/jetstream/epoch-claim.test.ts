/**
 * A standby's claim loop on a real 3-node cluster, its time simulated: a leader that has just
 * appended its epoch record has not written its liveness entry yet. A standby that reads that
 * record must give it a liveness time-to-live before it takes the entry's absence for a lapse;
 * otherwise it claims the next epoch right behind the new leader, which then steps down.
 */
import Database from 'better-sqlite3';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { EpochClaim } from '../../src/sss/jetstream/epoch-claim.ts';
import { Liveness } from '../../src/sss/jetstream/liveness.ts';
import { StreamIndex } from '../../src/sss/jetstream/stream-index.ts';
import { encodeEpochBody, epochMsgId, recordHeaders } from '../../src/sss/jetstream/stream-record.ts';
import { ensureLogStream, openLivenessBucket } from '../../src/sss/jetstream/stream-setup.ts';
import { StreamTail } from '../../src/sss/jetstream/stream-tail.ts';
import { type NatsCluster, startNatsCluster } from '../support/nats-cluster.ts';

const PLACE = { stream: 'claim_sss', subject: 'claim.log', bucket: 'claim_supervisors', replicas: 3, livenessTtlMs: 1500, ackTimeoutMs: 5000 };
const CHECK_EVERY_MS = 500;

describe('a standby that reads a new epoch record before its leader has written the liveness entry', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  const db = new Database(':memory:');

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    nc = await connect({ servers: cluster.servers.split(',') });
    await ensureLogStream(await nc.jetstreamManager(), PLACE);
  }, 60_000);

  afterAll(async () => {
    db.close();
    await nc?.close();
    await cluster?.stop();
  });

  it('waits a liveness time-to-live from when it read the record before it claims', async () => {
    const js = nc.jetstream();
    const jsm = await nc.jetstreamManager();
    await js.publish(PLACE.subject, encodeEpochBody('sup-x', 0), { msgID: epochMsgId(1), expect: { lastSequence: 0 }, headers: recordHeaders('epoch', 1) });

    const clock = new SimulatedClock(0);
    const index = new StreamIndex(db);
    const looks: { at: number; epoch: number; lastSeq: number }[] = [];
    let looked = () => {};
    const claim = new EpochClaim({
      js,
      subject: PLACE.subject,
      index,
      tail: new StreamTail({ js, stream: PLACE.stream, index, logger: silentLogger }),
      liveness: new Liveness(await openLivenessBucket(nc, PLACE)),
      clock,
      logger: silentLogger,
      owner: 'sup-y',
      checkEveryMs: CHECK_EVERY_MS,
      livenessTtlMs: PLACE.livenessTtlMs,
      ackTimeoutMs: PLACE.ackTimeoutMs,
      claimOwnEntry: true,
      onLook: () => {
        looks.push({ at: clock.now(), epoch: index.epoch, lastSeq: 0 });
        looked();
      },
    });
    let won: number | undefined;
    const winning = claim.won().then((epoch) => {
      won = epoch;
      looked();
      return epoch;
    });
    /** Resolves once the loop has looked again and gone back to waiting on the clock (or won). */
    const nextLook = async (count: number) => {
      while (looks.length < count && won === undefined) await new Promise<void>((resolve) => (looked = resolve));
      while (clock.pending === 0 && won === undefined) await new Promise((resolve) => setImmediate(resolve));
      const last = looks.at(-1);
      if (last) last.lastSeq = (await jsm.streams.info(PLACE.stream)).state.last_seq;
    };

    await nextLook(1);
    while (won === undefined) {
      clock.advance(CHECK_EVERY_MS);
      await nextLook(looks.length + 1);
    }
    expect(await winning).toBe(2);

    // The record reached the index during the last look that still showed epoch 0 (or before the first look): the claim came a time-to-live after.
    const readBy = Math.max(0, ...looks.filter((l) => l.epoch === 0).map((l) => l.at));
    expect(clock.now() - readBy).toBeGreaterThanOrEqual(PLACE.livenessTtlMs);
    // Only the winning look wrote: every look before it left the stream as sup-x left it.
    expect(looks.map((l) => l.lastSeq)).toEqual([...looks.slice(1).map(() => 1), 2]);
    expect(index.leader).toBe('sup-y');
  }, 30_000);
});
