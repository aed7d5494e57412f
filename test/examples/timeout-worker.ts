/**
 * One lifetime of the order workflow, run as a child process by payment-timeout.test.ts:
 *
 *   node --import tsx test/examples/timeout-worker.ts wait   <dbFile> <clockStartMs> <orderId> [advanceMs,...]
 *   node --import tsx test/examples/timeout-worker.ts resume <dbFile> <clockStartMs> <orderId> [advanceMs,...]
 *
 * Both open the example's components on `dbFile` with a SimulatedClock starting at
 * `clockStartMs`, settle, then advance the clock by each `advanceMs` in turn, settling after each.
 * `wait` first places the order; `resume` only restores what is on the file.
 *
 * Each line on stdout is a JSON `Report`: one with `phase: 'settled'` after the first settle, and
 * one with `phase: 'advanced'` per advance. `wait` then stays alive until it is killed; `resume`
 * stops the system and exits 0.
 */
import { writeSync } from 'node:fs';
import { components } from '../../examples/order-workflow/components.ts';
import { placeOrders } from '../../examples/order-workflow/orders.ts';
import { createSystem, type Envelope, SimulatedClock, type System } from '../../src/index.ts';

/** What a child reports about its one order. */
export interface Report {
  phase: 'settled' | 'advanced';
  /** The simulated clock's time when the report was taken. */
  now: number;
  saga: { value: unknown; status: string; reason: unknown };
  /** The log's events keyed by the order, in seq order. */
  events: Pick<Envelope, 'seq' | 'id' | 'topic' | 'time' | 'event'>[];
}

/** The same owner in every lifetime: a restarted child is the same worker, so it takes the killed one's leases back at once. */
const WORKER_OWNER = 'payment-timeout-worker';

/** A synchronous write, so that a line the parent has read was written before any kill. */
function announce(report: Report): void {
  const bytes = Buffer.from(`${JSON.stringify(report)}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      // The pipe is non-blocking and the parent may be slow to drain it.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

async function report(system: System, clock: SimulatedClock, orderId: string, phase: Report['phase']): Promise<Report> {
  const saga = await system.query('order', orderId);
  const events: Report['events'] = [];
  for (let after = 0; ; ) {
    const page = await system.events({ after, limit: 1000 });
    if (page.length === 0) break;
    for (const { seq, id, topic, key, time, event } of page) if (key === orderId) events.push({ seq, id, topic, time, event });
    after = (page[page.length - 1] as Envelope).seq;
  }
  return { phase, now: clock.now(), saga: { value: saga.value, status: saga.status, reason: (saga.context as { reason?: unknown }).reason }, events };
}

async function main(): Promise<void> {
  const [mode, dbFile, startArg, orderId, advancesArg = ''] = process.argv.slice(2);
  const start = Number(startArg);
  const advances = advancesArg === '' ? [] : advancesArg.split(',').map(Number);
  if ((mode !== 'wait' && mode !== 'resume') || !dbFile || !orderId || !Number.isFinite(start) || !advances.every((ms) => Number.isFinite(ms) && ms >= 0)) {
    throw new Error('usage: timeout-worker.ts wait|resume <dbFile> <clockStartMs> <orderId> [advanceMs,...]');
  }
  // If the test runner dies, its end of stdin closes; a waiting child must not outlive it.
  process.stdin.on('end', () => process.exit(2)).resume();

  const clock = new SimulatedClock(start);
  const system = await createSystem({ db: dbFile, components, clock, owner: WORKER_OWNER });
  if (mode === 'wait') await placeOrders(system, [orderId]);
  await system.settled();
  announce(await report(system, clock, orderId, 'settled'));
  for (const ms of advances) {
    clock.advance(ms);
    await system.settled();
    announce(await report(system, clock, orderId, 'advanced'));
  }
  // A waiting child is killed by the test; a running system keeps the process alive until then.
  if (mode === 'wait') return;
  await system.stop();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`timeout worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
