import { assign, setup } from 'xstate';
import type { CheckpointPolicy } from '../src/index.ts';

// A type alias, not an interface, so it fits recq's `EventObject` index signature.
export type AddEvent = { type: 'add'; amount: number };

export interface Totals {
  count: number;
  sum: number;
}

/** Counts and sums `add` events. recq and the in-memory baseline run this same machine. */
export const counterMachine = setup({
  types: { context: {} as Totals, events: {} as AddEvent },
  actions: {
    add: assign({
      count: ({ context }) => context.count + 1,
      sum: ({ context, event }) => context.sum + event.amount,
    }),
  },
}).createMachine({
  id: 'counter',
  context: { count: 0, sum: 0 },
  on: { add: { actions: 'add' } },
});

/** A stream of `add` events on one topic, spread round-robin over `keys` keys (or all to one singleton). */
export interface Workload {
  name: string;
  description: string;
  topic: string;
  events: number;
  /** Undefined: one singleton actor consumes every event. */
  keys: number | undefined;
  /** The recq component's checkpoint policy, if not the system default. */
  checkpoint?: Partial<CheckpointPolicy>;
}

export const WORKLOADS: readonly Workload[] = [
  { name: 'W1', description: 'keyed counter, round-robin over 1,000 keys', topic: 'w1.add', events: 50_000, keys: 1_000 },
  { name: 'W2', description: 'singleton counter', topic: 'w2.add', events: 100_000, keys: undefined },
];

/** The same workload with `divisor` times fewer events (keys stay, so every key still gets events). */
export function scaled(workload: Workload, divisor: number): Workload {
  return { ...workload, events: Math.max(1, Math.floor(workload.events / divisor)) };
}

/** Key of the `i`th event, undefined for a singleton workload. */
export function keyAt(workload: Workload, i: number): string | undefined {
  return workload.keys === undefined ? undefined : `k${i % workload.keys}`;
}

/** Amounts vary so that a lost, duplicated or misrouted event changes a sum, not only a count. */
export function eventAt(i: number): AddEvent {
  return { type: 'add', amount: (i % 97) + 1 };
}

/** Expected totals per key ('' for the singleton). */
export function expectedTotals(workload: Workload): Map<string, Totals> {
  const totals = new Map<string, Totals>();
  for (let i = 0; i < workload.events; i++) {
    const key = keyAt(workload, i) ?? '';
    const t = totals.get(key) ?? { count: 0, sum: 0 };
    t.count++;
    t.sum += eventAt(i).amount;
    totals.set(key, t);
  }
  return totals;
}

/** True when every expected key reads back exactly its expected count and sum. */
export async function totalsMatch(workload: Workload, read: (key: string | undefined) => Promise<unknown> | unknown): Promise<boolean> {
  for (const [key, want] of expectedTotals(workload)) {
    let got: unknown;
    try {
      got = await read(workload.keys === undefined ? undefined : key);
    } catch {
      return false;
    }
    const totals = got as Partial<Totals> | undefined;
    if (totals?.count !== want.count || totals.sum !== want.sum) return false;
  }
  return true;
}
