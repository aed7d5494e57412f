import { type ActorView, type System, UnknownKeyError } from '../../src/index.ts';
import type { CancelReason, Cents } from './events.ts';
import type { OrderContext } from './order.machine.ts';
import type { PaymentContext } from './payment.machine.ts';
import { expectedOutcome, paymentDeclines, paymentUnanswered } from './rules.ts';
import type { ShippingContext } from './shipping.machine.ts';
import type { Totals } from './totals.store.ts';

/** One proof obligation of a run, and what was found. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface RunSummary {
  orders: number;
  completed: number;
  cancelledBy: Record<CancelReason, number>;
  revenue: Cents;
  refunded: Cents;
  /** Events in the log. */
  events: number;
}

export interface RunReport {
  ok: boolean;
  checks: Check[];
  summary: RunSummary;
}

const OUTCOME_TOPICS = ['order.completed', 'order.cancelled'];
const PAGE = 1000;
/** Mismatches listed in a failed check's detail; the rest are counted. */
const SHOWN = 3;

/**
 * Proves that a settled run handled every order exactly once, from three independent sources:
 * the actors' states (via `query`), the totals projection, and the log itself.
 *
 * @example
 * await placeOrders(system, ids);
 * await system.settled();
 * const report = await verifyRun(system, ids);
 * if (!report.ok) process.exitCode = 1;
 */
export async function verifyRun(system: System, orderIds: readonly string[]): Promise<RunReport> {
  const sagas = await views(system, 'order', orderIds);
  const payments = await views(system, 'payment', orderIds);
  const shipments = await views(system, 'shipping', orderIds);
  const totals = (await system.query('totals')).context as Totals;
  const log = await scanLog(system);

  const summary: RunSummary = {
    orders: orderIds.length,
    completed: 0,
    cancelledBy: { 'invalid-order': 0, 'payment-declined': 0, 'payment-timeout': 0, 'shipment-failed': 0 },
    revenue: 0,
    refunded: 0,
    events: log.events,
  };
  const checks: Check[] = [];

  const wrongOutcome: string[] = [];
  for (const orderId of orderIds) {
    const saga = sagas.get(orderId);
    const context = saga?.context as OrderContext | undefined;
    const expected = expectedOutcome(orderId);
    const actual = saga === undefined ? 'no saga' : `${String(saga.value)}${context?.reason ? ` (${context.reason})` : ''}`;
    const wanted = expected.state === 'completed' ? 'completed' : `cancelled (${expected.reason})`;
    if (saga?.status !== 'done' || actual !== wanted) wrongOutcome.push(`${orderId}: ${actual}, expected ${wanted}`);
    if (saga?.value === 'completed' && context) {
      summary.completed++;
      summary.revenue += context.amount;
    } else if (saga?.value === 'cancelled' && context?.reason) {
      summary.cancelledBy[context.reason]++;
    }
  }
  checks.push(
    check("every order's saga is final, with the expected outcome", wrongOutcome, `${orderIds.length - wrongOutcome.length}/${orderIds.length} orders`),
  );

  const wrongCharge: string[] = [];
  const refundedOrders = new Set<string>();
  for (const orderId of orderIds) {
    const payment = payments.get(orderId)?.context as PaymentContext | undefined;
    const charges = payment?.charges ?? 0;
    const due = paymentUnanswered(orderId) || paymentDeclines(orderId) ? 0 : 1;
    if (charges !== due) wrongCharge.push(`${orderId}: charged ${charges}×, expected ${due}×`);
    if ((payment?.refunds ?? 0) > 1) wrongCharge.push(`${orderId}: refunded ${payment?.refunds}×`);
    if (payment && payment.refunds > 0) {
      refundedOrders.add(orderId);
      summary.refunded += payment.amount * payment.refunds;
    }
  }
  const charged = orderIds.filter((id) => ((payments.get(id)?.context as PaymentContext | undefined)?.charges ?? 0) > 0).length;
  const unanswered = orderIds.filter((id) => payments.get(id)?.value === 'pending').length;
  checks.push(
    check(
      'every payment was charged once, or never if declined or unanswered',
      wrongCharge,
      `${charged} charged, ${orderIds.length - charged - unanswered} declined, ${unanswered} unanswered`,
    ),
  );

  const wrongRefund: string[] = [];
  let failedShipments = 0;
  for (const orderId of orderIds) {
    const shipment = shipments.get(orderId);
    const shipped = (shipment?.context as ShippingContext | undefined)?.shipments ?? 0;
    if (shipped > 1) wrongRefund.push(`${orderId}: shipped ${shipped}×`);
    const failed = shipment?.value === 'failed';
    if (failed) failedShipments++;
    if (failed !== refundedOrders.has(orderId))
      wrongRefund.push(`${orderId}: shipment ${String(shipment?.value ?? 'never requested')}, refund ${refundedOrders.has(orderId) ? 'paid' : 'not paid'}`);
  }
  checks.push(check('refunds match shipment failures', wrongRefund, `${failedShipments} failed shipments, ${refundedOrders.size} refunds`));

  const wrongTotals: string[] = [];
  const cancelled = Object.values(summary.cancelledBy).reduce((a, b) => a + b, 0);
  const compare = (field: string, projected: number, counted: number) => {
    if (projected !== counted) wrongTotals.push(`${field}: projection ${projected}, orders ${counted}`);
  };
  compare('placed', totals.placed, orderIds.length);
  compare('completed', totals.completed, summary.completed);
  compare('cancelled', totals.cancelled, cancelled);
  for (const reason of Object.keys(summary.cancelledBy) as CancelReason[])
    compare(`cancelled by ${reason}`, totals.cancelledBy[reason], summary.cancelledBy[reason]);
  compare('revenue', totals.revenue, summary.revenue);
  compare('refunded', totals.refunded, summary.refunded);
  checks.push(
    check(
      'projection totals equal the per-order outcomes',
      wrongTotals,
      `${totals.completed} completed, ${totals.cancelled} cancelled, revenue ${money(totals.revenue)}, refunded ${money(totals.refunded)}`,
    ),
  );

  const wrongOutcomeEvents: string[] = [];
  const known = new Set(orderIds);
  for (const orderId of orderIds) {
    const topics = log.outcomes.get(orderId) ?? [];
    const saga = sagas.get(orderId);
    if (topics.length !== 1) wrongOutcomeEvents.push(`${orderId}: ${topics.length} outcome events`);
    else if (topics[0] !== `order.${String(saga?.value)}`) wrongOutcomeEvents.push(`${orderId}: log says ${topics[0]}, saga is ${String(saga?.value)}`);
  }
  for (const key of log.outcomes.keys()) if (!known.has(key)) wrongOutcomeEvents.push(`${key}: an outcome for an order not in this run`);
  checks.push(check('the log has exactly one order.completed or order.cancelled per order', wrongOutcomeEvents, `${log.outcomeEvents} outcome events`));

  // An order may time out only through its saga's timer; a timeout that came from anywhere else, or twice, is a bug.
  const wrongTimeouts: string[] = [];
  const timedOut = new Set<string>(log.timeouts.keys());
  for (const orderId of orderIds) {
    const expected = expectedOutcome(orderId);
    if (expected.state === 'cancelled' && expected.reason === 'payment-timeout') timedOut.add(orderId);
    if ((sagas.get(orderId)?.context as OrderContext | undefined)?.reason === 'payment-timeout') timedOut.add(orderId);
  }
  for (const orderId of timedOut) {
    const ids = log.timeouts.get(orderId) ?? [];
    if (ids.length !== 1) wrongTimeouts.push(`${orderId}: ${ids.length} order.cancelled (payment-timeout) events`);
    for (const id of ids) if (!id.startsWith(`order/${orderId}/timer/`)) wrongTimeouts.push(`${orderId}: ${id} is not a timer id`);
  }
  checks.push(
    check("every timed-out order has exactly one order.cancelled (payment-timeout), emitted by its saga's timer", wrongTimeouts, `${timedOut.size} timeouts`),
  );

  checks.push(check('no event id appears twice, and no order step was logged twice', log.duplicates, `${log.events} events, ${log.ids} distinct ids`));

  const parked = system.deadLetters().map((d) => `${d.consumer} seq ${d.seq}: ${d.error}`);
  checks.push(check('no event was parked as a dead letter', parked, 'none'));

  return { ok: checks.every((c) => c.ok), checks, summary };
}

/** Formats cents as a decimal amount. */
export function money(cents: Cents): string {
  return (cents / 100).toFixed(2);
}

async function views(system: System, component: string, keys: readonly string[]): Promise<Map<string, ActorView>> {
  const found = new Map<string, ActorView>();
  for (const key of keys) {
    try {
      found.set(key, await system.query(component, key));
    } catch (error) {
      // An actor that was never created is a finding, not a crash of the verification.
      if (!(error instanceof UnknownKeyError)) throw error;
    }
  }
  return found;
}

interface LogScan {
  events: number;
  ids: number;
  duplicates: string[];
  outcomes: Map<string, string[]>;
  outcomeEvents: number;
  /** Per order, the ids of `order.cancelled` events with reason `payment-timeout`. */
  timeouts: Map<string, string[]>;
}

/** Pages through the whole log once. */
async function scanLog(system: System): Promise<LogScan> {
  const ids = new Set<string>();
  const steps = new Set<string>();
  const scan: LogScan = { events: 0, ids: 0, duplicates: [], outcomes: new Map(), outcomeEvents: 0, timeouts: new Map() };
  for (let after = 0; ; ) {
    const page = await system.events({ after, limit: PAGE });
    for (const envelope of page) {
      scan.events++;
      if (ids.has(envelope.id)) scan.duplicates.push(`id ${envelope.id} at seq ${envelope.seq}`);
      ids.add(envelope.id);
      // In this workflow each topic happens at most once per order.
      const step = `${envelope.key ?? ''} ${envelope.topic}`;
      if (steps.has(step)) scan.duplicates.push(`${envelope.topic} for ${envelope.key} again at seq ${envelope.seq}`);
      steps.add(step);
      if (OUTCOME_TOPICS.includes(envelope.topic) && envelope.key !== undefined) {
        scan.outcomeEvents++;
        const topics = scan.outcomes.get(envelope.key) ?? [];
        topics.push(envelope.topic);
        scan.outcomes.set(envelope.key, topics);
      }
      if (envelope.topic === 'order.cancelled' && envelope.key !== undefined && envelope.event.reason === 'payment-timeout') {
        const ids = scan.timeouts.get(envelope.key) ?? [];
        ids.push(envelope.id);
        scan.timeouts.set(envelope.key, ids);
      }
      after = envelope.seq;
    }
    if (page.length < PAGE) break;
  }
  scan.ids = ids.size;
  return scan;
}

function check(name: string, problems: readonly string[], detail: string): Check {
  if (problems.length === 0) return { name, ok: true, detail };
  const more = problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : '';
  return { name, ok: false, detail: `${problems.slice(0, SHOWN).join('; ')}${more}` };
}
