import { assign, emit, setup } from 'xstate';
import { type AppendInput, defineComponent, type EventMeta } from '../../src/index.ts';

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
type CycledEvent = Delivered<{ type: 'gate.cycled'; key: string; cycles: number }>;

/**
 * One actor per key. The hash folds in the id of every event in processing order, so a lost,
 * doubled or reordered event shows in the final context.
 */
const accMachine = setup({
  types: {
    context: {} as { key: string; count: number; sum: number; hash: number },
    input: {} as { key: string | undefined },
    events: {} as AddEvent,
    emitted: {} as { type: 'acc.added'; key: string; count: number; amount: number },
  },
}).createMachine({
  id: 'acc',
  context: ({ input }) => ({ key: input.key ?? '', count: 0, sum: 0, hash: 0 }),
  on: {
    add: {
      actions: [
        assign(({ context, event }) => ({
          count: context.count + 1,
          sum: context.sum + event.amount,
          hash: foldHash(context.hash, event.meta.id),
        })),
        emit(({ context, event }) => ({ type: 'acc.added' as const, key: context.key, count: context.count, amount: event.amount })),
      ],
    },
  },
});

/**
 * One actor per key, driven by that key's `acc.added` events: a small state machine whose
 * state (not only its context) depends on the exact sequence it saw. It emits `gate.cycled`
 * each time it fires, so emitted events cause further emitted events.
 */
const gateMachine = setup({
  types: {
    context: {} as { key: string; seen: number; cycles: number; lastCount: number; outOfOrder: number },
    input: {} as { key: string | undefined },
    events: {} as AddedEvent,
    emitted: {} as { type: 'gate.cycled'; key: string; cycles: number },
  },
  guards: {
    odd: ({ event }) => event.amount % 2 === 1,
  },
  actions: {
    track: assign(({ context, event }) => ({
      seen: context.seen + 1,
      lastCount: event.count,
      outOfOrder: context.outOfOrder + (event.count === context.lastCount + 1 ? 0 : 1),
    })),
    countCycle: assign(({ context }) => ({ cycles: context.cycles + 1 })),
    announceCycle: emit(({ context }) => ({ type: 'gate.cycled' as const, key: context.key, cycles: context.cycles })),
  },
}).createMachine({
  id: 'gate',
  context: ({ input }) => ({ key: input.key ?? '', seen: 0, cycles: 0, lastCount: 0, outOfOrder: 0 }),
  initial: 'idle',
  on: { 'acc.added': { actions: 'track' } },
  states: {
    idle: {
      on: { 'acc.added': { guard: 'odd', target: 'armed', actions: 'track' } },
    },
    armed: {
      on: {
        'acc.added': [
          { guard: 'odd', target: 'firing', actions: ['track', 'countCycle', 'announceCycle'] },
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
}

/**
 * A singleton over every key's emitted events. Different keys' events interleave differently
 * from run to run, so everything it keeps is commutative across keys; within a key the order
 * is fixed, and `outOfOrder` counts any break in it.
 */
const auditMachine = setup({
  types: {
    context: {} as { total: number; perKey: Record<string, PerKey>; outOfOrder: number },
    events: {} as AddedEvent | CycledEvent,
  },
}).createMachine({
  id: 'audit',
  context: { total: 0, perKey: {}, outOfOrder: 0 },
  on: {
    'acc.added': {
      actions: assign(({ context, event }) => {
        const entry = context.perKey[event.key] ?? { added: 0, maxCount: 0, cycles: 0, maxCycle: 0 };
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
        const entry = context.perKey[event.key] ?? { added: 0, maxCount: 0, cycles: 0, maxCycle: 0 };
        const inOrder = event.cycles === entry.maxCycle + 1;
        return {
          total: context.total + 1,
          outOfOrder: context.outOfOrder + (inOrder ? 0 : 1),
          perKey: { ...context.perKey, [event.key]: { ...entry, cycles: entry.cycles + 1, maxCycle: Math.max(entry.maxCycle, event.cycles) } },
        };
      }),
    },
  },
});

/** The components, with the checkpoint policy of one process lifetime. */
export function components(checkpointMaxEvents: number) {
  const checkpoint = { maxEvents: checkpointMaxEvents, maxDelayMs: 0 };
  return [
    defineComponent({ name: 'acc', logic: accMachine, subscribe: 'work.add', key: true, checkpoint }),
    defineComponent({ name: 'gate', logic: gateMachine, subscribe: 'acc.added', key: true, checkpoint }),
    defineComponent({ name: 'audit', logic: auditMachine, subscribe: ['acc.added', 'gate.cycled'], checkpoint }),
  ];
}
