import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { recorder } from '../invariants/fixtures.ts';
import { listeningLogger } from '../support/listening-logger.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';

describe('a worker standing by', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await nats.stop();
  });
  // Registered after the server's hooks, so its systems stop before the server does.
  const scratch = useScratch();

  it('reports standby in its status, and stops cleanly without ever owning the consumer', async () => {
    const options = { nats: { servers: nats.url, namespace: 'standby' }, leaseTtlMs: 3_000, logger: silentLogger };
    scratch.keep(await startSupervisor({ ...options, db: scratch.file('sss.db') }));
    const owner = scratch.keep(await startWorker({ ...options, db: scratch.file('a.db'), components: [recorder()], owner: 'a' }));
    const standby = scratch.keep(await startWorker({ ...options, db: scratch.file('b.db'), components: [recorder()], owner: 'b' }));
    await owner.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    await owner.settled();
    expect((await standby.status()).consumers[0]).toMatchObject({ hostState: 'standby', offset: 0 });
    await standby.stop();
    expect((await owner.routes()).leases.find((lease) => lease.resource === 'consumer:recorder')).toMatchObject({ owner: 'a', epoch: 1 });
  });

  it('starts while the supervisor is down, says it waits for it once, and takes its consumer when it comes', async () => {
    const options = { nats: { servers: nats.url, namespace: 'late' }, leaseTtlMs: 3_000 };
    const log = listeningLogger();
    const worker = scratch.keep(await startWorker({ ...options, db: scratch.file('w.db'), components: [recorder()], logger: log.logger }));
    // status() asks the supervisor for the head; the live view needs nobody.
    expect(worker.view.getSnapshot().context.consumers.recorder).toMatchObject({ hostState: 'standby' });
    expect(log.lines.filter((line) => line.startsWith('consumer recorder waits for the supervisor'))).toHaveLength(1);

    scratch.keep(await startSupervisor({ ...options, db: scratch.file('sss.db'), logger: silentLogger }));
    await log.next(/^consumer recorder reached the supervisor$/);
    await worker.publish('inv.a', { type: 'add', amount: 5 }, { key: 'k1' });
    await worker.settled();
    expect((await worker.query('recorder', 'k1')).context).toMatchObject({ sum: 5 });
  });
});
