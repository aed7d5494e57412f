import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PAYMENT_TIMEOUT_MS } from '../../examples/order-workflow/order.machine.ts';
import { orderIds } from '../../examples/order-workflow/orders.ts';
import { paymentUnanswered } from '../../examples/order-workflow/rules.ts';
import { useScratch } from '../support/scratch.ts';
import type { Report } from './timeout-worker.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('./timeout-worker.ts', import.meta.url));
/** The clock's time when the order is placed. */
const T = 1_700_000_000_000;

/** An order whose bank never answers, so only its payment timeout can end it. */
const ORDER_ID = orderIds(1000).find(paymentUnanswered) as string;

/** One child lifetime: its reports, line by line, and how it ended. */
class Worker {
  readonly #child: ChildProcess;
  readonly #reports: Report[] = [];
  readonly #waiting: ((report: Report) => void)[] = [];
  #stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;

  constructor(mode: 'wait' | 'resume', db: string, clockStart: number, advances: readonly number[] = []) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', WORKER, mode, db, String(clockStart), ORDER_ID, advances.join(',')], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const report = JSON.parse(line) as Report;
      const waiter = this.#waiting.shift();
      if (waiter) waiter(report);
      else this.#reports.push(report);
    });
    this.exited = new Promise((resolve, reject) => {
      this.#child.once('error', reject);
      this.#child.once('close', (code, signal) => resolve({ code, signal, stderr: this.#stderr }));
    });
  }

  /** The child's next report; fails with its stderr if it exits first. */
  next(): Promise<Report> {
    const queued = this.#reports.shift();
    if (queued) return Promise.resolve(queued);
    return Promise.race([
      new Promise<Report>((resolve) => this.#waiting.push(resolve)),
      this.exited.then(({ code, signal, stderr }) => {
        throw new Error(`worker exited with ${code ?? signal} before reporting: ${stderr}`);
      }),
    ]);
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }

  /** Ends a child that is still running (only after a failed assertion). */
  dispose(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}

const cancellations = (report: Report) => report.events.filter((e) => e.topic === 'order.cancelled');
const timerEvents = (report: Report) => report.events.filter((e) => e.id.startsWith(`order/${ORDER_ID}/timer/`));

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
  expect(report.events.map((e) => e.topic)).toEqual(['order.placed', 'payment.requested', 'order.cancelled']);
}

describe('payment timeout of the order workflow', () => {
  const scratch = useScratch();
  let db: string;
  const workers: Worker[] = [];
  const start = (...args: ConstructorParameters<typeof Worker>) => {
    const worker = new Worker(...args);
    workers.push(worker);
    return worker;
  };

  beforeEach(() => {
    db = scratch.file('recq.db');
  });

  // Registered after the scratch hooks, so every child has exited before its directory is removed.
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      worker.dispose();
      await worker.exited;
    }
  });

  it('fires an overdue payment timeout at once after a SIGKILL mid-wait, exactly once, and never again', async () => {
    expect(ORDER_ID).toBeDefined();

    const waiting = start('wait', db, T);
    const placed = await waiting.next();
    expect(placed).toMatchObject({ phase: 'settled', now: T });
    expectWaiting(placed);
    waiting.kill();
    expect((await waiting.exited).signal).toBe('SIGKILL');

    // 40 s after the order was placed the timeout is 10 s overdue: it fires as soon as the saga is restored.
    const restarted = start('resume', db, T + 40_000);
    const fired = await restarted.next();
    expect(fired).toMatchObject({ phase: 'settled', now: T + 40_000 });
    expectTimedOutOnce(fired);
    expect(await restarted.exited).toMatchObject({ code: 0, signal: null });

    const again = start('resume', db, T + 100_000);
    const later = await again.next();
    expectTimedOutOnce(later);
    expect(later.events).toEqual(fired.events);
    expect(await again.exited).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  it('keeps a timeout not yet due at the SIGKILL waiting, after restart, for exactly the time it had left', async () => {
    // Killed 10 s into the 30 s wait.
    const waiting = start('wait', db, T, [10_000]);
    expectWaiting(await waiting.next());
    const killedAt = await waiting.next();
    expect(killedAt).toMatchObject({ phase: 'advanced', now: T + 10_000 });
    expectWaiting(killedAt);
    waiting.kill();
    expect((await waiting.exited).signal).toBe('SIGKILL');

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
    expect(await restarted.exited).toMatchObject({ code: 0, signal: null });

    const again = start('resume', db, T + 100_000);
    const later = await again.next();
    expectTimedOutOnce(later);
    expect(later.events).toEqual(after.events);
    expect(await again.exited).toMatchObject({ code: 0, signal: null });
  }, 60_000);
});
