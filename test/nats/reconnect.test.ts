import type { NatsConnection } from 'nats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock.ts';
import { openDatabase, type SqliteDatabase } from '../../src/db.ts';
import { type ConnectionEvent, connectNats, watchConnection } from '../../src/nats/connection.ts';
import { SupervisorTrust } from '../../src/nats/supervisor-trust.ts';
import { EventLog } from '../../src/sss/event-log.ts';
import { LeaseTable } from '../../src/sss/lease-table.ts';
import { LocalLogAccess } from '../../src/sss/local-log-access.ts';
import { NatsLogAccess } from '../../src/sss/nats/log-client.ts';
import { LogService } from '../../src/sss/nats/log-service.ts';
import { Router } from '../../src/sss/router.ts';
import { NatsTransport } from '../../src/transport/nats-transport.ts';
import type { Delivery } from '../../src/transport/transport.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';
import { Inbox } from './inbox.ts';
import { recordingLogger } from './recording-logger.ts';

let server: NatsServer;
const scratch = useScratch();
let db: SqliteDatabase;
let log: EventLog;
let leases: LeaseTable;
let supervisorNc: NatsConnection;
let clientNc: NatsConnection;

beforeEach(async () => {
  server = await startNatsServer();
  db = openDatabase(scratch.file());
  const clock = new SimulatedClock(Date.UTC(2030, 0, 1));
  log = new EventLog(db, { clock });
  leases = new LeaseTable(db, clock);
  supervisorNc = await connectNats(server.url);
  clientNc = await connectNats(server.url);
});

afterEach(async () => {
  await clientNc.close();
  await supervisorNc.close();
  log.close();
  db.close();
  await server.stop();
});

const typesOf = (events: readonly ConnectionEvent[]): string[] => events.map((event) => event.type);

describe('NATS reconnect', () => {
  it('reconnects after the server is killed and restarted on the same port, and request/reply and routes work again', async () => {
    const supervisorEvents = new Inbox<ConnectionEvent>();
    const supervisorTrust = new SupervisorTrust();
    const supervisorTransport = new NatsTransport({
      connection: supervisorNc,
      trust: supervisorTrust,
      logger: recordingLogger(),
      onConnectionEvent: supervisorEvents.push,
    });
    const router = new Router(supervisorTransport);
    log.onCommit((envelopes) => router.route(envelopes));
    const service = new LogService({
      connection: supervisorNc,
      trust: supervisorTrust,
      access: new LocalLogAccess(log, leases, router, 15_000),
      logger: recordingLogger(),
    }).start();
    await supervisorNc.flush();

    const clientEvents = new Inbox<ConnectionEvent>();
    const stopWatching = watchConnection(clientNc, clientEvents.push);
    const clientTrust = new SupervisorTrust();
    const access = new NatsLogAccess({ connection: clientNc, trust: clientTrust, timeoutMs: 2000 });
    const host = new NatsTransport({ connection: clientNc, trust: clientTrust, logger: recordingLogger() });
    const deliveries = new Inbox<Delivery>();
    host.onRoute('billing', deliveries.push);
    await clientNc.flush();
    const { watermark } = await access.register('billing', ['orders.*'], 'w1');
    expect(watermark).toBe(0);

    await server.kill();
    await clientEvents.when((events) => events.some((e) => e.type === 'disconnect'), 'a disconnect');
    await supervisorEvents.when((events) => events.some((e) => e.type === 'disconnect'), 'a disconnect');

    await server.restart();
    await clientEvents.when((events) => events.some((e) => e.type === 'reconnect'), 'a reconnect');
    await supervisorEvents.when((events) => events.some((e) => e.type === 'reconnect'), 'a reconnect');
    // Both clients resubscribe as part of reconnecting; a flush makes sure the server has the subscriptions.
    await supervisorNc.flush();
    await clientNc.flush();

    const [placed] = await access.append([{ topic: 'orders.placed', event: { type: 'order.placed' } }]);
    expect(placed?.seq).toBe(1);
    expect(await access.head()).toBe(1);
    await deliveries.until(1);
    expect(deliveries.items.map((d) => [d.envelope.seq, d.prev])).toEqual([[1, 0]]);
    expect(access.incarnation).toBe(service.incarnation);

    const seen = typesOf(clientEvents.items);
    expect(seen.indexOf('disconnect')).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('reconnect')).toBeGreaterThan(seen.indexOf('disconnect'));
    expect(clientEvents.items.find((e) => e.type === 'reconnect')).toEqual({ type: 'reconnect', server: `127.0.0.1:${server.port}` });

    stopWatching();
    await host.close();
    await service.stop();
    await supervisorTransport.close();
  });

  it('reports a closed connection as the last event', async () => {
    const events = new Inbox<ConnectionEvent>();
    watchConnection(clientNc, events.push);
    await clientNc.close();
    await events.when((items) => items.some((e) => e.type === 'closed'), 'closed');
    expect(typesOf(events.items)).toEqual(['closed']);
  });
});
