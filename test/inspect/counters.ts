import { assign, setup } from 'xstate';
import { defineComponent } from '../../src/index.ts';

type Add = { type: 'add'; amount: number };

const counting = setup({ types: {} as { context: { count: number }; events: Add } }).createMachine({
  id: 'counting',
  context: { count: 0 },
  initial: 'idle',
  states: { idle: { on: { add: { target: 'counted', actions: assign({ count: ({ context, event }) => context.count + event.amount }) } } }, counted: {} },
  on: { add: { actions: assign({ count: ({ context, event }) => context.count + event.amount }) } },
});

/** One counter per key, and a singleton total of every add. */
export const counter = defineComponent({ name: 'counter', logic: counting, subscribe: 'counts.*', key: true });
export const total = defineComponent({ name: 'total', logic: counting, subscribe: 'counts.*' });
