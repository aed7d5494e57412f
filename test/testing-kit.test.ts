import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assign, emit, setup } from 'xstate';
import { defineComponent, SystemStoppedError, silentLogger } from '../src/index.ts';
import { closeTestSystems, testSystem } from '../src/public/testing.ts';

const TIMEOUT_MS = 30_000;

/** One payment per key: it times out 30 s after the request unless confirmed first. */
const payment = setup({
  types: {} as {
    context: { amount: number };
    events: { type: 'payment.requested'; amount: number } | { type: 'payment.confirmed' } | { type: 'payment.refused' };
  },
}).createMachine({
  context: { amount: 0 },
  initial: 'idle',
  states: {
    idle: { on: { 'payment.requested': { target: 'awaiting', actions: assign({ amount: ({ event }) => event.amount }) } } },
    awaiting: {
      after: { [TIMEOUT_MS]: { target: 'timedOut', actions: emit(({ context }) => ({ type: 'payment.timedOut', amount: context.amount })) } },
      on: {
        'payment.confirmed': { target: 'paid', actions: emit(({ context }) => ({ type: 'payment.settled', amount: context.amount })) },
        'payment.refused': {
          actions: () => {
            throw new Error('the bank refused the payment');
          },
        },
      },
    },
    paid: { type: 'final' },
    timedOut: { type: 'final' },
  },
});

/** Cancels an order when its payment times out: a second step in the chain of causes. */
const orders = setup({ types: {} as { context: { cancelled: number }; events: { type: 'payment.timedOut'; amount: number } } }).createMachine({
  context: { cancelled: 0 },
  on: {
    'payment.timedOut': {
      actions: [assign({ cancelled: ({ context }) => context.cancelled + 1 }), emit(() => ({ type: 'order.cancelled', reason: 'payment-timeout' }))],
    },
  },
});

const components = [
  defineComponent({ name: 'payments', logic: payment, subscribe: 'payments.commands', key: true }),
  defineComponent({ name: 'orders', logic: orders, subscribe: 'payment.timedOut', key: true }),
];

const request = { type: 'payment.requested', amount: 30 } as const;

describe('recq/testing', () => {
  afterEach(closeTestSystems);

  it('fires a delayed transition only when the simulated clock reaches it, and lists what the publish caused', async () => {
    const t = await testSystem({ components });
    const requested = await t.publish('payments.commands', request, { key: 'p-1' });
    expect(await t.query('payments', 'p-1')).toMatchObject({ value: 'awaiting', context: { amount: 30 } });
    expect(await t.causedBy(requested)).toEqual([]);

    await t.advance(TIMEOUT_MS - 1);
    expect((await t.query('payments', 'p-1')).value).toBe('awaiting');

    await t.advance(1);
    expect((await t.query('payments', 'p-1')).value).toBe('timedOut');
    expect((await t.query('orders', 'p-1')).context).toEqual({ cancelled: 1 });
    const caused = await t.causedBy(requested);
    expect(caused.map((e) => [e.topic, e.key, e.event])).toEqual([
      ['payment.timedOut', 'p-1', { type: 'payment.timedOut', amount: 30 }],
      ['order.cancelled', 'p-1', { type: 'order.cancelled', reason: 'payment-timeout' }],
    ]);
    expect(caused[0]?.causation).toBe(requested.id);
    expect(caused[1]?.causation).toBe(caused[0]?.id);
    expect(caused[0]?.time).toBe(TIMEOUT_MS);
  });

  it('keeps a pending timer across a crash: it fires once, at its first due time', async () => {
    const t = await testSystem({ components });
    const requested = await t.publish('payments.commands', request, { key: 'p-1' });
    await t.advance(10_000);

    await t.restart({ crash: true });
    expect(await t.query('payments', 'p-1')).toMatchObject({ value: 'awaiting', context: { amount: 30 } });
    await t.advance(TIMEOUT_MS - 10_000 - 1);
    expect((await t.query('payments', 'p-1')).value).toBe('awaiting');
    await t.advance(1);
    expect((await t.query('payments', 'p-1')).value).toBe('timedOut');

    await t.restart({ crash: true });
    await t.advance(10 * TIMEOUT_MS);
    expect((await t.causedBy(requested)).map((e) => e.event.type)).toEqual(['payment.timedOut', 'order.cancelled']);
    expect(await t.events('payment.timedOut')).toHaveLength(1);
    expect((await t.query('orders', 'p-1')).context).toEqual({ cancelled: 1 });
  });

  it('applies after a crash what was committed but not yet applied before it', async () => {
    const t = await testSystem({ components });
    // Published but not settled: the log has them, the payments consumer may not have applied them.
    await t.system.publish('payments.commands', request, { key: 'p-1' });
    await t.system.publish('payments.commands', { type: 'payment.confirmed' }, { key: 'p-1' });
    await t.restart({ crash: true });
    await t.settled();
    expect((await t.query('payments', 'p-1')).value).toBe('paid');
    expect((await t.events('payment.settled')).map((e) => e.event)).toEqual([{ type: 'payment.settled', amount: 30 }]);
  });

  it('keeps state across a stop and restart; a confirmed payment never times out', async () => {
    const t = await testSystem({ components });
    const requested = await t.publish('payments.commands', request, { key: 'p-2' });
    const confirmed = await t.publish('payments.commands', { type: 'payment.confirmed' }, { key: 'p-2' });
    const before = t.system;

    const after = await t.restart();
    expect(after).not.toBe(before);
    expect(t.system).toBe(after);
    await t.advance(2 * TIMEOUT_MS);
    expect((await t.query('payments', 'p-2')).value).toBe('paid');
    expect(await t.causedBy(requested)).toEqual([]);
    expect((await t.causedBy(confirmed.id)).map((e) => e.topic)).toEqual(['payment.settled']);
    expect(await t.events('payment.timedOut')).toEqual([]);
  });

  it('dead-letters a failing event without any clock advance, since the kit retries at once', async () => {
    const t = await testSystem({ components, logger: silentLogger });
    await t.publish('payments.commands', request, { key: 'p-3' });
    await t.publish('payments.commands', { type: 'payment.refused' }, { key: 'p-3' });
    const letters = t.system.deadLetters('payments');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ status: 'parked', attempts: 3 });
    expect((await t.query('payments', 'p-3')).value).toBe('awaiting');
  });

  it('removes its temp directory on close, and refuses to publish afterwards', async () => {
    const t = await testSystem({ components });
    await t.publish('payments.commands', request, { key: 'p-4' });
    expect(existsSync(t.db)).toBe(true);
    await t.close();
    expect(existsSync(dirname(t.db))).toBe(false);
    await expect(t.publish('payments.commands', request, { key: 'p-5' })).rejects.toBeInstanceOf(SystemStoppedError);
    await t.close();
  });
});
