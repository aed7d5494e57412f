import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { recorder } from '../invariants/fixtures.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';
import { metricsUrl, scrape } from './scrape.ts';

describe('Prometheus metrics over NATS', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await nats.stop();
  });
  // Registered after the server's hooks, so its systems stop before the server does.
  const scratch = useScratch();

  it("serves the log's series from the supervisor and the consumers' from the worker, outbox included, and the worker's counters while the supervisor is down", async () => {
    const options = { nats: { servers: nats.url, namespace: 'metrics' }, leaseTtlMs: 3_000, logger: silentLogger, metrics: true } as const;
    const supervisor = scratch.keep(await startSupervisor({ ...options, db: scratch.file('sss.db') }));
    const worker = scratch.keep(await startWorker({ ...options, db: scratch.file('worker.db'), components: [recorder()], owner: 'worker-1' }));
    await worker.publishMany([1, 2, 3].map((amount) => ({ topic: 'inv.a', event: { type: 'add', amount }, key: `k${amount}` })));
    await worker.settled();

    const log = await scrape(metricsUrl(supervisor));
    // Three published, and the three `recorded.add` the worker's relay moved from its outbox.
    expect(log.value('recq_log_head')).toBe(6);
    expect(log.value('recq_log_appends_total')).toBe(6);
    expect(log.value('recq_log_lease_epoch')).toBe(1);
    expect(log.value('recq_supervisor_state', { state: 'leading' })).toBe(1);
    expect(log.names().has('recq_consumer_offset')).toBe(false);

    const hosts = await scrape(metricsUrl(worker));
    const of = { consumer: 'recorder' };
    expect(hosts.value('recq_consumer_events_applied_total', of)).toBe(3);
    expect(hosts.value('recq_consumer_offset', of)).toBe(3);
    expect(hosts.value('recq_consumer_lag_events', of)).toBe(0);
    expect(hosts.value('recq_consumer_lag_seconds', of)).toBe(0);
    expect(hosts.value('recq_consumer_outbox_pending', of)).toBe(0);
    expect(hosts.value('recq_consumer_lease_held', of)).toBe(1);
    expect(hosts.value('recq_consumer_lease_epoch', of)).toBe(1);
    expect(hosts.value('recq_consumer_actors_stored', of)).toBe(3);
    expect(hosts.value('recq_runner_state', { state: 'running' })).toBe(1);
    expect(hosts.value('recq_checkpoint_batch_events_sum', of)).toBe(3);
    // The worker leads no log: it counts no appends of its own.
    expect(hosts.names().has('recq_log_appends_total')).toBe(false);
    expect(hosts.value('recq_status_up')).toBe(1);

    // With the supervisor gone, the worker cannot read its status: the gauges go empty, the counters stay.
    await supervisor.stop();
    const orphaned = await scrape(metricsUrl(worker));
    expect(orphaned.value('recq_status_up')).toBe(0);
    expect(orphaned.names().has('recq_consumer_offset')).toBe(false);
    expect(orphaned.value('recq_consumer_events_applied_total', of)).toBe(3);
  });
});
