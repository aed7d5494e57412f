import { assign, emit, setup } from 'xstate';
import { defineComponent, type EventMeta } from '../../src/index.ts';

type Add = { type: 'add'; amount: number; meta: EventMeta };

/** Records every seq it sees, in order, and emits one `recorded.add` per event. */
export const recorderMachine = setup({
  types: {} as { context: { key: string | undefined; seqs: number[]; sum: number }; events: Add; input: { key: string | undefined } },
}).createMachine({
  id: 'recorder',
  context: ({ input }) => ({ key: input.key, seqs: [], sum: 0 }),
  on: {
    add: {
      actions: [
        assign({
          seqs: ({ context, event }) => [...context.seqs, event.meta.seq],
          sum: ({ context, event }) => context.sum + event.amount,
        }),
        emit(({ context, event }) => ({ type: 'recorded.add', source: context.key ?? null, seq: event.meta.seq })),
      ],
    },
  },
});

/** Counts what the recorders emitted, per source key. */
export const tallyMachine = setup({
  types: {} as { context: { total: number; bySource: Record<string, number> }; events: { type: 'recorded.add'; source: string | null } },
}).createMachine({
  id: 'tally',
  context: { total: 0, bySource: {} },
  on: {
    'recorded.add': {
      actions: assign({
        total: ({ context }) => context.total + 1,
        bySource: ({ context, event }) => ({ ...context.bySource, [event.source ?? '_']: (context.bySource[event.source ?? '_'] ?? 0) + 1 }),
      }),
    },
  },
});

export const recorder = (checkpoint?: { maxEvents?: number; maxDelayMs?: number }) =>
  defineComponent({ name: 'recorder', logic: recorderMachine, subscribe: ['inv.*'], key: true, ...(checkpoint ? { checkpoint } : {}) });
export const everything = () => defineComponent({ name: 'everything', logic: recorderMachine, subscribe: ['inv.>'] });
export const tally = () => defineComponent({ name: 'tally', logic: tallyMachine, subscribe: 'recorded.add' });

/** A deterministic pseudo-random source, so a failing run can be repeated from its seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}
