import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type System, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { recorder, tempDir } from '../invariants/fixtures.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';

describe('a worker standing by', () => {
  let tmp: ReturnType<typeof tempDir>;
  let nats: NatsServer;
  const systems: System[] = [];
  beforeEach(async () => {
    tmp = tempDir();
    nats = await startNatsServer();
  });
  afterEach(async () => {
    for (const system of systems.splice(0).reverse()) await system.stop().catch(() => {});
    await nats.stop();
    tmp.remove();
  });

  it('reports standby in its status, and stops cleanly without ever owning the consumer', async () => {
    const options = { nats: { servers: nats.url, namespace: 'standby' }, leaseTtlMs: 3_000, logger: silentLogger };
    systems.push(await startSupervisor({ ...options, db: tmp.file('sss.db') }));
    const owner = await startWorker({ ...options, db: tmp.file('a.db'), components: [recorder()], owner: 'a' });
    systems.push(owner);
    const standby = await startWorker({ ...options, db: tmp.file('b.db'), components: [recorder()], owner: 'b' });
    await owner.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    await owner.settled();
    expect((await standby.status()).consumers[0]).toMatchObject({ hostState: 'standby', offset: 0 });
    await standby.stop();
    expect((await owner.routes()).leases.find((lease) => lease.resource === 'consumer:recorder')).toMatchObject({ owner: 'a', epoch: 1 });
  });
});
