import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { PAYMENT_TIMEOUT_MS } from '../../examples/order-workflow/order.machine.ts';
import { orderIds } from '../../examples/order-workflow/orders.ts';
import { paymentUnanswered } from '../../examples/order-workflow/rules.ts';
import { type Child, useChildren } from '../support/child-process.ts';
import { useScratch } from '../support/scratch.ts';
import type { Report } from './timeout-worker.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('./timeout-worker.ts', import.meta.url));
/** The clock's time when the order is placed. */
const T = 1_700_000_000_000;

/** An order whose bank never answers, so only its payment timeout can end it. */
const ORDER_ID = orderIds(1000).find(paymentUnanswered) as string;

/** One child lifetime: its reports, one JSON line each, read in order. */
class Worker {
  readonly child: Child;
  #read = 0;

  constructor(child: Child) {
    this.child = child;
  }

  /** The child's next report; fails with its stderr if it exits first. */
  async next(): Promise<Report> {
    const index = this.#read++;
    return JSON.parse(await this.child.line(index, `report ${index + 1}`)) as Report;
  }
}

const cancellations = (report: Report) => report.events.filter((e) => e.topic === 'order.cancelled');
const timerEvents = (report: Report) => report.events.filter((e) => e.id.startsWith(`order/${ORDER_ID}/timer/`) && e.topic !== '$input.order');
const firings = (report: Report) => report.events.filter((e) => e.topic === '$input.order');

/** The saga is waiting for its payment, and nothing has ended the order. */
function expectWaiting(report: Report): void {
  expect(report.saga).toEqual({ value: 'awaitingPayment', status: 'active', reason: null });
  expect(report.events.map((e) => e.topic)).toEqual(['order.placed', 'payment.requested']);
}

/** The order was cancelled by its timeout exactly once, and the timer emitted nothing else. */
function expectTimedOutOnce(report: Report): void {
  expect(report.saga).toEqual({ value: 'cancelled', status: 'done', reason: 'payment-timeout' });
  const placed = report.events.find((e) => e.topic === 'order.placed');
  const cancelled = cancellations(report);
  expect(cancelled).toHaveLength(1);
  expect(cancelled[0]?.event).toMatchObject({ orderId: ORDER_ID, reason: 'payment-timeout' });
  // The timer was set while the saga processed order.placed; what it emits is named after that seq and the timer.
  expect(cancelled[0]?.id).toMatch(new RegExp(`^order/${ORDER_ID}/timer/${placed?.seq}/[^/]*paymentTimeout[^/]*/0$`));
  expect(cancelled[0]?.time).toBeGreaterThanOrEqual(T + PAYMENT_TIMEOUT_MS);
  expect(timerEvents(report)).toEqual(cancelled);
  // The firing is in the log once, no earlier than the timer was due, before what it emitted.
  expect(firings(report)).toHaveLength(1);
  expect(firings(report)[0]?.id).toMatch(new RegExp(`^order/${ORDER_ID}/timer/${placed?.seq}/[^/]*paymentTimeout[^/]*/fired$`));
  expect(firings(report)[0]?.time).toBeGreaterThanOrEqual(T + PAYMENT_TIMEOUT_MS);
  expect(report.events.map((e) => e.topic)).toEqual(['order.placed', 'payment.requested', '$input.order', 'order.cancelled']);
}

describe('payment timeout of the order workflow', () => {
  const scratch = useScratch();
  // Registered after the scratch hooks, so every child has exited before its directory is removed.
  const children = useChildren();
  let db: string;
  const start = (mode: 'wait' | 'resume', file: string, clockStart: number, advances: readonly number[] = []) =>
    new Worker(
      children.start({
        name: `timeout worker (${mode})`,
        entry: WORKER,
        args: [mode, file, String(clockStart), ORDER_ID, advances.join(',')],
        cwd: REPO,
        // A waiting child exits when its stdin closes, so it never outlives the test.
        stdin: true,
      }),
    );

  beforeEach(() => {
    db = scratch.file('recq.db');
  });

  it('fires an overdue payment timeout at once after a SIGKILL mid-wait, exactly once, and never again', async () => {
    expect(ORDER_ID).toBeDefined();

    const waiting = start('wait', db, T);
    const placed = await waiting.next();
    expect(placed).toMatchObject({ phase: 'settled', now: T });
    expectWaiting(placed);
    waiting.child.kill('SIGKILL');
    expect((await waiting.child.exited).signal).toBe('SIGKILL');

    // 40 s after the order was placed the timeout is 10 s overdue: it fires as soon as the saga is restored.
    const restarted = start('resume', db, T + 40_000);
    const fired = await restarted.next();
    expect(fired).toMatchObject({ phase: 'settled', now: T + 40_000 });
    expectTimedOutOnce(fired);
    expect(await restarted.child.exited).toMatchObject({ code: 0, signal: null });

    const again = start('resume', db, T + 100_000);
    const later = await again.next();
    expectTimedOutOnce(later);
    expect(later.events).toEqual(fired.events);
    expect(await again.child.exited).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  it('keeps a timeout not yet due at the SIGKILL waiting, after restart, for exactly the time it had left', async () => {
    // Killed 10 s into the 30 s wait.
    const waiting = start('wait', db, T, [10_000]);
    expectWaiting(await waiting.next());
    const killedAt = await waiting.next();
    expect(killedAt).toMatchObject({ phase: 'advanced', now: T + 10_000 });
    expectWaiting(killedAt);
    waiting.child.kill('SIGKILL');
    expect((await waiting.child.exited).signal).toBe('SIGKILL');

    // Restarted 20 s in, 10 s are left: not at 9.999 s, then at 10 s.
    const restarted = start('resume', db, T + 20_000, [PAYMENT_TIMEOUT_MS - 20_000 - 1, 1]);
    const before = await restarted.next();
    expect(before).toMatchObject({ phase: 'settled', now: T + 20_000 });
    expectWaiting(before);
    const almost = await restarted.next();
    expect(almost).toMatchObject({ phase: 'advanced', now: T + PAYMENT_TIMEOUT_MS - 1 });
    expectWaiting(almost);
    const after = await restarted.next();
    expect(after).toMatchObject({ phase: 'advanced', now: T + PAYMENT_TIMEOUT_MS });
    expectTimedOutOnce(after);
    expect(await restarted.child.exited).toMatchObject({ code: 0, signal: null });

    const again = start('resume', db, T + 100_000);
    const later = await again.next();
    expectTimedOutOnce(later);
    expect(later.events).toEqual(after.events);
    expect(await again.child.exited).toMatchObject({ code: 0, signal: null });
  }, 60_000);
});
