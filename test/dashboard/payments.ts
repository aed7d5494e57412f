import { assign, setup } from 'xstate';
import { defineComponent } from '../../src/index.ts';

/** Charges fail while `failing` is set: a charge then becomes a dead letter at once (one attempt). */
export const payments = { failing: true };
const paymentsMachine = setup({
  types: {} as { context: { charged: number }; events: { type: 'charge'; amount: number } },
}).createMachine({
  id: 'payments',
  context: { charged: 0 },
  on: {
    charge: {
      actions: [
        () => {
          if (payments.failing) throw new Error('card declined by the test');
        },
        assign({ charged: ({ context, event }) => context.charged + event.amount }),
      ],
    },
  },
});
export const paymentsComponent = defineComponent({
  name: 'payments',
  logic: paymentsMachine,
  subscribe: 'payments.*',
  retry: { maxAttempts: 1 },
  checkpoint: { maxDelayMs: 0 },
});
