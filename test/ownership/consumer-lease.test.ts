import { describe, expect, it } from 'vitest';
import { ConsumerLease } from '../../src/host/consumer-lease.ts';
import { LeaseExpiredError, SimulatedClock, StaleEpochError, SupervisorUnreachableError, silentLogger } from '../../src/index.ts';
import type { Lease } from '../../src/lease.ts';
import type { LogAccess, Registration } from '../../src/sss/log-access.ts';

const TTL = 1_500;

/** A supervisor whose heartbeats the test answers one by one. */
class Supervisor {
  readonly beats: { lease: Lease; answer: (lastRouted: number) => void; fail: (error: unknown) => void }[] = [];
  epoch = 1;

  readonly log = {
    register: async (consumer: string, _patterns: readonly string[], owner: string, current?: Lease): Promise<Registration> => ({
      lease: { resource: `consumer:${consumer}`, owner, epoch: current?.epoch ?? this.epoch, expiresAt: 0, token: `t${this.beats.length}` },
      watermark: 0,
    }),
    heartbeat: (lease: Lease) =>
      new Promise<number>((answer, fail) => {
        this.beats.push({ lease, answer, fail });
      }),
  } as unknown as LogAccess;
}

const unreachable = () => new SupervisorUnreachableError('heartbeat', 'recq.sss.heartbeat', 'no reply within 500 ms', undefined);

/** Lets promise callbacks run. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Node's timers may fire a millisecond before `Date.now()` reaches their due time: this clock's always do. */
class EarlyClock extends SimulatedClock {
  override setTimeout(fn: () => void, ms: number): number {
    return super.setTimeout(fn, ms > 1 ? ms - 1 : ms);
  }
}

function hold(watchdog = false, clock: SimulatedClock = new SimulatedClock(0)) {
  const supervisor = new Supervisor();
  const lost: unknown[] = [];
  const lease = new ConsumerLease({
    consumer: 'payments',
    patterns: ['payments.*'],
    owner: 'w1',
    log: supervisor.log,
    clock,
    logger: silentLogger,
    leaseTtlMs: TTL,
    onRenewed: () => {},
    onLost: (error) => lost.push(error),
    watchdog,
  });
  return { clock, supervisor, lease, lost };
}

describe("a host's hold on its consumer", () => {
  it('keeps renewing after a re-registration that came while a heartbeat was in flight', async () => {
    const { clock, supervisor, lease } = hold();
    await lease.register();
    clock.advance(TTL / 3);
    expect(supervisor.beats).toHaveLength(1);
    // Every host re-registers during a failover, while its heartbeat waits out a timeout.
    await lease.reregister();
    supervisor.beats[0]?.fail(unreachable());
    await settle();
    clock.advance(TTL / 3);
    expect(supervisor.beats).toHaveLength(2);
    expect(supervisor.beats[1]?.lease).toBe(lease.current);
    supervisor.beats[1]?.answer(0);
    await settle();
    clock.advance(TTL / 3);
    expect(supervisor.beats).toHaveLength(3);
  });

  it('runs one loop of renewals, however many registrations and releases came before', async () => {
    const { clock, supervisor, lease } = hold();
    await lease.register();
    clock.advance(TTL / 3);
    lease.release();
    await lease.register();
    supervisor.beats[0]?.answer(0);
    await settle();
    clock.advance(TTL / 3);
    expect(supervisor.beats).toHaveLength(2);
    supervisor.beats[1]?.answer(0);
    await settle();
    clock.advance(TTL / 3);
    expect(supervisor.beats).toHaveLength(3);
  });

  it('gives the consumer up when no renewal came within a time-to-live, with its watchdog', async () => {
    const { clock, supervisor, lease, lost } = hold(true);
    await lease.register();
    clock.advance(TTL / 3);
    supervisor.beats[0]?.answer(0);
    await settle();
    // The supervisor stops answering: heartbeats fail, one after another.
    for (let beat = 1; beat < 4; beat++) {
      clock.advance(TTL / 3);
      supervisor.beats[beat]?.fail(unreachable());
      await settle();
    }
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(LeaseExpiredError);
    expect(() => lease.assertValid()).toThrow(LeaseExpiredError);
  });

  it('gives the consumer up even when its timer fires a moment early', async () => {
    const { clock, supervisor, lease, lost } = hold(true, new EarlyClock(0));
    await lease.register();
    // The supervisor is gone: no heartbeat is ever answered.
    clock.advance(TTL - 1);
    expect(lost).toEqual([]);
    clock.advance(1);
    expect(lost).toHaveLength(1);
    expect(supervisor.beats.length).toBeGreaterThan(0);
  });

  it('keeps the consumer, without a watchdog, until a checkpoint finds the lease lapsed', async () => {
    const { clock, supervisor, lease, lost } = hold(false);
    await lease.register();
    for (let beat = 0; beat < 4; beat++) {
      clock.advance(TTL / 3);
      supervisor.beats[beat]?.fail(unreachable());
      await settle();
    }
    expect(lost).toEqual([]);
    expect(() => lease.assertValid()).toThrow(LeaseExpiredError);
  });

  it('says the consumer is lost when a renewal finds another owner', async () => {
    const { clock, supervisor, lease, lost } = hold(true);
    await lease.register();
    clock.advance(TTL / 3);
    supervisor.beats[0]?.fail(new StaleEpochError('consumer:payments', 1, 2));
    await settle();
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(StaleEpochError);
    clock.advance(TTL);
    expect(supervisor.beats).toHaveLength(1);
  });
});
