import { assign, emit, setup } from 'xstate';
import { type Component, defineComponent, type EventMeta, PermanentError } from '../../src/index.ts';
import { type Delivery, MemoryTransport } from '../../src/public/transport.ts';
import { seeded } from '../invariants/fixtures.ts';

/** How one producer event behaves when the accumulator applies it. */
export type Failure =
  | { kind: 'none' }
  /** Throws on the first `failures` tries, then succeeds (within the retry budget). */
  | { kind: 'transient'; failures: number }
  /** Throws `PermanentError`: parked at once. */
  | { kind: 'permanent' }
  /** Throws on every try: parked once its retries run out. */
  | { kind: 'exhausting' };

export const failsForGood = (failure: Failure): boolean => failure.kind === 'permanent' || failure.kind === 'exhausting';

/**
 * Decides, by event id, which tries throw. Tries are counted here, in the test process, so
 * they carry on across crashes: a transient failure then just succeeds sooner.
 */
export class FailurePlan {
  readonly tries = new Map<string, number>();
  readonly #failures: ReadonlyMap<string, Failure>;

  constructor(failures: ReadonlyMap<string, Failure>) {
    this.#failures = failures;
  }

  failureOf(id: string): Failure {
    return this.#failures.get(id) ?? { kind: 'none' };
  }

  attempt(id: string): void {
    const tries = (this.tries.get(id) ?? 0) + 1;
    this.tries.set(id, tries);
    const failure = this.failureOf(id);
    if (failure.kind === 'permanent') throw new PermanentError(`event ${id} can never be applied`);
    if (failure.kind === 'exhausting' || (failure.kind === 'transient' && tries <= failure.failures)) {
      throw new Error(`event ${id} failed on try ${tries}`);
    }
  }
}

export const PRODUCER_TOPIC = 'prop.add';
/** Published alongside, matched by no consumer: consumers must pass over it. */
export const NOISE_TOPIC = 'prop.noise';
export const APPLIED_TOPIC = 'prop.applied';

export type AddEvent = { type: 'add'; amount: number };
export interface AccContext {
  key: string;
  seqs: number[];
  sum: number;
}
export interface TallyContext {
  total: number;
  bySource: Record<string, number>;
  seqs: number[];
}

/** One actor per key: the seqs it applied, in order, and their sum; one `prop.applied` per event. */
export function accMachine(plan: FailurePlan) {
  return setup({
    types: {} as {
      context: AccContext;
      input: { key: string | undefined };
      events: AddEvent & { meta: EventMeta };
      emitted: { type: 'prop.applied'; source: string; seq: number };
    },
  }).createMachine({
    id: 'acc',
    context: ({ input }) => ({ key: input.key ?? '', seqs: [], sum: 0 }),
    on: {
      add: {
        actions: [
          ({ event }) => plan.attempt(event.meta.id),
          assign({
            seqs: ({ context, event }) => [...context.seqs, event.meta.seq],
            sum: ({ context, event }) => context.sum + event.amount,
          }),
          emit(({ context, event }) => ({ type: 'prop.applied' as const, source: context.key, seq: event.meta.seq })),
        ],
      },
    },
  });
}

/** Counts `prop.applied` per source key, and records the seqs it consumed in order. */
export const tallyMachine = setup({
  types: {} as { context: TallyContext; events: { type: 'prop.applied'; source: string; meta: EventMeta } },
}).createMachine({
  id: 'tally',
  context: { total: 0, bySource: {}, seqs: [] },
  on: {
    'prop.applied': {
      actions: assign({
        total: ({ context }) => context.total + 1,
        bySource: ({ context, event }) => ({ ...context.bySource, [event.source]: (context.bySource[event.source] ?? 0) + 1 }),
        seqs: ({ context, event }) => [...context.seqs, event.meta.seq],
      }),
    },
  },
});

/**
 * The accumulator (keyed, failing per the plan) and the downstream tally (singleton). Three
 * attempts in all, so a transient failure (at most two throws) always gets through.
 */
export function components(plan: FailurePlan, retryDelayMs: number): Component[] {
  const retry = { maxAttempts: 3, initialDelayMs: retryDelayMs, maxDelayMs: retryDelayMs };
  return [
    defineComponent({ name: 'acc', logic: accMachine(plan), subscribe: PRODUCER_TOPIC, key: true, retry }),
    defineComponent({ name: 'tally', logic: tallyMachine, subscribe: APPLIED_TOPIC }),
  ];
}

/** The in-process bus, losing a share of routed deliveries as NATS core may: hosts must fill the gaps from the log. */
export class LossyTransport extends MemoryTransport {
  readonly #random: () => number;
  readonly #share: number;

  constructor(seed: number, share: number) {
    super();
    this.#random = seeded(seed);
    this.#share = share;
  }

  override route(consumer: string, delivery: Delivery): void {
    if (this.#share > 0 && this.#random() < this.#share) return;
    super.route(consumer, delivery);
  }
}
