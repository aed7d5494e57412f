/**
 * A leader's writer and a standby's claim when JetStream is slow to answer, on a real
 * nats-server: killed and restarted while appends are in flight, the writer sends what went
 * unconfirmed again (same ids, same expectations) instead of giving up its term; and a
 * standby whose tail cannot start still looks at the leader's entry, and claims.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import type { AppendResult, PreparedAppend } from '../../src/envelope.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { EpochClaim } from '../../src/sss/jetstream/epoch-claim.ts';
import { Liveness } from '../../src/sss/jetstream/liveness.ts';
import { StreamIndex } from '../../src/sss/jetstream/stream-index.ts';
import { encodeEpochBody, epochMsgId, recordHeaders } from '../../src/sss/jetstream/stream-record.ts';
import { ensureLogStream, openLivenessBucket } from '../../src/sss/jetstream/stream-setup.ts';
import { StreamTail } from '../../src/sss/jetstream/stream-tail.ts';
import { StreamWriter } from '../../src/sss/jetstream/stream-writer.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';

const EVENTS = 60;

function prepared(i: number): PreparedAppend {
  return { id: `e-${i}`, topic: 'orders.placed', key: null, json: JSON.stringify({ type: 'placed', n: i }), causation: null, correlationId: null };
}

describe('JetStream slow to answer', () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await startNatsServer({ config: (dir) => `jetstream { store_dir: ${JSON.stringify(path.join(dir, 'jetstream'))} }` });
  });

  afterAll(async () => {
    await nats?.stop();
  });

  it('keeps the term when the stream’s server restarts under in-flight appends: each event lands once, at its seq', async () => {
    const place = { stream: 'resend_sss', subject: 'resend.log', bucket: 'resend_supervisors', replicas: 1, livenessTtlMs: 1500, ackTimeoutMs: 400 };
    const nc: NatsConnection = await connect({ servers: nats.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    try {
      await ensureLogStream(await nc.jetstreamManager(), place);
      const js = nc.jetstream({ timeout: place.ackTimeoutMs });
      await js.publish(place.subject, encodeEpochBody('sup-a', 0), { msgID: epochMsgId(1), expect: { lastSequence: 0 }, headers: recordHeaders('epoch', 1) });
      const index = new StreamIndex(new Database(':memory:'));
      index.apply([{ kind: 'epoch', seq: 1, epoch: 1, owner: 'sup-a', time: 0 }]);
      const deposed: unknown[] = [];
      const unconfirmed: unknown[] = [];
      const writer = new StreamWriter({
        js,
        subject: place.subject,
        index,
        clock: systemClock,
        epoch: 1,
        ackTimeoutMs: place.ackTimeoutMs,
        committed: () => {},
        deposed: (error) => deposed.push(error),
        onUnconfirmed: (cause) => unconfirmed.push(cause),
      });

      const first = writer.append(Array.from({ length: EVENTS / 2 }, (_, i) => prepared(i)));
      // Killed while the first half is in flight: some of it landed, some did not, and no ack came back.
      await nats.kill();
      const second = writer.append(Array.from({ length: EVENTS / 2 }, (_, i) => prepared(EVENTS / 2 + i)));
      await nats.restart();
      const results: AppendResult[] = [...(await first), ...(await second)];

      expect(deposed).toEqual([]);
      expect(unconfirmed.length).toBeGreaterThan(0);
      expect(results.map((r) => r.seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 2));
      const jsm = await nc.jetstreamManager();
      expect((await jsm.streams.info(place.stream)).state.last_seq).toBe(EVENTS + 1);
      for (let seq = 2; seq <= EVENTS + 1; seq++) {
        const msg = await jsm.streams.getMessage(place.stream, { seq });
        expect(msg.header.get('Nats-Msg-Id')).toBe(`e-${seq - 2}`);
      }
      // And it pipelines again afterwards.
      expect((await writer.append([prepared(EVENTS)]))[0]?.seq).toBe(EVENTS + 2);
    } finally {
      await nc.close();
    }
  }, 30_000);

  it('claims once the leader’s entry has lapsed, while its tail cannot start', async () => {
    const place = { stream: 'stuck_sss', subject: 'stuck.log', bucket: 'stuck_supervisors', replicas: 1, livenessTtlMs: 1500, ackTimeoutMs: 5000 };
    const nc = await connect({ servers: nats.url });
    try {
      await ensureLogStream(await nc.jetstreamManager(), place);
      const js = nc.jetstream();
      const index = new StreamIndex(new Database(':memory:'));
      /** A tail whose start waits as a request to a restarting server does, for as long as the test lasts. */
      class StuckTail extends StreamTail {
        override start(): Promise<void> {
          return new Promise(() => {});
        }
      }
      const claim = new EpochClaim({
        js,
        subject: place.subject,
        index,
        tail: new StuckTail({ js, stream: place.stream, index, logger: silentLogger }),
        liveness: new Liveness(await openLivenessBucket(nc, place)),
        clock: systemClock,
        logger: silentLogger,
        owner: 'sup-b',
        checkEveryMs: 50,
        livenessTtlMs: place.livenessTtlMs,
        ackTimeoutMs: place.ackTimeoutMs,
        claimOwnEntry: true,
      });
      expect(await claim.won()).toBe(1);
      expect(index.leader).toBe('sup-b');
    } finally {
      await nc.close();
    }
  }, 30_000);
});
