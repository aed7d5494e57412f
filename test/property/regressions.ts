import type { Case } from './case.ts';

/**
 * Shrunk counterexamples the property has found. They run before the generated cases on every
 * run, so a fixed bug stays fixed.
 */
export const regressions: readonly { found: string; testCase: Case }[] = [
  {
    // A stop() that arrives while the batch ending in a retry is running is only noted; the
    // host then waits out the whole backoff (on a clock that does not move: forever).
    found: 'seed -1816694586',
    testCase: {
      events: [{ key: 0, amount: 1, noise: false, failure: { kind: 'exhausting' } }],
      steps: [
        { kind: 'publish', count: 1, batch: false, wait: false },
        { kind: 'turns', turns: 1 },
        { kind: 'tick', ms: 6 },
      ],
      checkpoint: { maxEvents: 6, maxDelayMs: 0 },
      retryDelayMs: 10,
      readPageSize: 3,
      lossShare: 0,
      lossSeed: 1,
      ending: 'stop',
    },
  },
  {
    // settled() reads the routes, and while it waits for them a checkpoint falls due: the
    // accumulator commits and emits, the delivery to the tally is lost (lossSeed 4128 drops
    // exactly that one), and settled() judges every consumer against the routes from before.
    found: 'seed 3001 (shrunk by hand)',
    testCase: {
      events: [{ key: 0, amount: 1, noise: false, failure: { kind: 'none' } }],
      steps: [{ kind: 'publish', count: 1, batch: false, wait: true }, { kind: 'turns', turns: 5 }, { kind: 'tick', ms: 5 }, { kind: 'settle' }],
      checkpoint: { maxEvents: 50, maxDelayMs: 5 },
      retryDelayMs: 0,
      readPageSize: 1000,
      lossShare: 0.25,
      lossSeed: 4128,
      ending: 'halt',
    },
  },
];
