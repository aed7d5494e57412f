import { assertEvent, assign, emit, setup } from 'xstate';
import type { Cents, PaymentFailed, PaymentRefunded, PaymentRefundRequested, PaymentRequested, PaymentSucceeded } from './events.ts';
import { paymentDeclines, paymentUnanswered } from './rules.ts';

export interface PaymentContext {
  orderId: string;
  amount: Cents;
  /** How many times the card was charged; the workflow is correct only if this never passes 1. */
  charges: number;
  refunds: number;
}

export type PaymentEvent = PaymentRequested | PaymentRefundRequested;
export type PaymentEmitted = PaymentSucceeded | PaymentFailed | PaymentRefunded;

/**
 * The payment provider's side of one order. A request that arrives again after the charge
 * finds no transition in `charged`, so a card is never charged twice. A bank that never
 * answers leaves the request `pending` for good; the saga's timeout cancels the order.
 */
export const paymentMachine = setup({
  types: {
    context: {} as PaymentContext,
    events: {} as PaymentEvent,
    emitted: {} as PaymentEmitted,
    input: {} as { key?: string | undefined },
  },
  guards: {
    bankSilent: ({ context }) => paymentUnanswered(context.orderId),
    cardDeclines: ({ context }) => paymentDeclines(context.orderId),
  },
  actions: {
    recordRequest: assign(({ event }) => {
      assertEvent(event, 'payment.requested');
      return { amount: event.amount };
    }),
    charge: assign(({ context }) => ({ charges: context.charges + 1 })),
    refund: assign(({ context }) => ({ refunds: context.refunds + 1 })),
    confirmCharge: emit(({ context }) => ({ type: 'payment.succeeded' as const, orderId: context.orderId, amount: context.amount })),
    reportDecline: emit(({ context }) => ({ type: 'payment.failed' as const, orderId: context.orderId, reason: 'card declined' })),
    confirmRefund: emit(({ context }) => ({ type: 'payment.refunded' as const, orderId: context.orderId, amount: context.amount })),
  },
}).createMachine({
  id: 'payment',
  context: ({ input }) => ({ orderId: input.key ?? '', amount: 0, charges: 0, refunds: 0 }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        'payment.requested': [
          { guard: 'bankSilent', target: 'pending', actions: 'recordRequest' },
          { guard: 'cardDeclines', target: 'declined', actions: ['recordRequest', 'reportDecline'] },
          { target: 'charged', actions: ['recordRequest', 'charge', 'confirmCharge'] },
        ],
      },
    },
    charged: {
      on: {
        'payment.refund-requested': { target: 'refunded', actions: ['refund', 'confirmRefund'] },
      },
    },
    pending: {},
    declined: { type: 'final' },
    refunded: { type: 'final' },
  },
});
