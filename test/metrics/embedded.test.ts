import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSystem, defineComponent, InvalidOptionError, SimulatedClock, StartFailedError, type System, silentLogger } from '../../src/index.ts';
import { applierMachine, FailurePlan } from '../failures/fixtures.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { useScratch } from '../support/scratch.ts';
import { metricsUrl, scrape } from './scrape.ts';

describe('Prometheus metrics of an embedded system', () => {
  const scratch = useScratch();
  const publish = (s: System, count: number) =>
    s.publishMany(Array.from({ length: count }, (_, i) => ({ topic: 'inv.a', event: { type: 'add', amount: i }, key: `k${i % 3}` })));

  it('serves the log and consumer series on /metrics, and they move as events are applied and checkpointed', async () => {
    const s = await scratch.start({ db: scratch.file(), components: [recorder(), tally()], logger: silentLogger, metrics: { port: 0 } });
    const before = await scrape(metricsUrl(s));
    expect(before.contentType).toContain('text/plain');
    expect(before.value('recq_status_up')).toBe(1);
    expect(before.value('recq_log_head')).toBe(0);
    expect(before.value('recq_consumer_events_applied_total', { consumer: 'recorder' })).toBe(0);
    expect(before.value('recq_log_lease_epoch')).toBe(1);
    expect(before.value('recq_supervisor_state', { state: 'leading' })).toBe(1);

    await publish(s, 6);
    await s.settled();
    const after = await scrape(s.metrics?.url);
    // Six published, and one `recorded.add` emitted per event and applied by the tally.
    expect(after.value('recq_log_head')).toBe(12);
    expect(after.value('recq_log_appends_total')).toBe(12);
    expect(after.value('recq_consumer_events_applied_total', { consumer: 'recorder' })).toBe(6);
    expect(after.value('recq_consumer_events_applied_total', { consumer: 'tally' })).toBe(6);
    expect(after.value('recq_consumer_offset', { consumer: 'tally' })).toBe(12);
    expect(after.value('recq_consumer_committed_offset', { consumer: 'recorder' })).toBe(6);
    expect(after.value('recq_consumer_lag_events', { consumer: 'recorder' })).toBe(0);
    expect(after.value('recq_consumer_lag_seconds', { consumer: 'recorder' })).toBe(0);
    expect(after.value('recq_consumer_actors_active', { consumer: 'recorder' })).toBe(3);
    expect(after.value('recq_consumer_actors_stored', { consumer: 'recorder' })).toBe(3);
    expect(after.value('recq_consumer_lease_epoch', { consumer: 'recorder' })).toBe(1);
    expect(after.value('recq_consumer_lease_held', { consumer: 'recorder' })).toBe(1);
    expect(after.value('recq_consumer_host_state', { consumer: 'recorder', state: 'live' })).toBe(1);
    expect(after.value('recq_consumer_timers_pending', { consumer: 'recorder' })).toBe(0);
    expect(after.value('recq_consumer_failures_total', { consumer: 'recorder' })).toBe(0);
    expect(after.value('recq_consumer_restarts_total', { consumer: 'recorder' })).toBe(0);
    const checkpoints = after.value('recq_checkpoint_batch_events_count', { consumer: 'recorder' }) ?? 0;
    expect(checkpoints).toBeGreaterThan(0);
    expect(after.value('recq_checkpoint_batch_events_sum', { consumer: 'recorder' })).toBe(6);
    expect(after.value('recq_checkpoint_duration_seconds_count', { consumer: 'recorder' })).toBe(checkpoints);
    // An embedded system has no outbox; the default process metrics are there under their usual names.
    expect(after.names().has('recq_consumer_outbox_pending')).toBe(false);
    expect(after.names().has('process_cpu_seconds_total')).toBe(true);

    await publish(s, 3);
    await s.settled();
    expect((await scrape(s.metrics?.url)).value('recq_checkpoint_batch_events_count', { consumer: 'recorder' })).toBeGreaterThan(checkpoints);
  });

  it('reports the lag of a paused consumer in events and in seconds of the oldest unapplied event, back to 0 once it catches up', async () => {
    const clock = new SimulatedClock(1_000_000);
    const s = await scratch.start({ db: scratch.file(), components: [recorder()], clock, leaseTtlMs: 86_400_000, logger: silentLogger, metrics: true });
    await publish(s, 2);
    await s.settled();
    s.pause('recorder');
    await publish(s, 3);
    clock.advance(4_000);
    await publish(s, 1);
    clock.advance(1_500);
    const behind = await scrape(s.metrics?.url);
    // Seqs 3-4 are what it emitted for the first two; 5-8 are routed to it and not applied.
    expect(behind.value('recq_consumer_lag_events', { consumer: 'recorder' })).toBe(6);
    // The oldest event it has not applied was committed 5.5 s ago.
    expect(behind.value('recq_consumer_lag_seconds', { consumer: 'recorder' })).toBe(5.5);
    expect(behind.value('recq_consumer_host_state', { consumer: 'recorder', state: 'paused' })).toBe(1);

    s.resume('recorder');
    await s.settled();
    const caughtUp = await scrape(s.metrics?.url);
    expect(caughtUp.value('recq_consumer_lag_events', { consumer: 'recorder' })).toBe(0);
    expect(caughtUp.value('recq_consumer_lag_seconds', { consumer: 'recorder' })).toBe(0);
    expect(caughtUp.value('recq_consumer_offset', { consumer: 'recorder' })).toBe(8);
  });

  it('counts the failures, retries and dead letters of a failing component', async () => {
    const plan = new FailurePlan();
    plan.failFirst.set('bad', 1_000);
    const applier = defineComponent({
      name: 'applier',
      logic: applierMachine(plan),
      subscribe: 'work.*',
      key: true,
      retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
    });
    const s = await scratch.start({ db: scratch.file(), components: [applier], logger: silentLogger, metrics: true });
    for (const name of ['ok-1', 'bad', 'ok-2']) await s.publish('work.apply', { type: 'apply', name }, { key: 'k', id: name });
    await s.settled();
    const metrics = await scrape(s.metrics?.url);
    const of = { consumer: 'applier' };
    expect(metrics.value('recq_consumer_failures_total', of)).toBe(3);
    expect(metrics.value('recq_consumer_retries_total', of)).toBe(2);
    expect(metrics.value('recq_consumer_dead_letters_total', of)).toBe(1);
    expect(metrics.value('recq_consumer_dead_letters_waiting', of)).toBe(1);
    expect(metrics.value('recq_consumer_events_applied_total', of)).toBe(2);
  });

  it('puts the series in a registry given to it, serves nothing with port false, and takes them out again on stop', async () => {
    const registry = new Registry();
    const s = await createSystem({ db: scratch.file(), components: [recorder()], logger: silentLogger, metrics: { registry, port: false } });
    expect(s.metrics?.url).toBeUndefined();
    expect(s.metrics?.registry).toBe(registry);
    await publish(s, 2);
    await s.settled();
    const text = await registry.metrics();
    expect(text).toContain('recq_consumer_events_applied_total{consumer="recorder"} 2');
    // Yours may hold the process metrics already: they are not added to it unless asked for.
    expect(text).not.toContain('process_cpu_seconds_total');
    await s.stop();
    expect(registry.getMetricsAsArray()).toEqual([]);
  });

  it('runs two systems in one process, each with its own series and server, and closes the server on stop', async () => {
    const a = await scratch.start({ db: scratch.file('a.db'), components: [recorder()], logger: silentLogger, metrics: true });
    const b = await scratch.start({ db: scratch.file('b.db'), components: [recorder()], logger: silentLogger, metrics: true });
    await publish(a, 3);
    await a.settled();
    expect(a.metrics?.url).not.toBe(b.metrics?.url);
    expect((await scrape(a.metrics?.url)).value('recq_log_head')).toBe(6);
    expect((await scrape(b.metrics?.url)).value('recq_log_head')).toBe(0);
    const url = metricsUrl(a);
    await a.stop();
    await expect(fetch(url)).rejects.toThrow();
    expect((await fetch(metricsUrl(b).replace(/\/metrics$/, '/other'))).status).toBe(404);
  });

  it('fails the start with StartFailedError when the port is taken, and leaves the file free for the next system', async () => {
    const taken = await scratch.start({ db: scratch.file('a.db'), components: [recorder()], logger: silentLogger, metrics: true });
    const port = Number(new URL(metricsUrl(taken)).port);
    const db = scratch.file('b.db');
    const refusal = createSystem({ db, components: [recorder()], logger: silentLogger, metrics: { port } });
    await expect(refusal).rejects.toBeInstanceOf(StartFailedError);
    await expect(refusal).rejects.toThrow(`the metrics server on 127.0.0.1:${port} failed to start`);
    const next = await scratch.start({ db, components: [recorder()], logger: silentLogger });
    expect(await next.head()).toBe(0);
  });

  it.each([
    ['metrics.port', { port: -1 }],
    ['metrics.port', { port: 65_536 }],
    ['metrics.port', { port: 80.5 }],
    ['metrics.port', { port: '9464' }],
    ['metrics.host', { host: '' }],
    ['metrics.registry', { registry: {} }],
    ['metrics', 'yes'],
  ])('refuses %s = %j with InvalidOptionError before opening anything', async (option, metrics) => {
    const db = scratch.file('refused.db');
    const refusal = createSystem({ db, components: [recorder()], logger: silentLogger, metrics: metrics as never });
    await expect(refusal).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(refusal).rejects.toMatchObject({ option });
    expect(existsSync(db)).toBe(false);
  });
});
