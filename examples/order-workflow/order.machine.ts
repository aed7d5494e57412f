import { assertEvent, assign, emit, setup } from 'xstate';
import type {
  CancelReason,
  Cents,
  OrderCancelled,
  OrderCompleted,
  OrderPlaced,
  PaymentFailed,
  PaymentRefunded,
  PaymentRefundRequested,
  PaymentRequested,
  PaymentSucceeded,
  ShipmentFailed,
  ShipmentRequested,
  ShipmentShipped,
} from './events.ts';

/** How long the saga waits for the bank before it cancels the order. */
export const PAYMENT_TIMEOUT_MS = 30_000;

export interface OrderContext {
  orderId: string;
  amount: Cents;
  /** Set when the order is cancelled; null otherwise. */
  reason: CancelReason | null;
}

export type OrderEvent = OrderPlaced | PaymentSucceeded | PaymentFailed | ShipmentShipped | ShipmentFailed | PaymentRefunded;
export type OrderEmitted = PaymentRequested | ShipmentRequested | PaymentRefundRequested | OrderCompleted | OrderCancelled;

/**
 * The order saga, one actor per order id. It drives payment and shipping by emitting requests,
 * and compensates a failed shipment by refunding the payment before it cancels the order.
 */
export const orderMachine = setup({
  types: {
    context: {} as OrderContext,
    events: {} as OrderEvent,
    emitted: {} as OrderEmitted,
    input: {} as { key?: string | undefined },
  },
  delays: {
    paymentTimeout: PAYMENT_TIMEOUT_MS,
  },
  guards: {
    validOrder: ({ event }) => {
      assertEvent(event, 'order.placed');
      return Number.isInteger(event.amount) && event.amount > 0;
    },
  },
  actions: {
    recordOrder: assign(({ event }) => {
      assertEvent(event, 'order.placed');
      return { amount: event.amount };
    }),
    rejectOrder: assign({ reason: 'invalid-order' as const }),
    recordDecline: assign({ reason: 'payment-declined' as const }),
    recordTimeout: assign({ reason: 'payment-timeout' as const }),
    recordShipmentFailure: assign({ reason: 'shipment-failed' as const }),
    requestPayment: emit(({ context }) => ({ type: 'payment.requested' as const, orderId: context.orderId, amount: context.amount })),
    requestShipment: emit(({ context }) => ({ type: 'shipment.requested' as const, orderId: context.orderId })),
    requestRefund: emit(({ context }) => ({ type: 'payment.refund-requested' as const, orderId: context.orderId, amount: context.amount })),
    announceCompleted: emit(({ context }) => ({ type: 'order.completed' as const, orderId: context.orderId, amount: context.amount })),
    announceCancelled: emit(({ context }) => ({
      type: 'order.cancelled' as const,
      orderId: context.orderId,
      amount: context.amount,
      reason: context.reason ?? 'invalid-order',
    })),
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({ orderId: input.key ?? '', amount: 0, reason: null }),
  initial: 'new',
  states: {
    new: {
      on: {
        'order.placed': [
          { guard: 'validOrder', target: 'awaitingPayment', actions: ['recordOrder', 'requestPayment'] },
          { target: 'cancelled', actions: ['recordOrder', 'rejectOrder'] },
        ],
      },
    },
    // The timeout is durable: it survives restarts, and an overdue one fires as soon as the saga is restored.
    awaitingPayment: {
      after: {
        paymentTimeout: { target: 'cancelled', actions: 'recordTimeout' },
      },
      on: {
        'payment.succeeded': { target: 'awaitingShipment', actions: 'requestShipment' },
        'payment.failed': { target: 'cancelled', actions: 'recordDecline' },
      },
    },
    awaitingShipment: {
      on: {
        'shipment.shipped': { target: 'completed' },
        'shipment.failed': { target: 'awaitingRefund', actions: ['recordShipmentFailure', 'requestRefund'] },
      },
    },
    awaitingRefund: {
      on: {
        'payment.refunded': { target: 'cancelled' },
      },
    },
    completed: { type: 'final', entry: 'announceCompleted' },
    cancelled: { type: 'final', entry: 'announceCancelled' },
  },
});
