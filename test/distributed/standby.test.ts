import { describe, expect, it } from 'vitest';
import type { RouteState } from '../../src/index.ts';
import { acknowledged, hostState, quiet, readLog, useCluster, waitForAcks, waitForHostState } from './processes.ts';
import { expectAcknowledgedInLog, expectExactOutcome, expectRecorderCheckpoint } from './reference.ts';

const EVENTS = 1200;

interface Status {
  consumers: { component: string; hostState: string; offset: number; storedActors: number }[];
}

describe('standby takeover', () => {
  const startCluster = useCluster();

  it('takes the consumer over once the SIGKILLed owner’s lease expires, with nothing processed twice', async () => {
    const cluster = await startCluster();
    const supervisor = await cluster.supervisor();
    const owner = await cluster.worker({ name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 7 } });
    // Worker B publishes and tallies, and holds the recorder in reserve.
    const reserve = await cluster.worker({ name: 'worker-b', components: ['recorder', 'tally'] });
    expect(hostState(reserve, 'recorder')).toBe('standby');
    await reserve.call('stream', { prefix: 'p', from: 0, count: EVENTS, batch: 10, inFlight: 2, keys: 12 });

    await waitForAcks(reserve, 400);
    const before = await supervisor.call<RouteState>('routes');
    const leaseBefore = before.leases.find((l) => l.resource === 'consumer:recorder');
    expect(leaseBefore?.owner).toBe('worker-a');
    const idle = await reserve.call<Status>('status');
    expect(idle.consumers.find((c) => c.component === 'recorder')).toMatchObject({ hostState: 'standby', offset: 0, storedActors: 0 });

    const mark = reserve.mark();
    await owner.kill();
    await waitForHostState(reserve, 'recorder', 'live', mark);
    const whileOwned = reserve.lines.slice(0, mark).flatMap((line) => (line.type === 'host' && line.consumer === 'recorder' ? [line.state] : []));
    expect(whileOwned).toContain('standby');
    expect(whileOwned.filter((state) => state !== 'restoring' && state !== 'standby')).toEqual([]);

    await reserve.waitFor((line) => line.type === 'produced', 'the producer to finish');
    await quiet(supervisor, [reserve]);
    const log = await readLog(supervisor);
    expect(log.filter((e) => e.causation === undefined)).toHaveLength(EVENTS);
    expectAcknowledgedInLog(acknowledged(reserve), log);
    await expectExactOutcome(log, reserve, reserve);
    expectRecorderCheckpoint(cluster.file('worker-b'), log);

    const leaseAfter = (await supervisor.call<RouteState>('routes')).leases.find((l) => l.resource === 'consumer:recorder');
    expect(leaseAfter?.owner).toBe('worker-b');
    expect(leaseAfter?.epoch).toBeGreaterThan(leaseBefore?.epoch ?? Number.POSITIVE_INFINITY);

    // The old owner comes back on its own (now stale) file: it stands by, and the new owner keeps going.
    const returned = await cluster.worker({ name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 7 } });
    expect(hostState(returned, 'recorder')).toBe('standby');
    const more = reserve.mark();
    await reserve.call('stream', { prefix: 'q', from: 0, count: 100, batch: 10, inFlight: 1, keys: 12 });
    await reserve.waitFor((line) => line.type === 'produced', 'the second stream', more);
    await quiet(supervisor, [reserve]);
    const finalLog = await readLog(supervisor);
    expect(finalLog.filter((e) => e.causation === undefined)).toHaveLength(EVENTS + 100);
    await expectExactOutcome(finalLog, reserve, reserve);
    expect(hostState(returned, 'recorder')).toBe('standby');
    expect(hostState(reserve, 'recorder')).toBe('live');
    expect((await supervisor.call<RouteState>('routes')).leases.find((l) => l.resource === 'consumer:recorder')).toMatchObject({
      owner: 'worker-b',
      epoch: leaseAfter?.epoch,
    });
  });

  it('fences an owner that stalled past its lease: when it wakes, the new owner keeps the consumer and nothing is doubled', async () => {
    const cluster = await startCluster();
    const supervisor = await cluster.supervisor();
    const stalled = await cluster.worker({ name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 7 } });
    const reserve = await cluster.worker({ name: 'worker-b', components: ['recorder', 'tally'] });
    await reserve.call('stream', { prefix: 'p', from: 0, count: EVENTS, batch: 10, inFlight: 2, keys: 12 });

    await waitForAcks(reserve, 400);
    const leaseBefore = (await supervisor.call<RouteState>('routes')).leases.find((l) => l.resource === 'consumer:recorder');
    expect(leaseBefore?.owner).toBe('worker-a');
    const mark = reserve.mark();
    stalled.freeze();
    await waitForHostState(reserve, 'recorder', 'live', mark);
    // It wakes with applied events, an outbox and timers all from before the takeover.
    const woke = stalled.mark();
    stalled.thaw();
    const after = await stalled.waitFor(
      (line) => line.type === 'host' && line.consumer === 'recorder' && (line.state === 'fenced' || line.state === 'standby'),
      'the stalled owner to give the consumer up',
      woke,
    );

    await reserve.waitFor((line) => line.type === 'produced', 'the producer to finish');
    await quiet(supervisor, [reserve]);
    const log = await readLog(supervisor);
    expect(log.filter((e) => e.causation === undefined)).toHaveLength(EVENTS);
    await expectExactOutcome(log, reserve, reserve);
    expectRecorderCheckpoint(cluster.file('worker-b'), log);
    const lease = (await supervisor.call<RouteState>('routes')).leases.find((l) => l.resource === 'consumer:recorder');
    expect(lease?.owner).toBe('worker-b');
    expect(lease?.epoch).toBeGreaterThan(leaseBefore?.epoch ?? Number.POSITIVE_INFINITY);
    const sinceWaking = stalled.lines.slice(woke).flatMap((line) => (line.type === 'host' && line.consumer === 'recorder' ? [line.state] : []));
    expect(sinceWaking, `it became ${after.type === 'host' ? after.state : '?'}`).not.toContain('live');
  });
});
