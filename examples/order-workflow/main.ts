import { parseArgs } from 'node:util';
import { defineSystem, InvalidOptionError, SimulatedClock, type System } from '../../src/index.ts';
import { components } from './components.ts';
import { PAYMENT_TIMEOUT_MS } from './order.machine.ts';
import { orderIds, placeOrders } from './orders.ts';
import type { Totals } from './totals.store.ts';
import { money, verifyRun } from './verify.ts';

const DEFAULT_ORDERS = 500;
const PROGRESS_EVERY_MS = 250;

/**
 * Simulated time, so that the 30 s payment deadlines pass in no real time and the demo ends in
 * seconds. A real deployment leaves `clock` out and runs on the system clock.
 */
const clock = new SimulatedClock(Date.now());

/**
 * Places a few hundred orders, lets the sagas run, moves the clock past the payment timeouts of
 * the orders whose bank never answers, then proves from the actors, the projection and the log
 * that each order was handled exactly once.
 *
 * `recq run examples/order-workflow/main.ts --db ./recq.db --fresh -- --orders 2000`
 */
export default defineSystem({
  components,
  clock,
  // Checkpoint after every batch: on a simulated clock a delay would wait for the next advance.
  checkpoint: { maxDelayMs: 0 },
  async main(system, { db, args, signal }) {
    const count = ordersFrom(args);
    const ids = orderIds(count);
    const started = performance.now();
    const elapsed = () => `${((performance.now() - started) / 1000).toFixed(2)}s`;
    console.log(`order workflow: ${count} orders on ${db}`);
    console.log(
      `time is simulated, so the ${PAYMENT_TIMEOUT_MS / 1000} s payment timeouts take no real time (a real deployment keeps the default system clock)`,
    );

    // Progress is advisory: a line that cannot be printed must not end the run.
    const progress = setInterval(() => printProgress(system, elapsed()).catch(() => {}), PROGRESS_EVERY_MS);
    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (signal.aborted) resolve('interrupted');
      signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const run = (async () => {
      await placeOrders(system, ids, { signal });
      await system.settled();
      const waiting = await inFlight(system);
      console.log(`${elapsed().padStart(7)}  ${waiting} orders still wait for their bank; advancing the clock ${PAYMENT_TIMEOUT_MS / 1000} s`);
      clock.advance(PAYMENT_TIMEOUT_MS);
      await system.settled();
      return 'settled' as const;
    })();
    // Once interrupted, the system is being stopped under the run, which then rejects; that is expected.
    run.catch(() => {});
    let ended: 'settled' | 'interrupted';
    try {
      ended = await Promise.race([run, interrupted]);
    } finally {
      clearInterval(progress);
    }
    if (ended === 'interrupted') {
      // Orders have fixed ids and every consumer resumes from its checkpoint, so a rerun finishes the job.
      console.log(`interrupted after ${elapsed()}; run again without --fresh to finish the same orders`);
      process.exitCode = 130;
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    await printProgress(system, elapsed());

    const report = await verifyRun(system, ids);
    const { summary } = report;
    console.log(`settled in ${seconds.toFixed(2)}s: ${summary.events} events in the log (${Math.round(summary.events / seconds)} events/s)`);
    console.log(
      `outcomes: ${summary.completed} completed (revenue ${money(summary.revenue)}), ` +
        `${summary.cancelledBy['payment-declined']} cancelled after a declined payment, ` +
        `${summary.cancelledBy['payment-timeout']} after a payment timeout, ` +
        `${summary.cancelledBy['shipment-failed']} cancelled after a failed shipment (refunded ${money(summary.refunded)})`,
    );
    for (const check of report.checks) console.log(`${check.ok ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}`);
    console.log(report.ok ? 'PASS every order was handled exactly once' : 'FAIL see above');
    if (!report.ok) process.exitCode = 1;
  },
});

function ordersFrom(args: readonly string[]): number {
  let orders: string | undefined;
  try {
    orders = parseArgs({ args: [...args], options: { orders: { type: 'string' } }, strict: true }).values.orders;
  } catch (error) {
    throw new InvalidOptionError('arguments', args.join(' '), `${(error as Error).message}; this example accepts only --orders N`);
  }
  if (orders === undefined) return DEFAULT_ORDERS;
  const count = Number(orders);
  if (!Number.isInteger(count) || count < 1 || count > 99_999) throw new InvalidOptionError('--orders', orders, 'expected a whole number from 1 to 99999');
  return count;
}

async function printProgress(system: System, at: string): Promise<void> {
  const totals = (await system.query('totals')).context as Totals;
  console.log(
    `${at.padStart(7)}  placed ${totals.placed}  completed ${totals.completed}  cancelled ${totals.cancelled}  in flight ${await inFlight(system)}  log ${await system.head()}`,
  );
}

/** Orders placed but not yet completed or cancelled; once settled, those waiting for payment. */
async function inFlight(system: System): Promise<number> {
  const totals = (await system.query('totals')).context as Totals;
  return totals.placed - totals.completed - totals.cancelled;
}
