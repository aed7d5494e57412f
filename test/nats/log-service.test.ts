import { headers, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock.ts';
import { openDatabase, type SqliteDatabase } from '../../src/db.ts';
import {
  ExceedsMaxPayloadError,
  InvalidEventError,
  InvalidPatternError,
  InvalidTopicError,
  LeaseHeldError,
  MalformedMessageError,
  type RecqError,
  StaleEpochError,
  SupervisorUnreachableError,
} from '../../src/errors.ts';
import { connectNats } from '../../src/nats/connection.ts';
import type { SssOp } from '../../src/nats/subjects.ts';
import { SupervisorTrust } from '../../src/nats/supervisor-trust.ts';
import { EventLog } from '../../src/sss/event-log.ts';
import { LeaseTable } from '../../src/sss/lease-table.ts';
import { LocalLogAccess } from '../../src/sss/local-log-access.ts';
import { NatsLogAccess } from '../../src/sss/nats/log-client.ts';
import { LogService } from '../../src/sss/nats/log-service.ts';
import { decodeReply } from '../../src/sss/nats/wire-reply.ts';
import { Router } from '../../src/sss/router.ts';
import { NatsTransport } from '../../src/transport/nats-transport.ts';
import type { Delivery } from '../../src/transport/transport.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';
import { Inbox } from './inbox.ts';
import { recordingLogger } from './recording-logger.ts';

const MAX_PAYLOAD = 64 * 1024;
const TTL = 15_000;

let server: NatsServer;
const scratch = useScratch();
let db: SqliteDatabase;
let clock: SimulatedClock;
let log: EventLog;
let leases: LeaseTable;
let router: Router;
let supervisorNc: NatsConnection;
let clientNc: NatsConnection;
/** As the distributed deployment shares them: one in the supervisor's process, one in the worker's. */
let supervisorTrust: SupervisorTrust;
let clientTrust: SupervisorTrust;
let supervisorTransport: NatsTransport;
let service: LogService;
let access: NatsLogAccess;
let incarnations: [string, string][];

beforeAll(async () => {
  server = await startNatsServer({ maxPayload: MAX_PAYLOAD });
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(async () => {
  db = openDatabase(scratch.file());
  clock = new SimulatedClock(Date.UTC(2030, 0, 1));
  log = new EventLog(db, { clock });
  leases = new LeaseTable(db, clock);
  supervisorNc = await connectNats(server.url);
  clientNc = await connectNats(server.url);
  supervisorTrust = new SupervisorTrust();
  clientTrust = new SupervisorTrust();
  supervisorTransport = new NatsTransport({ connection: supervisorNc, trust: supervisorTrust, logger: recordingLogger() });
  router = new Router(supervisorTransport);
  log.onCommit((envelopes) => router.route(envelopes));
  service = new LogService({
    connection: supervisorNc,
    trust: supervisorTrust,
    access: new LocalLogAccess(log, leases, router, TTL),
    logger: recordingLogger(),
  }).start();
  await supervisorNc.flush();
  incarnations = [];
  access = new NatsLogAccess({
    connection: clientNc,
    trust: clientTrust,
    timeoutMs: 2000,
    onIncarnationChange: (next, previous) => incarnations.push([next, previous]),
  });
});

afterEach(async () => {
  await service.stop();
  await supervisorTransport.close();
  await clientNc.close();
  await supervisorNc.close();
  log.close();
  db.close();
});

/** Sends a request body as given, bypassing NatsLogAccess, and decodes the reply. */
async function rawRequest(op: SssOp | 'drop', body: string, withHeader = true) {
  const h = headers();
  if (withHeader) h.set('Recq-Wire', '1');
  const msg = await clientNc.request(`recq.sss.${op}`, body, { timeout: 2000, headers: h });
  return decodeReply(op === 'drop' ? 'head' : op, msg.data, msg.headers);
}

const big = (n: number, bytes: number) => ({ topic: 'docs.stored', event: { type: 'doc.stored', n, body: 'x'.repeat(bytes) } });

describe('LogService with NatsLogAccess', () => {
  it('appends, reads and reports the head over request/reply', async () => {
    const results = await access.append([
      { topic: 'orders.placed', event: { type: 'order.placed', total: 30 }, key: 'o-1', id: 'o-1/placed', correlationId: 'k-1' },
      { topic: 'payments.done', event: { type: 'payment.done' }, causation: 'o-1/placed' },
      { topic: 'orders.shipped', event: { type: 'order.shipped' }, key: 'o-1' },
    ]);
    expect(results.map((r) => [r.seq, r.duplicate])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(results[0]?.id).toBe('o-1/placed');
    expect(await access.head()).toBe(3);
    expect(await access.read({ after: 0 })).toEqual(log.read({ after: 0 }));
    const orders = await access.read({ after: 1, patterns: ['orders.*'] });
    expect(orders.map((e) => [e.seq, e.topic, e.key])).toEqual([[3, 'orders.shipped', 'o-1']]);
    expect((await access.read({ after: 0, limit: 1 })).map((e) => e.seq)).toEqual([1]);
    expect(access.incarnation).toBe(service.incarnation);
  });

  it('returns the first seq for an id already in the log and adds nothing', async () => {
    const input = { topic: 'orders.placed', event: { type: 'order.placed' }, id: 'o-1/placed' };
    const [first] = await access.append([input]);
    const [again] = await access.append([{ ...input, event: { type: 'order.placed', changed: true } }]);
    expect(first).toEqual({ seq: 1, id: 'o-1/placed', duplicate: false });
    expect(again).toEqual({ seq: 1, id: 'o-1/placed', duplicate: true, differs: true });
    expect(await access.head()).toBe(1);
    expect((await access.read({ after: 0 }))[0]?.event).toEqual({ type: 'order.placed' });
  });

  it("caps each read reply below the server's max_payload with whole events, and repeated reads get everything", async () => {
    for (let batch = 0; batch < 5; batch++) await access.append([0, 1, 2, 3].map((i) => big(batch * 4 + i, 10_000)));
    expect(await access.head()).toBe(20);

    const first = await access.readPage({ after: 0, limit: 100 });
    expect(first.truncated).toBe(true);
    expect(first.events.length).toBeGreaterThan(0);
    expect(first.events.length).toBeLessThan(20);
    for (const event of first.events) expect((event.event.body as string).length).toBe(10_000);

    const seen = [...first.events];
    for (let page = first, requests = 1; page.truncated; requests++) {
      expect(requests).toBeLessThan(20);
      page = await access.readPage({ after: seen.at(-1)?.seq ?? 0, limit: 100 });
      seen.push(...page.events);
    }
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(seen.map((e) => e.event.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await access.read({ after: 0, limit: 100 })).map((e) => e.seq)).toEqual(seen.map((e) => e.seq));
    expect((await access.read({ after: 0, limit: 12 })).length).toBe(12);
  });

  it('refuses an event too large for max_payload with an error naming its seq and the setting to raise', async () => {
    await log.append(big(0, MAX_PAYLOAD + 1000));
    const reading = access.read({ after: 0 });
    await expect(reading).rejects.toBeInstanceOf(ExceedsMaxPayloadError);
    await expect(reading).rejects.toMatchObject({ code: 'EXCEEDS_MAX_PAYLOAD', seq: 1, maxPayload: MAX_PAYLOAD });
    await expect(reading).rejects.toThrow(/Event seq 1 in a read reply .* max_payload of 65536 bytes\. Raise max_payload/);

    await expect(access.append([big(1, MAX_PAYLOAD + 1000)])).rejects.toThrow(/The append request is \d+ bytes, over the NATS server's max_payload/);
    expect(await access.head()).toBe(1);
  });

  it('registers, heartbeats and unregisters consumers with leases, and reports lastRouted', async () => {
    await access.append([{ topic: 'orders.placed', event: { type: 'order.placed' } }]);
    const hostTransport = new NatsTransport({ connection: clientNc, trust: clientTrust, logger: recordingLogger() });
    const deliveries = new Inbox<Delivery>();
    hostTransport.onRoute('billing', deliveries.push);
    await clientNc.flush();

    const { lease, watermark } = await access.register('billing', ['orders.*'], 'w1');
    expect(lease).toMatchObject({ resource: 'consumer:billing', owner: 'w1', epoch: 1, expiresAt: clock.now() + TTL });
    expect(watermark).toBe(1);
    expect(await access.heartbeat(lease)).toBe(1);

    await access.append([{ topic: 'orders.paid', event: { type: 'order.paid' } }]);
    await access.append([{ topic: 'payments.done', event: { type: 'payment.done' } }]);
    clock.advance(1000);
    expect(await access.heartbeat(lease)).toBe(2);
    expect(lease.expiresAt).toBe(clock.now() + TTL);
    await deliveries.until(1);
    expect(deliveries.items.map((d) => [d.envelope.seq, d.prev])).toEqual([[2, 1]]);

    await expect(access.register('billing', ['orders.*'], 'w2')).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(access.register('billing', ['orders.*'], 'w2')).rejects.toMatchObject({ resource: 'consumer:billing', owner: 'w1' });

    await access.unregister(lease);
    expect(router.lastRouted('billing')).toBeUndefined();
    expect(leases.list().find((l) => l.resource === 'consumer:billing')?.expiresAt).toBe(0);

    const taken = await access.register('billing', ['orders.*'], 'w2');
    expect(taken.lease.epoch).toBe(2);
    await expect(access.heartbeat(lease)).rejects.toBeInstanceOf(StaleEpochError);
    await expect(access.unregister(lease)).rejects.toMatchObject({ code: 'STALE_EPOCH', epoch: 1, currentEpoch: 2 });
    expect(router.lastRouted('billing')).toBe(3);
    await hostTransport.close();
  });

  it('applies deliveries live only from the supervisor its log client heard; a transport that shares no trust only reads the log', async () => {
    const trusting = new NatsTransport({ connection: clientNc, trust: clientTrust, logger: recordingLogger() });
    const alone = new NatsTransport({ connection: clientNc, logger: recordingLogger() });
    const applied = new Inbox<Delivery>();
    const told = new Inbox<Delivery>();
    trusting.onRoute('billing', applied.push);
    alone.onRoute('billing', told.push);
    await clientNc.flush();

    await access.register('billing', ['orders.*'], 'w1');
    await access.append([{ topic: 'orders.placed', event: { type: 'order.placed' } }]);
    await applied.until(1);
    await told.until(1);
    expect(applied.items.map((d) => [d.envelope.seq, d.prev])).toEqual([[1, 0]]);
    // Stamped by a supervisor it never heard from: only news that the route reached seq 1.
    expect(told.items.map((d) => [d.envelope.seq, d.prev])).toEqual([[1, 1]]);
    await trusting.close();
    await alone.close();
  });

  it("refuses a relay's append under a superseded epoch and appends nothing", async () => {
    const { lease } = await access.register('billing', ['orders.*'], 'w1');
    const fence = lease;
    const [emitted] = await access.append([{ topic: 'invoices.sent', event: { type: 'invoice.sent' }, id: 'billing//1/0' }], fence);
    expect(emitted?.seq).toBe(1);

    clock.advance(TTL + 1);
    const taken = await access.register('billing', ['orders.*'], 'w2');
    const stale = access.append([{ topic: 'invoices.sent', event: { type: 'invoice.sent' }, id: 'billing//2/0' }], fence);
    await expect(stale).rejects.toBeInstanceOf(StaleEpochError);
    await expect(stale).rejects.toMatchObject({ resource: 'consumer:billing', epoch: 1, currentEpoch: 2 });
    expect(await access.head()).toBe(1);
    expect(log.seqOf('billing//2/0')).toBeUndefined();

    const current = await access.append([{ topic: 'invoices.sent', event: { type: 'invoice.sent' }, id: 'billing//2/0' }], taken.lease);
    expect(current.map((r) => r.seq)).toEqual([2]);
  });

  it('refuses bad requests with typed errors and changes nothing', async () => {
    await access.register('billing', ['orders.*'], 'w1');
    await access.append([{ topic: 'orders.placed', event: { type: 'order.placed' } }]);
    const before = { head: log.head(), leases: leases.list(), lastRouted: router.lastRouted('billing') };

    const refusal = async (reply: Promise<{ ok: boolean; error?: RecqError }>) => {
      const result = await reply;
      expect(result.ok).toBe(false);
      return result.error as RecqError;
    };
    const garbage = await refusal(rawRequest('append', '{"inputs": [oops'));
    expect(garbage).toBeInstanceOf(MalformedMessageError);
    expect(garbage.message).toMatch(/Malformed append request: body is not UTF-8 JSON/);
    expect((await refusal(rawRequest('head', '{}', false))).message).toMatch(/header Recq-Wire is missing/);
    expect((await refusal(rawRequest('register', JSON.stringify({ consumer: 'billing', patterns: ['orders.*'] })))).message).toMatch(
      /Malformed register request: owner is missing, expected a non-empty string/,
    );
    expect(await refusal(rawRequest('register', JSON.stringify({ consumer: 'billing', patterns: ['orders.>.x'], owner: 'w2' })))).toBeInstanceOf(
      InvalidPatternError,
    );
    expect((await refusal(rawRequest('register', JSON.stringify({ consumer: 'bill ing', patterns: ['orders.*'], owner: 'w2' })))).code).toBe(
      'INVALID_CONSUMER',
    );
    expect((await refusal(rawRequest('append', JSON.stringify({ inputs: [] })))).message).toMatch(/inputs is \[\], expected an array of 1-10000 items/);
    expect((await refusal(rawRequest('read', JSON.stringify({ limit: -1 })))).message).toMatch(/limit is -1, expected an integer >= 1/);
    const logLease = { resource: 'log', owner: 'x', epoch: 1, expiresAt: 0 };
    expect((await refusal(rawRequest('heartbeat', JSON.stringify({ lease: logLease })))).message).toMatch(
      /lease\.resource is "log", expected "consumer:<consumer>"/,
    );
    expect((await refusal(rawRequest('unregister', JSON.stringify({ lease: logLease }))))?.code).toBe('MALFORMED_MESSAGE');
    expect((await refusal(rawRequest('drop', '{}'))).message).toMatch(/subject "recq\.sss\.drop" names no operation/);

    await expect(access.append([{ topic: 'orders..placed', event: { type: 'order.placed' } }])).rejects.toBeInstanceOf(InvalidTopicError);
    await expect(
      access.append([
        { topic: 'orders.placed', event: { type: 'ok' } },
        { topic: 'orders.*', event: { type: 'x' } },
      ]),
    ).rejects.toThrow(/Invalid topic "orders\.\*": wildcards belong in subscriptions/);
    await expect(access.append([{ topic: 'orders.placed', event: { total: 3 } as unknown as { type: string } }])).rejects.toBeInstanceOf(InvalidEventError);
    await expect(access.read({ patterns: ['orders.>.x'] })).rejects.toBeInstanceOf(InvalidPatternError);

    expect({ head: log.head(), leases: leases.list(), lastRouted: router.lastRouted('billing') }).toEqual(before);
    expect(await access.head()).toBe(before.head);
  });

  it('reports a new incarnation when the service is restarted', async () => {
    await access.head();
    const first = service.incarnation;
    expect(access.incarnation).toBe(first);
    await service.stop();
    await expect(access.head()).rejects.toBeInstanceOf(SupervisorUnreachableError);

    service = new LogService({
      connection: supervisorNc,
      trust: supervisorTrust,
      access: new LocalLogAccess(log, leases, router, TTL),
      logger: recordingLogger(),
    }).start();
    await supervisorNc.flush();
    await access.head();
    expect(service.incarnation).not.toBe(first);
    expect(access.incarnation).toBe(service.incarnation);
    expect(incarnations).toEqual([[service.incarnation, first]]);
  });
});
