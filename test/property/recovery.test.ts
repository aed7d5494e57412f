import fc from 'fast-check';
import { describe, it } from 'vitest';
import { TempDir } from '../support/temp-dir.ts';
import { caseArbitrary } from './case.ts';
import { checkRecovered } from './check-recovered.ts';
import { regressions } from './regressions.ts';
import { CaseRun } from './run-case.ts';

const envInteger = (name: string): number | undefined => {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return value;
};

// A failing run prints its seed and shrunk path; set these to run it again. The regressions run
// first, on top of the generated cases.
const seed = envInteger('RECQ_PROPERTY_SEED');
const path = process.env.RECQ_PROPERTY_PATH || undefined;
const numRuns = envInteger('RECQ_PROPERTY_RUNS') ?? 60;

describe('recovery under random events, failures and crashes', () => {
  it('keeps order, state, effectively-once, acknowledged events, refusals and ownership after every crash', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (testCase) => {
        const dir = new TempDir();
        const file = dir.file('property.db');
        const run = new CaseRun(file, testCase);
        try {
          const system = await run.run();
          await checkRecovered(system, file, run.observed);
        } finally {
          await run.dispose();
          dir.remove();
        }
      }),
      {
        // Shrinking a failure can take long; past this it reports the smallest case found so far.
        plugins: [fc.interruptAfterTimeLimit(240_000)],
        numRuns: numRuns + regressions.length,
        examples: regressions.map(({ testCase }) => [testCase]),
        ...(seed === undefined ? {} : { seed }),
        ...(path === undefined ? {} : { path }),
      },
    );
  }, 300_000);
});
