import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { components } from '../../examples/order-workflow/components.ts';
import { PAYMENT_TIMEOUT_MS } from '../../examples/order-workflow/order.machine.ts';
import { orderIds, placeOrders } from '../../examples/order-workflow/orders.ts';
import type { PaymentContext } from '../../examples/order-workflow/payment.machine.ts';
import { paymentDeclines, paymentUnanswered } from '../../examples/order-workflow/rules.ts';
import { verifyRun } from '../../examples/order-workflow/verify.ts';
import { type Envelope, SimulatedClock, type System, silentLogger, startSupervisor, startWorker, UnknownKeyError } from '../../src/index.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';

const T0 = 1_700_000_000_000;
const ORDERS = 300;
const IDS = orderIds(ORDERS);
/** The first half is placed and settles before the loss; the second half is placed just before it. */
const FIRST = IDS.slice(0, ORDERS / 2);
const SECOND = IDS.slice(ORDERS / 2);
/** Shorter than the payment timeout, so the timeouts fall due after the takeover, not during it. */
const LEASE_TTL_MS = 8_000;
const NAMES = new Set(components.map((component) => component.name));
const KEYED = ['order', 'payment', 'shipping'];
const WAIT = { timeoutMs: 10_000 };

/** Moves the clock in steps of a quarter lease, each answered by every process (a lease renewal among them), as time goes by for live workers. */
async function advance(clock: SimulatedClock, ms: number, systems: readonly System[]): Promise<void> {
  for (let left = ms; left > 0; left -= LEASE_TTL_MS / 4) {
    clock.advance(Math.min(left, LEASE_TTL_MS / 4));
    for (const system of systems) await system.status();
  }
}

async function readLog(system: System): Promise<Envelope[]> {
  const log: Envelope[] = [];
  for (;;) {
    const page = await system.events({ after: log.at(-1)?.seq ?? 0, limit: 1000 });
    log.push(...page);
    if (page.length < 1000) return log;
  }
}

/**
 * A run's log, with every seq a run's ids and states carry (an emitted event's id names the seq
 * of what caused it, a timer the seq that set it, a tracking number the seq of its request) told
 * by the id of the event at that seq instead, itself told so: two runs that interleave their
 * consumers' commits differently then read alike if they did the same things.
 */
class Untangled {
  readonly #ids = new Map<number, string>();

  constructor(log: readonly Envelope[]) {
    for (const e of log) this.#ids.set(e.seq, e.id);
  }

  /** `component/key/<seq>/…` and `component/key/timer/<seq>/…` with the seq told by the id at it. */
  id(id: string): string {
    const parts = id.split('/');
    if (!NAMES.has(parts[0] ?? '')) return id;
    const at = parts[2] === 'timer' ? 3 : 2;
    const seq = parts[at];
    if (seq !== undefined && /^\d+$/.test(seq)) parts[at] = `{${this.seq(Number(seq))}}`;
    return parts.join('/');
  }

  seq(seq: number): string {
    const id = this.#ids.get(seq);
    return id === undefined ? `no event at ${seq}` : this.id(id);
  }

  /** A value with the seqs it carries (a tracking number, a timer's name) told by ids. */
  value(value: unknown): unknown {
    return JSON.parse(
      JSON.stringify(value)
        .replace(/"TRK-(\d+)"/g, (_, seq: string) => JSON.stringify(`TRK-{${this.seq(Number(seq))}}`))
        .replace(/"timer\/(\d+)\//g, (_, seq: string) => `"timer/{${this.seq(Number(seq)).replaceAll('"', '\\"')}}/`),
    );
  }

  /** Each order's events in the order it met them: ids, topics, events and causes, no seqs or times. */
  perOrder(log: readonly Envelope[]): Record<string, unknown[]> {
    const byKey: Record<string, unknown[]> = {};
    for (const { id, topic, key = '', event, causation } of log) {
      const met = byKey[key] ?? [];
      met.push({ id: this.id(id), topic, event: this.value(event), causation: causation === undefined ? null : this.id(causation) });
      byKey[key] = met;
    }
    return byKey;
  }
}

/** Every actor (each order's saga, payment and shipment, and the totals), its seq told by the id of the event at it. */
async function actorsOf(system: System, untangled: Untangled): Promise<Record<string, unknown>> {
  const actors: Record<string, unknown> = {};
  const view = async (component: string, key?: string) => {
    try {
      const { value, context, status, seq } = await system.query(component, key);
      return untangled.value({ value, context, status, last: untangled.seq(seq) });
    } catch (error) {
      // Declined orders never reach shipping: the absence is part of the state.
      if (error instanceof UnknownKeyError) return null;
      throw error;
    }
  };
  for (const id of IDS) for (const component of KEYED) actors[`${component}/${id}`] = await view(component, id);
  actors.totals = await view('totals');
  return actors;
}

/**
 * The story every run tells: the first half of the orders placed and settled, so the orders
 * whose bank never answers wait with their payment timeouts pending; the second half placed,
 * and the loss (if any) once the first of them has moved on, while the rest are mid-saga; then
 * everything settled, and the clock moved past the payment timeouts. `lose`, if given, loses
 * the run's worker and returns the processes that go on.
 */
async function story(clock: SimulatedClock, system: System, processes: System[], lose?: () => Promise<System[]>): Promise<System> {
  await placeOrders(system, FIRST, { batchSize: 50 });
  await system.settled();
  await placeOrders(system, SECOND, { batchSize: 50 });
  await system.waitFor('order', SECOND[0] as string, (view) => view.value !== 'new', WAIT);
  let running = system;
  if (lose) {
    processes = await lose();
    running = processes.at(-1) as System;
  }
  await running.settled();
  await advance(clock, PAYMENT_TIMEOUT_MS, processes);
  await running.settled();
  return running;
}

describe('order workflow example: a worker and its file lost mid-run, the standby takes over', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await nats.stop();
  });
  const scratch = useScratch();

  it('ends every saga, payment, shipment and the totals as a run that never failed does, each order charged and timed out once', async () => {
    const checkpoint = { maxDelayMs: 0 };
    // The reference: the same story on one embedded system that never fails.
    const referenceClock = new SimulatedClock(T0);
    const reference = await scratch.start({
      db: scratch.file('reference.db'),
      components,
      clock: referenceClock,
      checkpoint,
      leaseTtlMs: LEASE_TTL_MS,
      logger: silentLogger,
    });
    await story(referenceClock, reference, [reference]);
    const referenceLog = await readLog(reference);
    const referenceUntangled = new Untangled(referenceLog);

    const clock = new SimulatedClock(T0);
    const options = { nats: { servers: nats.url, namespace: 'orders' }, leaseTtlMs: LEASE_TTL_MS, clock, checkpoint, logger: silentLogger };
    const supervisor = scratch.keep(await startSupervisor({ ...options, db: scratch.file('sss.db') }));
    const lostFile = scratch.file('worker-1.db');
    const lost = await startWorker({ ...options, db: lostFile, components, owner: 'worker-1' });
    const worker = scratch.keep(await startWorker({ ...options, db: scratch.file('worker-2.db'), components, owner: 'worker-2' }));
    expect((await worker.status()).consumers.map((c) => c.hostState)).toEqual(components.map(() => 'standby'));

    let logAtLoss: Envelope[] = [];
    const survivor = await story(clock, lost, [supervisor, lost, worker], async () => {
      await lost.halt();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${lostFile}${suffix}`, { force: true });
      logAtLoss = await readLog(worker);
      while (!(await worker.status()).consumers.every((c) => c.hostState === 'live')) await advance(clock, LEASE_TTL_MS / 4, [supervisor, worker]);
      return [supervisor, worker];
    });
    expect(survivor).toBe(worker);
    const log = await readLog(worker);
    const untangled = new Untangled(log);

    // The loss came mid-run: orders placed and not yet ended beyond those waiting for their bank, and timeouts pending.
    const ended = (events: readonly Envelope[]) =>
      new Set(events.filter((e) => e.topic === 'order.completed' || e.topic === 'order.cancelled').map((e) => e.key));
    const unanswered = IDS.filter(paymentUnanswered);
    expect(unanswered.length).toBeGreaterThan(0);
    expect(logAtLoss.filter((e) => e.topic === 'order.placed')).toHaveLength(ORDERS);
    expect(ended(logAtLoss).size).toBeLessThan(ORDERS - unanswered.length);
    expect(FIRST.filter(paymentUnanswered).length).toBeGreaterThan(0);
    expect(FIRST.filter(paymentUnanswered).filter((id) => ended(logAtLoss).has(id))).toEqual([]);
    expect(logAtLoss.some((e) => e.topic === '$input.order')).toBe(false);

    // The standby rebuilt every consumer from the log and went on as the run that never failed.
    expect(await actorsOf(worker, untangled)).toEqual(await actorsOf(reference, referenceUntangled));
    expect(untangled.perOrder(log)).toEqual(referenceUntangled.perOrder(referenceLog));
    expect(log).toHaveLength(referenceLog.length);
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
    expect(ended(log).size).toBe(ORDERS);

    // Each order charged once, or never where the card declined or the bank never answered; each timeout fired once.
    for (const id of IDS) {
      const { context } = await worker.query('payment', id);
      expect((context as PaymentContext).charges, id).toBe(paymentUnanswered(id) || paymentDeclines(id) ? 0 : 1);
      expect(log.filter((e) => e.key === id && e.topic === 'payment.succeeded').length, id).toBe((context as PaymentContext).charges);
    }
    const firings = log.filter((e) => e.topic === '$input.order');
    expect(firings.map((e) => e.key).sort()).toEqual(unanswered);
    const report = await verifyRun(worker, IDS);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  });
});
