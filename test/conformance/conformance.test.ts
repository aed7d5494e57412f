import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirectory } from '../../src/testing/temp-files.ts';
import { delayCases } from './cases/delays.ts';
import { eventlessCases } from './cases/eventless.ts';
import { finalCases } from './cases/final.ts';
import { guardCases } from './cases/guards.ts';
import { historyCases } from './cases/history.ts';
import { invokeCases } from './cases/invoke.ts';
import { parallelCases } from './cases/parallel.ts';
import { spawnCases } from './cases/spawn.ts';
import type { ConformanceCase, Outcome } from './conformance-case.ts';
import { runPlain } from './run-plain.ts';
import { runRecq } from './run-recq.ts';

const suites: [string, ConformanceCase[]][] = [
  ['history', historyCases],
  ['parallel', parallelCases],
  ['delays', delayCases],
  ['invoke', invokeCases],
  ['spawn', spawnCases],
  ['final', finalCases],
  ['eventless', eventlessCases],
  ['guards', guardCases],
];

/** Context as JSON on both sides: actor refs in context compare by their JSON form. */
const comparable = (outcome: Outcome): Outcome => ({ ...outcome, context: JSON.parse(JSON.stringify(outcome.context ?? null)) });

describe('XState semantics hold with a restart before every event', () => {
  let dir: ReturnType<typeof tempDirectory>;
  let n = 0;
  beforeAll(() => {
    dir = tempDirectory();
  });
  afterAll(() => dir.remove());

  for (const [topic, cases] of suites) {
    describe(topic, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const expected = comparable(await runPlain(c));
          const actual = comparable(await runRecq(c, dir.path, `case-${n++}.db`));
          expect(actual).toEqual(expected);
        });
      }
    });
  }
});
