import fc from 'fast-check';
import type { Failure } from './fixtures.ts';

/** The n-th producer event of a case; its id is `e-<n>`. */
export interface PlannedEvent {
  key: number;
  amount: number;
  /** Published on a topic no consumer reads. */
  noise: boolean;
  failure: Failure;
}

/** Ways to publish something the log must refuse. */
export const BAD_INPUTS = ['topic', 'event', 'meta', 'key', 'size'] as const;
export type BadInput = (typeof BAD_INPUTS)[number];

/**
 * A checkpoint policy. `maxDelayMs` runs on the simulated clock, so a delay costs no real time:
 * applied events then stay uncommitted until `maxEvents`, a tick or `settled()`, which is
 * what gives a crash something to lose.
 */
export interface Checkpoint {
  maxEvents: number;
  maxDelayMs: number;
}

export type Step =
  /** Publishes the next `count` planned events: as one batch or one publish each; awaited or left in flight. */
  | { kind: 'publish'; count: number; batch: boolean; wait: boolean }
  /** Publishes an earlier batch again, same ids and contents. */
  | { kind: 'republish'; pick: number; wait: boolean }
  /** Lets the system run for this many turns of the event loop. */
  | { kind: 'turns'; turns: number }
  | { kind: 'settle' }
  /** Moves the clock: retries fall due, idle actors are passivated. */
  | { kind: 'tick'; ms: number }
  /** After `turns` turns, halts as a crash would, and reopens with a new checkpoint policy. */
  | { kind: 'crash'; turns: number; checkpoint: Checkpoint; newOwner: boolean }
  /** Publishes bad input, alone or in a batch with a good event: all of it must be refused. */
  | { kind: 'bad'; input: BadInput; withGood: boolean };

export interface Case {
  events: PlannedEvent[];
  steps: Step[];
  /** The first system's checkpoint policy. */
  checkpoint: Checkpoint;
  /** Backoff before a retry, on the simulated clock (which `settle` moves on). */
  retryDelayMs: number;
  /** Events per page when a consumer catches up from the log. */
  readPageSize: number;
  /** Share of routed deliveries the transport loses, and the seed of its losses. */
  lossShare: number;
  lossSeed: number;
  /** How the last system before the final check ends. */
  ending: 'halt' | 'stop';
}

export const KEYS = ['k0', 'k1', 'k2', 'k3'] as const;
/** Crashes per case, the one that may end it included. */
export const MAX_CRASHES = 4;

const failure: fc.Arbitrary<Failure> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Failure>({ kind: 'none' }) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 2 }).map((failures): Failure => ({ kind: 'transient', failures })) },
  { weight: 1, arbitrary: fc.constant<Failure>({ kind: 'permanent' }) },
  { weight: 1, arbitrary: fc.constant<Failure>({ kind: 'exhausting' }) },
);

const plannedEvent: fc.Arbitrary<PlannedEvent> = fc.record({
  key: fc.integer({ min: 0, max: KEYS.length - 1 }),
  amount: fc.integer({ min: 1, max: 9 }),
  // One in eight; shrinks towards false.
  noise: fc.integer({ min: 0, max: 7 }).map((n) => n === 7),
  failure,
});

const checkpoint: fc.Arbitrary<Checkpoint> = fc.record({
  maxEvents: fc.integer({ min: 1, max: 50 }),
  maxDelayMs: fc.constantFrom(0, 5, 60_000),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('publish'), count: fc.integer({ min: 1, max: 8 }), batch: fc.boolean(), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('republish'), pick: fc.nat(), wait: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('turns'), turns: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick'), ms: fc.integer({ min: 1, max: 20 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('crash'), turns: fc.integer({ min: 0, max: 25 }), checkpoint, newOwner: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bad'), input: fc.constantFrom(...BAD_INPUTS), withGood: fc.boolean() }) },
) as fc.Arbitrary<Step>;

/** Up to 60 events and 30 steps; crash steps past `MAX_CRASHES` are ignored when the case runs. */
export const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  events: fc.array(plannedEvent, { minLength: 1, maxLength: 60, size: 'large' }),
  steps: fc.array(step, { minLength: 1, maxLength: 30, size: 'large' }),
  checkpoint,
  retryDelayMs: fc.constantFrom(0, 10),
  readPageSize: fc.constantFrom(1000, 1, 3),
  lossShare: fc.constantFrom(0, 0.25),
  lossSeed: fc.integer({ min: 1, max: 0x7fff_ffff }),
  ending: fc.constantFrom('halt', 'stop'),
});
