import { type AnyActorRef, assign, type DoneActorEvent, emit, enqueueActions, fromPromise, setup } from 'xstate';
import { type AppendInput, defineComponent, type EventMeta, idempotencyKey } from '../../src/index.ts';

/** Number of producer keys; every `acc` and `gate` actor is one of them. */
export const KEY_COUNT = 50;

export const keyName = (index: number): string => `k${String(index).padStart(2, '0')}`;

/** 32-bit FNV-1a of `text`, seeded with `hash`: a change anywhere in a sequence changes the result. */
export function foldHash(hash: number, text: string): number {
  let h = hash ^ 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The producer's i-th event. Keys and amounts are a fixed function of `i` (not of the crash
 * seed), so every run publishes the same events with the same ids.
 */
export function producerEvent(i: number): AppendInput<{ type: 'add'; amount: number }> {
  const mixed = foldHash(0, `event-${i}`);
  return {
    topic: 'work.add',
    key: keyName(mixed % KEY_COUNT),
    id: `p-${i}`,
    event: { type: 'add', amount: (mixed >>> 8) % 13 },
  };
}

type Delivered<T> = T & { meta: EventMeta };
type AddEvent = Delivered<{ type: 'add'; amount: number }>;
type AddedEvent = Delivered<{ type: 'acc.added'; key: string; count: number; amount: number }>;
type CalledEvent = Delivered<{ type: 'acc.called'; key: string; value: number }>;
type CycledEvent = Delivered<{ type: 'gate.cycled'; key: string; cycles: number }>;
type CooledEvent = Delivered<{ type: 'gate.cooled'; key: string; cycle: number }>;

/** What the `call` child answers for an event's amount: a fixed function of it, so every run adds up the same. */
export const callValue = (amount: number): number => amount * 2 + 1;
/** A call whose value this is sets a timer of its own when its outcome is taken in (a timer named after an input record). */
const echoes = (value: number): boolean => value % 3 === 0;
/** Delays in real milliseconds: short, so the crash run's kills find timers pending, calls in flight, and records not yet taken in. */
const tickDelay = (amount: number): number => 5 + (amount % 4) * 5;
const ECHO_DELAY_MS = 10;
const COOL_DELAY_MS = 15;

/** Hears every call a `call` child makes, with its idempotency key, before it answers: the worker counts the calls made per effect. */
export type CallListener = (effect: string) => void;

/** The file next to a database where every process on it appends the calls its children make, one idempotency key a line. */
export const callLogOf = (db: string): string => `${db}.calls`;

/** A call that takes 0–4 ms (by its amount) and answers `callValue(amount)`. */
const callLogic = (onCall: CallListener) =>
  fromPromise(async ({ input, self }: { input: { amount: number }; self: AnyActorRef }) => {
    onCall(idempotencyKey(self) ?? `(no key: ${self.id})`);
    await new Promise((resolve) => setTimeout(resolve, input.amount % 5));
    return callValue(input.amount);
  });

interface AccContext {
  key: string;
  count: number;
  sum: number;
  hash: number;
  /** Outcomes of the `call` children taken in, and the sum of their values. */
  calls: number;
  callSum: number;
  /** `tick` timers fired, and the sum of the amounts they carried. */
  ticks: number;
  tickSum: number;
  /** `echo` timers fired, and how many the calls so far will set (known at each event: it depends on the amount only). */
  echoes: number;
  echoesDue: number;
}

/**
 * One actor per key. The hash folds in the id of every event in processing order, so a lost,
 * doubled or reordered event shows in the final context. Each event also spawns a `call` child
 * and sets a `tick` timer, both named after the event; a call's outcome is emitted as
 * `acc.called` and some set an `echo` timer. Outcomes and firings interleave with events
 * differently from run to run (real time), so what they do to the context is commutative.
 */
const accMachine = (onCall: CallListener) =>
  setup({
    types: {
      context: {} as AccContext,
      input: {} as { key: string | undefined },
      events: {} as AddEvent | { type: 'tick'; amount: number } | { type: 'echo' } | DoneActorEvent<number>,
      emitted: {} as { type: 'acc.added'; key: string; count: number; amount: number } | { type: 'acc.called'; key: string; value: number },
    },
    actors: { call: callLogic(onCall) },
  }).createMachine({
    id: 'acc',
    context: ({ input }) => ({ key: input.key ?? '', count: 0, sum: 0, hash: 0, calls: 0, callSum: 0, ticks: 0, tickSum: 0, echoes: 0, echoesDue: 0 }),
    on: {
      add: {
        actions: [
          assign(({ context, event }) => ({
            count: context.count + 1,
            sum: context.sum + event.amount,
            hash: foldHash(context.hash, event.meta.id),
            echoesDue: context.echoesDue + (echoes(callValue(event.amount)) ? 1 : 0),
          })),
          emit(({ context, event }) => ({ type: 'acc.added' as const, key: context.key, count: context.count, amount: event.amount })),
          enqueueActions(({ event, enqueue }) => {
            enqueue.spawnChild('call', { id: `call-${event.meta.id}`, input: { amount: event.amount } });
            enqueue.raise({ type: 'tick', amount: event.amount }, { id: `tick-${event.meta.id}`, delay: tickDelay(event.amount) });
          }),
        ],
      },
      'xstate.done.actor.*': {
        actions: [
          assign(({ context, event }) => ({ calls: context.calls + 1, callSum: context.callSum + (event as DoneActorEvent<number>).output })),
          emit(({ context, event }) => ({ type: 'acc.called' as const, key: context.key, value: (event as DoneActorEvent<number>).output })),
          enqueueActions(({ event, enqueue }) => {
            const done = event as DoneActorEvent<number>;
            // A done child stays in the snapshot until it is stopped.
            enqueue.stopChild(done.actorId);
            if (echoes(done.output)) enqueue.raise({ type: 'echo' }, { id: `echo-${done.actorId}`, delay: ECHO_DELAY_MS });
          }),
        ],
      },
      tick: { actions: assign(({ context, event }) => ({ ticks: context.ticks + 1, tickSum: context.tickSum + event.amount })) },
      echo: { actions: assign(({ context }) => ({ echoes: context.echoes + 1 })) },
    },
  });

/**
 * One actor per key, driven by that key's `acc.added` events: a small state machine whose
 * state (not only its context) depends on the exact sequence it saw. It emits `gate.cycled`
 * each time it fires, so emitted events cause further emitted events, and sets a `cool` timer
 * whose firing emits `gate.cooled` (counted, whenever it comes).
 */
const gateMachine = setup({
  types: {
    context: {} as { key: string; seen: number; cycles: number; lastCount: number; outOfOrder: number; cooled: number },
    input: {} as { key: string | undefined },
    events: {} as AddedEvent | { type: 'cool'; cycle: number },
    emitted: {} as { type: 'gate.cycled'; key: string; cycles: number } | { type: 'gate.cooled'; key: string; cycle: number },
  },
  guards: {
    odd: ({ event }) => (event as AddedEvent).amount % 2 === 1,
  },
  actions: {
    track: assign(({ context, event }) => {
      const added = event as AddedEvent;
      return {
        seen: context.seen + 1,
        lastCount: added.count,
        outOfOrder: context.outOfOrder + (added.count === context.lastCount + 1 ? 0 : 1),
      };
    }),
    countCycle: assign(({ context }) => ({ cycles: context.cycles + 1 })),
    announceCycle: emit(({ context }) => ({ type: 'gate.cycled' as const, key: context.key, cycles: context.cycles })),
    coolLater: enqueueActions(({ context, enqueue }) => {
      enqueue.raise({ type: 'cool', cycle: context.cycles }, { id: `cool-${context.cycles}`, delay: COOL_DELAY_MS });
    }),
  },
}).createMachine({
  id: 'gate',
  context: ({ input }) => ({ key: input.key ?? '', seen: 0, cycles: 0, lastCount: 0, outOfOrder: 0, cooled: 0 }),
  initial: 'idle',
  on: {
    'acc.added': { actions: 'track' },
    cool: {
      actions: [
        assign(({ context }) => ({ cooled: context.cooled + 1 })),
        emit(({ context, event }) => ({ type: 'gate.cooled' as const, key: context.key, cycle: event.cycle })),
      ],
    },
  },
  states: {
    idle: {
      on: { 'acc.added': { guard: 'odd', target: 'armed', actions: 'track' } },
    },
    armed: {
      on: {
        'acc.added': [
          { guard: 'odd', target: 'firing', actions: ['track', 'countCycle', 'announceCycle', 'coolLater'] },
          { target: 'idle', actions: 'track' },
        ],
      },
    },
    firing: {
      on: { 'acc.added': { target: 'idle', actions: 'track' } },
    },
  },
});

interface PerKey {
  added: number;
  maxCount: number;
  cycles: number;
  maxCycle: number;
  /** `acc.called` and `gate.cooled` come in whatever order their records did: counted and summed only. */
  called: number;
  calledSum: number;
  cooled: number;
}

const NO_ENTRY: PerKey = { added: 0, maxCount: 0, cycles: 0, maxCycle: 0, called: 0, calledSum: 0, cooled: 0 };

/**
 * A singleton over every key's emitted events. Different keys' events interleave differently
 * from run to run, so everything it keeps is commutative across keys; within a key the order
 * of `acc.added` and of `gate.cycled` is fixed, and `outOfOrder` counts any break in it.
 */
const auditMachine = setup({
  types: {
    context: {} as { total: number; perKey: Record<string, PerKey>; outOfOrder: number },
    events: {} as AddedEvent | CycledEvent | CalledEvent | CooledEvent,
  },
}).createMachine({
  id: 'audit',
  context: { total: 0, perKey: {}, outOfOrder: 0 },
  on: {
    'acc.added': {
      actions: assign(({ context, event }) => {
        const entry = context.perKey[event.key] ?? NO_ENTRY;
        const inOrder = event.count === entry.maxCount + 1;
        return {
          total: context.total + 1,
          outOfOrder: context.outOfOrder + (inOrder ? 0 : 1),
          perKey: { ...context.perKey, [event.key]: { ...entry, added: entry.added + 1, maxCount: Math.max(entry.maxCount, event.count) } },
        };
      }),
    },
    'gate.cycled': {
      actions: assign(({ context, event }) => {
        const entry = context.perKey[event.key] ?? NO_ENTRY;
        const inOrder = event.cycles === entry.maxCycle + 1;
        return {
          total: context.total + 1,
          outOfOrder: context.outOfOrder + (inOrder ? 0 : 1),
          perKey: { ...context.perKey, [event.key]: { ...entry, cycles: entry.cycles + 1, maxCycle: Math.max(entry.maxCycle, event.cycles) } },
        };
      }),
    },
    'acc.called': {
      actions: assign(({ context, event }) => {
        const entry = context.perKey[event.key] ?? NO_ENTRY;
        return {
          total: context.total + 1,
          perKey: { ...context.perKey, [event.key]: { ...entry, called: entry.called + 1, calledSum: entry.calledSum + event.value } },
        };
      }),
    },
    'gate.cooled': {
      actions: assign(({ context, event }) => {
        const entry = context.perKey[event.key] ?? NO_ENTRY;
        return { total: context.total + 1, perKey: { ...context.perKey, [event.key]: { ...entry, cooled: entry.cooled + 1 } } };
      }),
    },
  },
});

/**
 * The components, with the checkpoint policy of one process lifetime. `onCall` hears every
 * call a `call` child makes, with its idempotency key.
 */
export function components(checkpointMaxEvents: number, onCall: CallListener = () => {}) {
  const checkpoint = { maxEvents: checkpointMaxEvents, maxDelayMs: 0 };
  return [
    defineComponent({ name: 'acc', logic: accMachine(onCall), subscribe: 'work.add', key: true, checkpoint }),
    defineComponent({ name: 'gate', logic: gateMachine, subscribe: 'acc.added', key: true, checkpoint }),
    defineComponent({ name: 'audit', logic: auditMachine, subscribe: ['acc.added', 'gate.cycled', 'acc.called', 'gate.cooled'], checkpoint }),
  ];
}
