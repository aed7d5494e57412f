/**
 * Consumers' leases across a change of JetStream leader, on a real nats-server: two
 * supervisors' stream nodes in this process, each with its own SQLite file. The first leads,
 * grants a consumer to one worker, sees it released and grants it to another (a higher
 * epoch), then crashes. The second leads the next term from the lease records of the stream:
 * the older lease, presented first, is refused, the current one renews, a forged token or a
 * made-up consumer is refused, and the next grant raises the epoch again.
 */
import path from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { openDatabase } from '../../src/db.ts';
import { LeaseHeldError, LeaseNotHeldError, StaleEpochError } from '../../src/errors.ts';
import type { Lease } from '../../src/lease.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { SupervisorTrust } from '../../src/nats/supervisor-trust.ts';
import { StreamNode } from '../../src/sss/jetstream/stream-node.ts';
import { MemoryTransport } from '../../src/transport/memory.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { TempDir } from '../support/temp-dir.ts';

const PLACE = { stream: 'terms_sss', subject: 'terms.log', bucket: 'terms_supervisors', replicas: 1, livenessTtlMs: 400, ackTimeoutMs: 5000 };
// Nothing expires on its own during the test: every change of holder is a release.
const LEASE_TTL_MS = 60_000;

describe('a new JetStream term and the consumers’ leases of the one before', () => {
  let nats: NatsServer;
  const dir = new TempDir();
  const connections: NatsConnection[] = [];

  async function node(owner: string): Promise<StreamNode> {
    const connection = await connect({ servers: nats.url });
    connections.push(connection);
    const stream = new StreamNode({
      db: openDatabase(dir.file(`${owner}.db`)),
      clock: systemClock,
      logger: silentLogger,
      owner,
      leaseTtlMs: LEASE_TTL_MS,
      maxPayloadBytes: 1024 * 1024,
      transport: new MemoryTransport(),
      nats: { connection, trust: new SupervisorTrust(), namespace: 'terms' },
      place: PLACE,
    });
    await stream.open();
    return stream;
  }

  let first: StreamNode;
  let second: StreamNode;
  let older: Lease;
  let current: Lease;
  let kept: Lease;

  beforeAll(async () => {
    nats = await startNatsServer({ config: (d) => `jetstream { store_dir: ${JSON.stringify(path.join(d, 'jetstream'))} }` });
    first = await node('sup-a');
    await first.lead();
    second = await node('sup-b');
    const secondLeads = second.lead();

    older = (await first.access.register('payments', ['pay.*'], 'worker-1')).lease;
    await first.access.unregister(older);
    current = (await first.access.register('payments', ['pay.*'], 'worker-2')).lease;
    kept = (await first.access.register('orders', ['order.*'], 'worker-1')).lease;
    await first.halt();
    await secondLeads;
  }, 60_000);

  afterAll(async () => {
    await second?.close();
    for (const connection of connections) await connection.close();
    await nats?.stop();
    dir.remove();
  });

  it('gave the second holder a higher epoch, and the new term leads at epoch 2', () => {
    expect(current.epoch).toBe(older.epoch + 1);
    expect(second.leadingEpoch).toBe(2);
  });

  it('refuses the older lease, presented first, and keeps the current one renewing', async () => {
    await expect(second.access.heartbeat({ ...older })).rejects.toMatchObject({ name: StaleEpochError.name, epoch: older.epoch, currentEpoch: current.epoch });
    await expect(second.access.append([{ topic: 'pay.done', event: { type: 'done' } }], { ...older })).rejects.toBeInstanceOf(StaleEpochError);
    await expect(second.access.heartbeat({ ...current })).resolves.toBeTypeOf('number');
    await expect(second.access.heartbeat({ ...kept })).resolves.toBeTypeOf('number');
  });

  it('refuses a forged token, and a lease of a consumer no one was granted', async () => {
    await expect(second.access.heartbeat({ ...current, token: 'f'.repeat(32) })).rejects.toBeInstanceOf(LeaseNotHeldError);
    await expect(
      second.access.heartbeat({ resource: 'consumer:ghost', owner: 'worker-9', epoch: 7, expiresAt: 0, token: 'f'.repeat(32) }),
    ).rejects.toBeInstanceOf(StaleEpochError);
  });

  it('lets the holder of an older term register again at its epoch, and no one else take it meanwhile', async () => {
    await expect(second.access.register('orders', ['order.*'], 'worker-2')).rejects.toBeInstanceOf(LeaseHeldError);
    const again = await second.access.register('orders', ['order.*'], 'worker-1', { ...kept });
    expect(again.lease.epoch).toBe(kept.epoch);
  });

  it('raises the epoch again for the next holder: an epoch never goes back', async () => {
    await second.access.unregister({ ...current });
    const next = (await second.access.register('payments', ['pay.*'], 'worker-1')).lease;
    expect(next.epoch).toBe(current.epoch + 1);
  });
});
