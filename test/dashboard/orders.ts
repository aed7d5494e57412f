import { assign, fromPromise, setup } from 'xstate';
import { defineComponent } from '../../src/index.ts';

/** While `held`, a quote is never answered: its order stays pricing, its outcome never in the log. */
export const quotes = { held: false };

/** An order is priced by an invoked promise (an effect whose outcome is an input record in the log), then shipped. */
const ordersMachine = setup({
  types: {} as { context: { total: number }; events: { type: 'place'; amount: number } | { type: 'ship' } },
  actors: {
    quote: fromPromise(async ({ input }: { input: { amount: number } }) => {
      if (quotes.held) await new Promise(() => {});
      return { total: input.amount * 2 };
    }),
  },
}).createMachine({
  id: 'order',
  context: { total: 0 },
  initial: 'open',
  states: {
    open: { on: { place: 'pricing' } },
    pricing: {
      invoke: {
        src: 'quote',
        input: ({ event }) => ({ amount: (event as { amount: number }).amount }),
        onDone: { target: 'priced', actions: assign({ total: ({ event }) => event.output.total }) },
      },
    },
    priced: { on: { ship: 'shipped' } },
    shipped: { type: 'final' },
  },
});
export const ordersComponent = defineComponent({ name: 'orders', logic: ordersMachine, subscribe: 'orders.*', key: true, checkpoint: { maxDelayMs: 0 } });
