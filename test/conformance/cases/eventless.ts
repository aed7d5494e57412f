import { assign, createMachine, raise } from 'xstate';
import { type ConformanceCase, conformance } from '../conformance-case.ts';

const thermostat = createMachine({
  context: { temp: 20 },
  initial: 'ok',
  on: { set: { actions: assign({ temp: ({ event }) => (event as unknown as { temp: number }).temp }) } },
  states: {
    ok: {
      always: [
        { guard: ({ context }) => context.temp > 25, target: 'hot' },
        { guard: ({ context }) => context.temp < 15, target: 'cold' },
      ],
    },
    hot: { always: { guard: ({ context }) => context.temp <= 25, target: 'ok' } },
    cold: { always: { guard: ({ context }) => context.temp >= 15, target: 'ok' } },
  },
});

const chain = createMachine({
  context: { visited: [] as string[] },
  initial: 'idle',
  states: {
    idle: { on: { go: 'a' } },
    a: { entry: assign({ visited: ({ context }) => [...context.visited, 'a'] }), always: 'b' },
    b: { entry: assign({ visited: ({ context }) => [...context.visited, 'b'] }), always: 'c' },
    c: { entry: assign({ visited: ({ context }) => [...context.visited, 'c'] }) },
  },
});

const counter = createMachine({
  context: { n: 0 },
  initial: 'counting',
  states: {
    counting: {
      always: { guard: ({ context }) => context.n >= 3, target: 'done' },
      on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    },
    done: { on: { reset: { target: 'counting', actions: assign({ n: 0 }) } } },
  },
});

const regions = createMachine({
  type: 'parallel',
  states: {
    a: { initial: 'a1', states: { a1: { on: { go: 'a2' } }, a2: {} } },
    b: { initial: 'b1', states: { b1: { always: { guard: ({ context: _c, event: _e }) => false, target: 'b2' } }, b2: {} } },
    c: { initial: 'c1', states: { c1: { on: { go: 'c2' } }, c2: { always: 'c3' }, c3: {} } },
  },
});

const raised = createMachine({
  context: { log: [] as string[] },
  initial: 'a',
  states: {
    a: { on: { go: { target: 'b', actions: raise({ type: 'next' }) } } },
    b: { always: { target: 'c', actions: assign({ log: ({ context }) => [...context.log, 'always'] }) }, on: { next: 'd' } },
    c: { on: { next: { target: 'd', actions: assign({ log: ({ context }) => [...context.log, 'raised'] }) } } },
    d: {},
  },
});

export const eventlessCases: ConformanceCase[] = [
  conformance('an eventless transition follows the context', thermostat, { type: 'set', temp: 30 }, { type: 'set', temp: 10 }, { type: 'set', temp: 20 }),
  conformance('eventless transitions chain through several states in one step', chain, { type: 'go' }),
  conformance(
    'an eventless guard becomes true after an assign',
    counter,
    { type: 'inc' },
    { type: 'inc' },
    { type: 'inc' },
    { type: 'reset' },
    { type: 'inc' },
  ),
  conformance('eventless transitions run in parallel regions', regions, { type: 'go' }),
  conformance('eventless transitions run before raised events', raised, { type: 'go' }),
];
