import { beforeEach, describe, expect, it, vi } from 'vitest';
import { components } from '../../examples/order-workflow/components.ts';
import definition from '../../examples/order-workflow/main.ts';
import { PAYMENT_TIMEOUT_MS } from '../../examples/order-workflow/order.machine.ts';
import { orderIds, placeOrders } from '../../examples/order-workflow/orders.ts';
import { expectedOutcome, orderAmount, paymentUnanswered } from '../../examples/order-workflow/rules.ts';
import type { Totals } from '../../examples/order-workflow/totals.store.ts';
import { verifyRun } from '../../examples/order-workflow/verify.ts';
import { SimulatedClock, type System, UnknownKeyError } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';

const ORDERS = 300;

/** Everything a run leaves behind: the log's head, every actor's state and the projection. */
async function stateOf(system: System, ids: readonly string[]) {
  const actors: Record<string, unknown> = {};
  for (const id of ids) {
    for (const component of ['order', 'payment', 'shipping']) {
      try {
        actors[`${component}/${id}`] = await system.query(component, id);
      } catch (error) {
        // Declined orders never reach shipping; the absence is part of the state.
        if (!(error instanceof UnknownKeyError)) throw error;
        actors[`${component}/${id}`] = null;
      }
    }
  }
  return { head: await system.head(), actors, totals: await system.query('totals') };
}

async function committedOffsets(system: System): Promise<Record<string, number>> {
  return Object.fromEntries((await system.status()).consumers.map((c) => [c.consumer, c.committedOffset]));
}

/** What the rules say a run over `ids` must add up to, worked out without running anything. */
function expectedSummary(ids: readonly string[]) {
  const summary = {
    completed: 0,
    cancelledBy: { 'invalid-order': 0, 'payment-declined': 0, 'payment-timeout': 0, 'shipment-failed': 0 },
    revenue: 0,
    refunded: 0,
  };
  for (const id of ids) {
    const outcome = expectedOutcome(id);
    if (outcome.state === 'completed') {
      summary.completed++;
      summary.revenue += orderAmount(id);
    } else {
      summary.cancelledBy[outcome.reason]++;
      if (outcome.reason === 'shipment-failed') summary.refunded += orderAmount(id);
    }
  }
  return summary;
}

/** Orders whose saga has not ended yet. */
async function openOrders(system: System): Promise<number> {
  const head = await system.head();
  return ORDERS - (await system.events({ patterns: ['order.completed', 'order.cancelled'], limit: head + 1 })).length;
}

describe('order workflow example', () => {
  const scratch = useScratch();
  let db: string;
  // Simulated, so the 30 s payment timeouts pass when the test says so and no test waits for them.
  let clock: SimulatedClock;

  beforeEach(() => {
    db = scratch.file('recq.db');
    clock = new SimulatedClock(1_700_000_000_000);
  });

  it('brings every order to its deterministic outcome exactly once, and restores the same state from the CSS', async () => {
    const ids = orderIds(ORDERS);
    const expected = expectedSummary(ids);
    // Every compensation path and the timeout must be exercised, or the run proves little.
    expect(expected.cancelledBy['payment-declined']).toBeGreaterThan(0);
    expect(expected.cancelledBy['payment-timeout']).toBeGreaterThan(0);
    expect(expected.cancelledBy['shipment-failed']).toBeGreaterThan(0);

    const system = await scratch.start({ db, components, clock });
    await placeOrders(system, ids);
    await system.settled();

    // Only the orders whose bank never answers are left, each waiting for its payment, and none has timed out.
    const unanswered = ids.filter(paymentUnanswered);
    expect(await openOrders(system)).toBe(unanswered.length);
    for (const id of unanswered) expect(await system.query('order', id)).toMatchObject({ value: 'awaitingPayment', status: 'active' });
    expect((await system.query('totals')).context).toMatchObject({ cancelledBy: { 'payment-timeout': 0 } });

    clock.advance(PAYMENT_TIMEOUT_MS - 1);
    await system.settled();
    expect(await openOrders(system)).toBe(unanswered.length);

    clock.advance(1);
    await system.settled();
    expect(await openOrders(system)).toBe(0);

    const report = await verifyRun(system, ids);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.checks).toHaveLength(8);
    expect(report.summary).toMatchObject({ orders: ORDERS, ...expected });

    const totals = (await system.query('totals')).context as Totals;
    expect(totals).toEqual({
      placed: ORDERS,
      completed: expected.completed,
      cancelled: ORDERS - expected.completed,
      cancelledBy: expected.cancelledBy,
      revenue: expected.revenue,
      refunded: expected.refunded,
    });

    const outcomes = await system.events({ patterns: ['order.completed', 'order.cancelled'], limit: 10 * ORDERS });
    expect(outcomes).toHaveLength(ORDERS);
    expect(new Set(outcomes.map((e) => e.key))).toEqual(new Set(ids));

    const before = await stateOf(system, ids);
    const offsetsBefore = await committedOffsets(system);
    await system.stop();

    const reopened = await scratch.start({ db, components, clock });
    expect(await stateOf(reopened, ids)).toEqual(before);

    expect(await committedOffsets(reopened)).toEqual(offsetsBefore);

    await reopened.settled();
    expect(await stateOf(reopened, ids)).toEqual(before);
    // A consumer may now record that it read past the tail of events it does not subscribe to; nothing else moves.
    for (const [consumer, offset] of Object.entries(await committedOffsets(reopened))) {
      expect(offset).toBeGreaterThanOrEqual(offsetsBefore[consumer] ?? 0);
      expect(offset).toBeLessThanOrEqual(before.head);
    }

    // Placing the same orders again is deduplicated by their ids, so nothing runs twice.
    const again = await placeOrders(reopened, ids);
    expect(again.every((result) => result.duplicate)).toBe(true);
    await reopened.settled();
    // No timer is left to fire, however far the clock moves.
    clock.advance(10 * PAYMENT_TIMEOUT_MS);
    await reopened.settled();
    expect(await stateOf(reopened, ids)).toEqual(before);
    expect((await verifyRun(reopened, ids)).ok).toBe(true);
  });

  it('finishes every order after a stop in mid-flight, once reopened on the same file', async () => {
    const ids = orderIds(ORDERS);
    const first = await scratch.start({ db, components, clock });
    await placeOrders(first, ids);
    // Each saga needs several checkpoints to finish, and none has run since the last batch was placed.
    expect((await first.events({ patterns: ['order.completed', 'order.cancelled'], limit: 10 * ORDERS })).length).toBeLessThan(ORDERS);
    // No settled(): sagas are mid-way, with requests emitted but not yet answered.
    await first.stop();

    const reopened = await scratch.start({ db, components, clock });
    await reopened.settled();
    clock.advance(PAYMENT_TIMEOUT_MS);
    await reopened.settled();
    const report = await verifyRun(reopened, ids);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.summary).toMatchObject(expectedSummary(ids));
  });

  it('runs main as `recq run` would, and main reports PASS for the requested number of orders', async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
      lines.push(parts.join(' '));
    });
    const exitCode = process.exitCode;
    // main advances the definition's own clock, so the system must run on it, as `recq run` does.
    expect(definition.clock).toBeInstanceOf(SimulatedClock);
    const system = await scratch.start({ db, components: definition.components, clock: definition.clock });
    try {
      await definition.main?.(system, { db, args: ['--orders', '80'], signal: new AbortController().signal });
      expect(process.exitCode).toBe(exitCode);
    } finally {
      process.exitCode = exitCode;
      log.mockRestore();
    }
    expect(lines[0]).toBe(`order workflow: 80 orders on ${db}`);
    expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
    const waiting = expectedSummary(orderIds(80)).cancelledBy['payment-timeout'];
    expect(waiting).toBeGreaterThan(0);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^ *\\d+\\.\\d+s {2}${waiting} orders still wait for their bank; advancing the clock 30 s$`)),
    );
    expect(lines.filter((line) => line.startsWith('PASS'))).toHaveLength(9);
    expect(lines.at(-1)).toBe('PASS every order was handled exactly once');
  });

  it('cancels an order with no valid amount without asking for payment', async () => {
    const system = await scratch.start({ db, components });
    await system.publish('order.placed', { type: 'order.placed', orderId: 'bad-1', amount: -5 }, { key: 'bad-1' });
    await system.settled();
    const saga = await system.query('order', 'bad-1');
    expect(saga).toMatchObject({ value: 'cancelled', status: 'done', context: { reason: 'invalid-order' } });
    expect(await system.events({ patterns: ['payment.>'] })).toEqual([]);
    expect((await system.events({ patterns: ['order.cancelled'] })).map((e) => e.event)).toEqual([
      { type: 'order.cancelled', orderId: 'bad-1', amount: -5, reason: 'invalid-order' },
    ]);
  });
});
