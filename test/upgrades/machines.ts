import { assign, fromPromise, setup } from 'xstate';
import type { Component } from '../../src/index.ts';
import { createSystem, defineComponent, type System, silentLogger } from '../../src/index.ts';

// One checkout machine in the versions a team might deploy one after the other.

type Input = { key: string };
type Ctx = { key: string; items: number };
type Ev = { type: 'add' } | { type: 'pay' } | { type: 'cancel' } | { type: 'paid' };

/** Never settles: the charge is in flight whenever a snapshot is taken in `payment.awaiting`. */
const chargeCard = fromPromise(() => new Promise<string>(() => {}));

export const checkoutV1 = setup({ types: {} as { context: Ctx; events: Ev; input: Input }, actors: { chargeCard } }).createMachine({
  id: 'checkout',
  context: ({ input }) => ({ key: input.key, items: 0 }),
  initial: 'cart',
  states: {
    cart: { on: { add: { actions: assign({ items: ({ context }) => context.items + 1 }) }, pay: 'payment' } },
    payment: {
      initial: 'awaiting',
      states: {
        awaiting: { invoke: { id: 'charge', src: 'chargeCard' }, on: { paid: 'done' } },
        done: { type: 'final' },
      },
    },
  },
});

/** Adds a `cancelled` state and a `cancel` transition, and counts two per `add`: nothing stored stops fitting. */
export const checkoutWithCancel = setup({ types: {} as { context: Ctx; events: Ev; input: Input }, actors: { chargeCard } }).createMachine({
  id: 'checkout',
  context: ({ input }) => ({ key: input.key, items: 0 }),
  initial: 'cart',
  states: {
    cart: { on: { add: { actions: assign({ items: ({ context }) => context.items + 2 }) }, pay: 'payment', cancel: 'cancelled' } },
    payment: {
      initial: 'awaiting',
      states: {
        awaiting: { invoke: { id: 'charge', src: 'chargeCard' }, on: { paid: 'done', cancel: '#checkout.cancelled' } },
        done: { type: 'final' },
      },
    },
    cancelled: {},
  },
});

/** Pays at once: `payment.awaiting` is gone. */
export const checkoutWithoutAwaiting = setup({ types: {} as { context: Ctx; events: Ev; input: Input } }).createMachine({
  id: 'checkout',
  context: ({ input }) => ({ key: input.key, items: 0 }),
  initial: 'cart',
  states: {
    cart: { on: { add: { actions: assign({ items: ({ context }) => context.items + 1 }) }, pay: 'payment' } },
    payment: { initial: 'done', states: { done: { type: 'final' } } },
  },
});

/** Adds a `discount` field that `add` reads: an old snapshot without it would count NaN. */
export const checkoutWithDiscount = setup({
  types: {} as { context: Ctx & { discount: number }; events: Ev; input: Input },
  actors: { chargeCard },
}).createMachine({
  id: 'checkout',
  context: ({ input }) => ({ key: input.key, items: 0, discount: 1 }),
  initial: 'cart',
  states: {
    cart: { on: { add: { actions: assign({ items: ({ context }) => context.items + 1 - context.discount }) }, pay: 'payment' } },
    payment: {
      initial: 'awaiting',
      states: {
        awaiting: { invoke: { id: 'charge', src: 'chargeCard' }, on: { paid: 'done' } },
        done: { type: 'final' },
      },
    },
  },
});

/** Charges through a renamed actor: a stored `charge` child has no logic any more. */
export const checkoutWithRenamedCharge = setup({
  types: {} as { context: Ctx; events: Ev; input: Input },
  actors: { chargeCardV2: chargeCard },
}).createMachine({
  id: 'checkout',
  context: ({ input }) => ({ key: input.key, items: 0 }),
  initial: 'cart',
  states: {
    cart: { on: { add: { actions: assign({ items: ({ context }) => context.items + 1 }) }, pay: 'payment' } },
    payment: {
      initial: 'awaiting',
      states: {
        awaiting: { invoke: { id: 'charge', src: 'chargeCardV2' }, on: { paid: 'done' } },
        done: { type: 'final' },
      },
    },
  },
});

/** The checkout component on `logic`: keyed unless `singleton`, with a version and migrate if given. */
export function checkout(
  logic: Component['logic'],
  { singleton = false, ...extra }: { singleton?: boolean; version?: string; migrate?: (snapshot: unknown, from: string) => unknown } = {},
) {
  return defineComponent({ name: 'checkout', logic, subscribe: 'shop.*', ...(singleton ? {} : { key: true as const }), ...extra });
}

/** Starts a system on `db` with `component`, publishes `events` as `[type, key]` pairs, and stops it. */
export async function run(db: string, component: Component, events: readonly (readonly [Ev['type'], string])[]): Promise<void> {
  const system = await createSystem({ db, components: [component], logger: silentLogger });
  try {
    await publishAll(system, events);
  } finally {
    await system.stop();
  }
}

export async function publishAll(system: System, events: readonly (readonly [Ev['type'], string])[]): Promise<void> {
  for (const [type, key] of events) await system.publish(`shop.${type}`, { type }, { key });
  await system.settled();
}
