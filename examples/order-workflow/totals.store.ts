import { fromStore } from '@xstate/store';
import type { CancelReason, Cents } from './events.ts';

export interface Totals {
  placed: number;
  completed: number;
  cancelled: number;
  cancelledBy: Record<CancelReason, number>;
  /** Sum of completed orders' amounts. */
  revenue: Cents;
  /** Sum of refunds paid out. */
  refunded: Cents;
}

export const initialTotals: Totals = {
  placed: 0,
  completed: 0,
  cancelled: 0,
  cancelledBy: { 'invalid-order': 0, 'payment-declined': 0, 'payment-timeout': 0, 'shipment-failed': 0 },
  revenue: 0,
  refunded: 0,
};

/** A read model over the whole shop: one store, fed by outcome events of every order. */
export const totalsStore = fromStore({
  context: initialTotals,
  on: {
    'order.placed': (totals) => ({ ...totals, placed: totals.placed + 1 }),
    'order.completed': (totals, event: { amount: Cents }) => ({ ...totals, completed: totals.completed + 1, revenue: totals.revenue + event.amount }),
    'order.cancelled': (totals, event: { reason: CancelReason }) => ({
      ...totals,
      cancelled: totals.cancelled + 1,
      cancelledBy: { ...totals.cancelledBy, [event.reason]: totals.cancelledBy[event.reason] + 1 },
    }),
    'payment.refunded': (totals, event: { amount: Cents }) => ({ ...totals, refunded: totals.refunded + event.amount }),
  },
});
