import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { components } from '../../examples/order-workflow/components.ts';
import definition from '../../examples/order-workflow/main.ts';
import { orderIds, placeOrders } from '../../examples/order-workflow/orders.ts';
import { expectedOutcome, orderAmount } from '../../examples/order-workflow/rules.ts';
import type { Totals } from '../../examples/order-workflow/totals.store.ts';
import { verifyRun } from '../../examples/order-workflow/verify.ts';
import { createSystem, type System, UnknownKeyError } from '../../src/index.ts';

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
  return { head: system.head(), actors, totals: await system.query('totals') };
}

function committedOffsets(system: System): Record<string, number> {
  return Object.fromEntries(system.status().consumers.map((c) => [c.consumer, c.committedOffset]));
}

/** What the rules say a run over `ids` must add up to, worked out without running anything. */
function expectedSummary(ids: readonly string[]) {
  const summary = { completed: 0, cancelledBy: { 'invalid-order': 0, 'payment-declined': 0, 'shipment-failed': 0 }, revenue: 0, refunded: 0 };
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

describe('order workflow example', () => {
  let dir: string;
  let db: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'recq-order-workflow-'));
    db = join(dir, 'recq.db');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings every order to its deterministic outcome exactly once, and restores the same state from the CSS', async () => {
    const ids = orderIds(ORDERS);
    const expected = expectedSummary(ids);
    // Both compensation paths must be exercised, or the run proves little.
    expect(expected.cancelledBy['payment-declined']).toBeGreaterThan(0);
    expect(expected.cancelledBy['shipment-failed']).toBeGreaterThan(0);

    let before: Awaited<ReturnType<typeof stateOf>>;
    let offsetsBefore: Record<string, number>;
    const system = await createSystem({ db, components });
    try {
      await placeOrders(system, ids);
      await system.settled();

      const report = await verifyRun(system, ids);
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      expect(report.checks).toHaveLength(7);
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

      const outcomes = system.events({ patterns: ['order.completed', 'order.cancelled'], limit: 10 * ORDERS });
      expect(outcomes).toHaveLength(ORDERS);
      expect(new Set(outcomes.map((e) => e.key))).toEqual(new Set(ids));

      before = await stateOf(system, ids);
      offsetsBefore = committedOffsets(system);
    } finally {
      await system.stop();
    }

    const reopened = await createSystem({ db, components });
    try {
      expect(await stateOf(reopened, ids)).toEqual(before);

      expect(committedOffsets(reopened)).toEqual(offsetsBefore);

      await reopened.settled();
      expect(await stateOf(reopened, ids)).toEqual(before);
      // A consumer may now record that it read past the tail of events it does not subscribe to; nothing else moves.
      for (const [consumer, offset] of Object.entries(committedOffsets(reopened))) {
        expect(offset).toBeGreaterThanOrEqual(offsetsBefore[consumer] ?? 0);
        expect(offset).toBeLessThanOrEqual(before.head);
      }

      // Placing the same orders again is deduplicated by their ids, so nothing runs twice.
      const again = await placeOrders(reopened, ids);
      expect(again.every((result) => result.duplicate)).toBe(true);
      await reopened.settled();
      expect(await stateOf(reopened, ids)).toEqual(before);
      expect((await verifyRun(reopened, ids)).ok).toBe(true);
    } finally {
      await reopened.stop();
    }
  });

  it('finishes every order after a stop in mid-flight, once reopened on the same file', async () => {
    const ids = orderIds(ORDERS);
    const first = await createSystem({ db, components });
    try {
      await placeOrders(first, ids);
      // Each saga needs several checkpoints to finish, and none has run since the last batch was placed.
      expect(first.events({ patterns: ['order.completed', 'order.cancelled'], limit: 10 * ORDERS }).length).toBeLessThan(ORDERS);
    } finally {
      // No settled(): sagas are mid-way, with requests emitted but not yet answered.
      await first.stop();
    }

    const reopened = await createSystem({ db, components });
    try {
      await reopened.settled();
      const report = await verifyRun(reopened, ids);
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      expect(report.summary).toMatchObject(expectedSummary(ids));
    } finally {
      await reopened.stop();
    }
  });

  it('runs main as `recq run` would, and main reports PASS for the requested number of orders', async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
      lines.push(parts.join(' '));
    });
    const exitCode = process.exitCode;
    const system = await createSystem({ db, components: definition.components });
    try {
      await definition.main?.(system, { db, args: ['--orders', '80'], signal: new AbortController().signal });
      expect(process.exitCode).toBe(exitCode);
    } finally {
      process.exitCode = exitCode;
      log.mockRestore();
      await system.stop();
    }
    expect(lines[0]).toBe(`order workflow: 80 orders on ${db}`);
    expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('PASS'))).toHaveLength(8);
    expect(lines.at(-1)).toBe('PASS every order was handled exactly once');
  });

  it('cancels an order with no valid amount without asking for payment', async () => {
    const system = await createSystem({ db, components });
    try {
      await system.publish('order.placed', { type: 'order.placed', orderId: 'bad-1', amount: -5 }, { key: 'bad-1' });
      await system.settled();
      const saga = await system.query('order', 'bad-1');
      expect(saga).toMatchObject({ value: 'cancelled', status: 'done', context: { reason: 'invalid-order' } });
      expect(system.events({ patterns: ['payment.>'] })).toEqual([]);
      expect(system.events({ patterns: ['order.cancelled'] }).map((e) => e.event)).toEqual([
        { type: 'order.cancelled', orderId: 'bad-1', amount: -5, reason: 'invalid-order' },
      ]);
    } finally {
      await system.stop();
    }
  });
});
