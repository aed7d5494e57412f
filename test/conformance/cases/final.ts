import { assign, createMachine, sendTo, setup } from 'xstate';
import { type ConformanceCase, conformance } from '../conformance-case.ts';

const order = createMachine({
  context: { total: 0 },
  initial: 'open',
  output: ({ context }) => ({ total: context.total }),
  states: {
    open: { on: { add: { actions: assign({ total: ({ context }) => context.total + 1 }) }, close: 'closed' } },
    closed: { type: 'final' },
  },
});

const steps = createMachine({
  context: { done: [] as string[] },
  initial: 'form',
  states: {
    form: {
      initial: 'name',
      states: { name: { on: { next: 'email' } }, email: { on: { next: 'finished' } }, finished: { type: 'final' } },
      onDone: { target: 'review', actions: assign({ done: ({ context }) => [...context.done, 'form'] }) },
    },
    review: { on: { back: 'form' } },
  },
});

const nestedOutput = createMachine({
  context: { received: null as unknown },
  initial: 'work',
  states: {
    work: {
      initial: 'a',
      states: { a: { on: { finish: 'b' } }, b: { type: 'final', output: { code: 7 } } },
      onDone: { target: 'after', actions: assign({ received: ({ event }) => event.output }) },
    },
    after: {},
  },
});

const child = createMachine({ initial: 'a', states: { a: { on: { finish: 'b' } }, b: { type: 'final' } }, output: { ok: true } });

const parent = setup({ actors: { child } }).createMachine({
  context: { output: null as unknown },
  initial: 'running',
  states: {
    running: {
      invoke: { src: 'child', id: 'worker', onDone: { target: 'finished', actions: assign({ output: ({ event }) => event.output }) } },
      on: { poke: { actions: sendTo('worker', { type: 'finish' }) } },
    },
    finished: { type: 'final' },
  },
});

export const finalCases: ConformanceCase[] = [
  conformance('a top-level final state ends the machine with its output', order, { type: 'add' }, { type: 'close' }),
  conformance('events after the machine is done change nothing', order, { type: 'close' }, { type: 'add' }),
  conformance('a compound state is done when its final child is entered', steps, { type: 'next' }, { type: 'next' }, { type: 'back' }, { type: 'next' }),
  conformance('a final state output reaches onDone', nestedOutput, { type: 'finish' }),
  conformance('a child machine reaching its final state is done with its output', parent, { type: 'poke' }),
];
