import { assign, cancel, createMachine, raise, sendParent, sendTo, setup } from 'xstate';
import { type ConformanceCase, conformance } from '../conformance-case.ts';

/** Times out 1 s after it starts, with no event at all: the timer is set by the initial state. */
const startsWaiting = createMachine({
  initial: 'waiting',
  states: { waiting: { after: { 1000: 'timedOut' } }, timedOut: {} },
});

const light = createMachine({
  initial: 'green',
  context: { cycles: 0 },
  states: {
    green: { after: { 1000: 'yellow' }, on: { emergency: 'red' } },
    yellow: { after: { 500: 'red' } },
    red: { after: { 2000: { target: 'green', actions: assign({ cycles: ({ context }) => context.cycles + 1 }) } } },
  },
});

const dynamic = setup({ delays: { wait: ({ context }: { context: { ms: number } }) => context.ms } }).createMachine({
  context: { ms: 300 },
  initial: 'idle',
  states: { idle: { on: { start: 'waiting' } }, waiting: { after: { wait: 'done' } }, done: {} },
});

const guardedAfter = createMachine({
  context: { allowed: false },
  initial: 'waiting',
  states: {
    waiting: {
      on: { allow: { actions: assign({ allowed: true }) } },
      after: { 100: [{ guard: ({ context }) => context.allowed, target: 'passed' }, { target: 'refused' }] },
    },
    passed: {},
    refused: {},
  },
});

const pings = createMachine({
  context: { pings: 0 },
  initial: 'idle',
  states: {
    idle: { on: { start: { target: 'running', actions: raise({ type: 'ping' }, { delay: 200, id: 'ping' }) } } },
    running: {
      on: {
        ping: { actions: [assign({ pings: ({ context }) => context.pings + 1 }), raise({ type: 'ping' }, { delay: 200, id: 'ping' })] },
        stop: { target: 'idle', actions: cancel('ping') },
      },
    },
  },
});

const counterChild = createMachine({
  context: { n: 0 },
  on: { inc: { actions: [assign({ n: ({ context }) => context.n + 1 }), sendParent({ type: 'child.counted' })] } },
});

/** Sends its child `inc` after 1 s; `replace` stops that child and starts a new one under the same id. */
const replacedTarget = setup({ actors: { counter: counterChild } }).createMachine({
  context: { counted: 0 },
  initial: 'running',
  on: { 'child.counted': { actions: assign({ counted: ({ context }) => context.counted + 1 }) } },
  states: {
    running: {
      invoke: { src: 'counter', id: 'c' },
      on: {
        arm: { actions: sendTo('c', { type: 'inc' }, { delay: 1000 }) },
        replace: { target: 'running', reenter: true },
      },
    },
  },
});

export const delayCases: ConformanceCase[] = [
  conformance('an after timer set by the initial state keeps its due time across restarts', startsWaiting, { advance: 600 }, { advance: 600 }),
  conformance('after timers chain from state to state', light, { advance: 1000 }, { advance: 500 }, { advance: 1999 }, { advance: 1 }),
  conformance('leaving a state cancels its after timer', light, { advance: 400 }, { type: 'emergency' }, { advance: 700 }),
  conformance('a delay from the delays option uses the context', dynamic, { type: 'start' }, { advance: 299 }, { advance: 1 }),
  conformance('a guarded after takes the first enabled branch', guardedAfter, { type: 'allow' }, { advance: 100 }),
  conformance('a guarded after falls through to the next branch', guardedAfter, { advance: 100 }),
  conformance('a delayed raise re-arms itself', pings, { type: 'start' }, { advance: 200 }, { advance: 200 }, { advance: 200 }),
  conformance('cancel stops a delayed raise', pings, { type: 'start' }, { advance: 200 }, { type: 'stop' }, { advance: 1000 }),
  conformance('a delayed sendTo reaches the child', replacedTarget, { type: 'arm' }, { advance: 1000 }),
  conformance('a delayed sendTo to a child that was replaced is dropped', replacedTarget, { type: 'arm' }, { type: 'replace' }, { advance: 1000 }),
];
