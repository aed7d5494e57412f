import { describe, expect, it } from 'vitest';
import { assign, emit, raise, setup } from 'xstate';
import { defineComponent, SimulatedClock, type System, silentLogger } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';

/** Waits 30 s for a payment; times out unless paid. Also pings itself every 10 s while waiting. */
const paymentMachine = setup({
  types: {} as { context: { timeouts: number; pings: number }; events: { type: 'start' } | { type: 'pay' } | { type: 'ping' } },
}).createMachine({
  id: 'payment',
  context: { timeouts: 0, pings: 0 },
  initial: 'idle',
  states: {
    idle: { on: { start: 'waiting' } },
    waiting: {
      entry: raise({ type: 'ping' }, { delay: 10_000, id: 'ping' }),
      on: {
        pay: 'paid',
        ping: { actions: [assign({ pings: ({ context }) => context.pings + 1 }), raise({ type: 'ping' }, { delay: 10_000, id: 'ping' })] },
      },
      after: {
        30000: { target: 'timedOut', actions: [assign({ timeouts: ({ context }) => context.timeouts + 1 }), emit({ type: 'payment.timed-out' })] },
      },
    },
    timedOut: {},
    paid: {},
  },
});

const payments = () => defineComponent({ name: 'payment', logic: paymentMachine, subscribe: 'pay.*', key: true, checkpoint: { maxDelayMs: 0 } });

describe('durable timers', () => {
  const scratch = useScratch();

  const open = (clock: SimulatedClock) => scratch.start({ db: scratch.file('timers.db'), components: [payments()], clock, owner: 'one', logger: silentLogger });
  const reopen = async (previous: System, clock: SimulatedClock) => {
    await previous.stop();
    return open(clock);
  };
  const view = async (s: System, key: string) => {
    const { value, context } = await s.query('payment', key);
    return { value, ...(context as { timeouts: number; pings: number }) };
  };
  const timedOutEvents = () => readTables(scratch.file('timers.db')).events.filter((e) => e.topic === 'payment.timed-out');

  it('keeps a pending delayed event across a restart and fires it once, for the time it had left', async () => {
    let s = await open(new SimulatedClock(0));
    await s.publish('pay.start', { type: 'start' }, { key: 'o1' });
    await s.settled();
    const [stored] = readTables(scratch.file('timers.db')).snapshots;
    expect(JSON.parse(stored?.snapshot ?? '{}').value).toBe('waiting');

    // Restart 20 s in: 10 s are left.
    const clock = new SimulatedClock(20_000);
    s = await reopen(s, clock);
    expect(await view(s, 'o1')).toMatchObject({ value: 'waiting', timeouts: 0 });
    clock.advance(9_999);
    await s.settled();
    expect(await view(s, 'o1')).toMatchObject({ value: 'waiting', timeouts: 0 });
    clock.advance(1);
    await s.settled();
    expect(await view(s, 'o1')).toMatchObject({ value: 'timedOut', timeouts: 1 });
    expect(timedOutEvents().map((e) => e.id)).toEqual(['payment/o1/timer/1/xstate.after.30000.payment.waiting/0']);

    // Nothing fires again after another restart.
    s = await reopen(s, new SimulatedClock(100_000));
    await s.settled();
    expect(await view(s, 'o1')).toMatchObject({ value: 'timedOut', timeouts: 1 });
    expect(timedOutEvents()).toHaveLength(1);
  });

  it('fires overdue timers at once after a restart, in due order', async () => {
    let s = await open(new SimulatedClock(0));
    await s.publish('pay.start', { type: 'start' }, { key: 'o1' });
    await s.settled();
    s = await reopen(s, new SimulatedClock(45_000));
    await s.settled();
    // The 10 s ping was due first and rescheduled itself (for 55 s); the 30 s timeout then ended the wait.
    expect(await view(s, 'o1')).toMatchObject({ value: 'timedOut', timeouts: 1, pings: 1 });
    expect(timedOutEvents()).toHaveLength(1);
  });

  it('forgets a timer when its state is left, so it never fires', async () => {
    let s = await open(new SimulatedClock(0));
    await s.publish('pay.start', { type: 'start' }, { key: 'o2' });
    await s.publish('pay.pay', { type: 'pay' }, { key: 'o2' });
    await s.settled();
    expect(readTables(scratch.file('timers.db')).snapshots.map((row) => row.key)).toEqual(['o2']);
    const clock = new SimulatedClock(0);
    s = await reopen(s, clock);
    clock.advance(60_000);
    await s.settled();
    expect(await view(s, 'o2')).toMatchObject({ value: 'paid', timeouts: 0, pings: 0 });
    expect(timedOutEvents()).toHaveLength(0);
  });

  it('keeps an actor with a pending timer in memory, and restores it at start even if no event comes for it', async () => {
    const clock = new SimulatedClock(0);
    let s = await open(clock);
    await s.publish('pay.start', { type: 'start' }, { key: 'o3' });
    await s.settled();
    s = await reopen(s, new SimulatedClock(0));
    expect((await s.status()).consumers[0]).toMatchObject({ activeActors: 1 });
  });

  it('applies delayed self-sends (raise with a delay) durably too', async () => {
    const clock = new SimulatedClock(0);
    let s = await open(clock);
    await s.publish('pay.start', { type: 'start' }, { key: 'o4' });
    await s.settled();
    clock.advance(10_000);
    await s.settled();
    expect(await view(s, 'o4')).toMatchObject({ pings: 1 });
    // The ping that re-armed itself at 10 s is due at 20 s; restart at 15 s.
    const later = new SimulatedClock(15_000);
    s = await reopen(s, later);
    later.advance(5_000);
    await s.settled();
    expect(await view(s, 'o4')).toMatchObject({ value: 'waiting', pings: 2 });
  });
});
