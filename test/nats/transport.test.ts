import { headers, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/envelope.ts';
import { connectNats } from '../../src/nats/connection.ts';
import { NatsTransport } from '../../src/transport/nats-transport.ts';
import type { Delivery } from '../../src/transport/transport.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { Inbox } from './inbox.ts';
import { recordingLogger } from './recording-logger.ts';

let server: NatsServer;
let opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.stop();
});

afterEach(async () => {
  for (const item of opened.reverse()) await item.close();
  opened = [];
});

async function connection(): Promise<NatsConnection> {
  const nc = await connectNats(server.url);
  opened.push(nc);
  return nc;
}

function transport(nc: NatsConnection, options: Partial<ConstructorParameters<typeof NatsTransport>[0]> = {}): NatsTransport {
  const t = new NatsTransport({ connection: nc, logger: recordingLogger(), ...options });
  opened.unshift(t);
  return t;
}

const envelope = (seq: number, topic: string, extra: Partial<Envelope> = {}): Envelope => ({
  seq,
  id: `e-${seq}`,
  topic,
  time: 1_900_000_000_000 + seq,
  event: { type: topic, n: seq },
  ...extra,
});

const seqs = (items: readonly (Delivery | Envelope)[]): number[] => items.map((item) => ('envelope' in item ? item.envelope.seq : item.seq));

describe('NatsTransport', () => {
  it("routes each delivery only to its consumer's handler, with envelope and prev intact", async () => {
    const router = transport(await connection());
    const hostConnection = await connection();
    const hosts = transport(hostConnection);
    const billing = new Inbox<Delivery>();
    const shipping = new Inbox<Delivery>();
    hosts.onRoute('billing', billing.push);
    hosts.onRoute('shipping', shipping.push);
    await hostConnection.flush();

    const first = envelope(1, 'orders.placed', { key: 'o-1', causation: 'c-0', correlationId: 'k-9' });
    router.route('billing', { envelope: first, prev: 0 });
    router.route('shipping', { envelope: envelope(2, 'orders.shipped'), prev: 0 });
    router.route('billing', { envelope: envelope(3, 'orders.paid'), prev: 1 });
    // Sent last on the same connection: once it arrives, anything misrouted before it would have too.
    router.route('shipping', { envelope: envelope(4, 'orders.shipped'), prev: 2 });

    await billing.until(2);
    await shipping.until(2);
    expect(seqs(billing.items)).toEqual([1, 3]);
    expect(seqs(shipping.items)).toEqual([2, 4]);
    expect(billing.items[0]).toEqual({ envelope: first, prev: 0 });
    expect(billing.items[1]?.prev).toBe(1);
  });

  it('announces each event to the observers whose pattern matches its topic, and to no others', async () => {
    const router = transport(await connection());
    const observerConnection = await connection();
    const observers = transport(observerConnection);
    const oneToken = new Inbox<Envelope>();
    const rest = new Inbox<Envelope>();
    const everything = new Inbox<Envelope>();
    const payments = new Inbox<Envelope>();
    observers.observe('orders.*', oneToken.push);
    observers.observe('orders.>', rest.push);
    observers.observe('>', everything.push);
    observers.observe('payments.*', payments.push);
    await observerConnection.flush();

    const placed = envelope(1, 'orders.placed', { key: 'o-1' });
    router.announce(placed);
    router.announce(envelope(2, 'orders.eu.placed'));
    router.announce(envelope(3, 'payments.done'));

    // All observers share one connection, so when the last event reaches '>' the rest have arrived.
    await everything.until(3);
    expect(seqs(everything.items)).toEqual([1, 2, 3]);
    expect(seqs(oneToken.items)).toEqual([1]);
    expect(seqs(rest.items)).toEqual([1, 2]);
    expect(seqs(payments.items)).toEqual([3]);
    expect(oneToken.items[0]).toEqual(placed);
  });

  it('keeps two namespaces on one server apart', async () => {
    const publishers = await connection();
    const subscribers = await connection();
    const alpha = transport(publishers, { namespace: 'alpha' });
    const beta = transport(publishers, { namespace: 'beta' });
    const alphaHost = transport(subscribers, { namespace: 'alpha' });
    const betaHost = transport(subscribers, { namespace: 'beta' });
    const alphaRoutes = new Inbox<Delivery>();
    const betaRoutes = new Inbox<Delivery>();
    const alphaEvents = new Inbox<Envelope>();
    const betaEvents = new Inbox<Envelope>();
    alphaHost.onRoute('billing', alphaRoutes.push);
    betaHost.onRoute('billing', betaRoutes.push);
    alphaHost.observe('>', alphaEvents.push);
    betaHost.observe('>', betaEvents.push);
    await subscribers.flush();

    alpha.route('billing', { envelope: envelope(1, 'orders.placed'), prev: 0 });
    alpha.announce(envelope(1, 'orders.placed'));
    beta.route('billing', { envelope: envelope(7, 'orders.placed'), prev: 0 });
    beta.announce(envelope(7, 'orders.placed'));

    await betaEvents.until(1);
    await alphaEvents.until(1);
    expect(seqs(alphaRoutes.items)).toEqual([1]);
    expect(seqs(alphaEvents.items)).toEqual([1]);
    expect(seqs(betaRoutes.items)).toEqual([7]);
    expect(seqs(betaEvents.items)).toEqual([7]);
  });

  it('logs and drops malformed messages, and the next valid delivery still arrives', async () => {
    const raw = await connection();
    const router = transport(raw);
    const hostConnection = await connection();
    const logger = recordingLogger();
    const host = transport(hostConnection, { logger });
    const billing = new Inbox<Delivery>();
    const observed = new Inbox<Envelope>();
    host.onRoute('billing', billing.push);
    host.observe('orders.*', observed.push);
    await hostConnection.flush();

    const wire = headers();
    wire.set('Recq-Wire', '1');
    raw.publish('recq.route.billing', 'not json at all');
    raw.publish('recq.route.billing', JSON.stringify({ envelope: envelope(1, 'orders.placed'), prev: 0 }));
    raw.publish('recq.route.billing', JSON.stringify({ envelope: { ...envelope(1, 'orders.placed'), seq: -1 }, prev: 0 }), { headers: wire });
    raw.publish('recq.route.billing', JSON.stringify({ envelope: envelope(1, 'orders..placed'), prev: 0 }), { headers: wire });
    raw.publish('recq.route.billing', JSON.stringify({ envelope: envelope(1, 'orders.placed'), prev: 1 }), { headers: wire });
    raw.publish('recq.evt.orders.placed', JSON.stringify(envelope(1, 'orders.paid')), { headers: wire });
    const valid = envelope(5, 'orders.placed');
    router.route('billing', { envelope: valid, prev: 4 });
    router.announce(valid);

    await billing.until(1);
    await observed.until(1);
    expect(billing.items).toEqual([{ envelope: valid, prev: 4 }]);
    expect(observed.items).toEqual([valid]);
    const dropped = logger.lines.filter((line) => line.message === 'dropped a malformed message');
    expect(dropped.map((line) => line.fields.subject)).toEqual([...Array(5).fill('recq.route.billing'), 'recq.evt.orders.placed']);
    const reasons = dropped.map((line) => String(line.fields.error));
    expect(reasons[0]).toMatch(/Recq-Wire/);
    expect(reasons[1]).toMatch(/Recq-Wire/);
    expect(reasons[2]).toMatch(/envelope\.seq is -1, expected an integer >= 1/);
    expect(reasons[3]).toMatch(/Invalid topic "orders\.\.placed"/);
    expect(reasons[4]).toMatch(/prev is 1, expected a seq below envelope\.seq 1/);
    expect(reasons[5]).toMatch(/envelope\.topic is "orders\.paid", expected "orders\.placed"/);
  });

  it('logs a handler that throws and keeps delivering', async () => {
    const router = transport(await connection());
    const hostConnection = await connection();
    const logger = recordingLogger();
    const host = transport(hostConnection, { logger });
    const received = new Inbox<Delivery>();
    host.onRoute('billing', (delivery) => {
      received.push(delivery);
      if (delivery.envelope.seq === 1) throw new Error('handler bug');
    });
    await hostConnection.flush();

    router.route('billing', { envelope: envelope(1, 'orders.placed'), prev: 0 });
    router.route('billing', { envelope: envelope(2, 'orders.placed'), prev: 1 });

    await received.until(2);
    expect(seqs(received.items)).toEqual([1, 2]);
    expect(logger.lines).toEqual([
      { level: 'error', message: 'a delivery handler failed', fields: { consumer: 'billing', seq: 1, error: new Error('handler bug') } },
    ]);
  });

  it('refuses bad consumer names and patterns before subscribing', async () => {
    const nc = await connection();
    const t = transport(nc);
    expect(() => t.onRoute('bill ing', () => {})).toThrow(/Invalid consumer name "bill ing"/);
    expect(() => t.onRoute('orders.*', () => {})).toThrow(/INVALID_CONSUMER|Invalid consumer/);
    expect(() => t.observe('orders.>.x', () => {})).toThrow(/Invalid subscription pattern/);
    expect(() => new NatsTransport({ connection: nc, namespace: 'a.b' })).toThrow(/Invalid option namespace/);
  });
});
