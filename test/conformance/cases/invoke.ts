import { assign, createMachine, fromCallback, fromPromise, sendParent, sendTo, setup } from 'xstate';
import { type ConformanceCase, conformance } from '../conformance-case.ts';

const lookup = fromPromise(async ({ input }: { input: { id: number } }) => ({ name: `user-${input.id}` }));
const failing = fromPromise(async (): Promise<never> => {
  throw new Error('not found');
});

const fetcher = setup({ actors: { lookup, failing } }).createMachine({
  context: { user: null as unknown, error: null as string | null, id: 1 },
  initial: 'idle',
  states: {
    idle: { on: { fetch: 'loading', fail: 'failing' } },
    loading: {
      invoke: {
        src: 'lookup',
        input: ({ context }) => ({ id: context.id }),
        onDone: { target: 'idle', actions: assign({ user: ({ event }) => event.output, id: ({ context }) => context.id + 1 }) },
      },
    },
    failing: { invoke: { src: 'failing', onError: { target: 'idle', actions: assign({ error: ({ event }) => (event.error as Error).message }) } } },
  },
});

/** Inline invoked logic: XState names it by state and index (`xstate.invoke.0.(machine).loading`) and finds it again on restore. */
const inlineInvoke = createMachine({
  context: { result: 0 },
  initial: 'idle',
  states: {
    idle: { on: { go: 'loading' } },
    loading: {
      invoke: {
        src: fromPromise(async ({ input }: { input: number }) => input * 2),
        input: ({ context }) => context.result + 1,
        onDone: { target: 'idle', actions: assign({ result: ({ event }) => event.output }) },
      },
    },
  },
});

const inlineChildMachine = createMachine({
  context: { pongs: 0 },
  initial: 'running',
  states: {
    running: {
      invoke: {
        id: 'echo',
        src: createMachine({
          context: { seen: 0 },
          on: { ping: { actions: [assign({ seen: ({ context }) => context.seen + 1 }), sendParent({ type: 'pong' })] } },
        }),
      },
      on: { ping: { actions: sendTo('echo', { type: 'ping' }) }, pong: { actions: assign({ pongs: ({ context }) => context.pongs + 1 }) } },
    },
  },
});

const ticker = fromCallback(({ sendBack, receive }) => {
  receive((event) => {
    if (event.type === 'tick') sendBack({ type: 'tock' });
  });
});

const withCallback = setup({ actors: { ticker } }).createMachine({
  context: { tocks: 0 },
  initial: 'on',
  states: {
    on: {
      invoke: { src: 'ticker', id: 'ticker' },
      on: { tick: { actions: sendTo('ticker', { type: 'tick' }) }, tock: { actions: assign({ tocks: ({ context }) => context.tocks + 1 }) }, off: 'off' },
    },
    off: { on: { on: 'on' } },
  },
});

const slow = fromPromise(() => new Promise<string>(() => {}));
const abandoned = setup({ actors: { slow, lookup } }).createMachine({
  context: { user: null as unknown },
  initial: 'waiting',
  states: {
    waiting: { invoke: { src: 'slow', onDone: 'never' }, on: { cancel: 'fetching' } },
    fetching: { invoke: { src: 'lookup', input: { id: 9 }, onDone: { target: 'done', actions: assign({ user: ({ event }) => event.output }) } } },
    never: {},
    done: {},
  },
});

export const invokeCases: ConformanceCase[] = [
  conformance('an invoked promise delivers its output to onDone', fetcher, { type: 'fetch' }, { type: 'fetch' }),
  conformance('an invoked promise that rejects goes to onError', fetcher, { type: 'fail' }, { type: 'fetch' }),
  conformance('an inline invoked promise works across restarts', inlineInvoke, { type: 'go' }, { type: 'go' }, { type: 'go' }),
  conformance('an inline invoked machine keeps its state across restarts', inlineChildMachine, { type: 'ping' }, { type: 'ping' }),
  conformance(
    'an invoked callback answers events it receives',
    withCallback,
    { type: 'tick' },
    { type: 'tick' },
    { type: 'off' },
    { type: 'on' },
    { type: 'tick' },
  ),
  conformance('leaving a state stops its child before it settles', abandoned, { type: 'cancel' }),
];
