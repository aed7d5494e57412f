import { describe, expect, it } from 'vitest';
import { runScenarios } from '../../examples/statechart/run.ts';
import { silentLogger } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';

describe('statechart example: document approvals', () => {
  const scratch = useScratch();

  it.each(['crash', 'stop'] as const)('ends every document where plain XState ends, with a %s between every two steps', async (restart) => {
    const run = await runScenarios({ db: scratch.file(), restart, logger: silentLogger });
    expect(run.results.map((r) => [r.document, r.actual, r.matches])).toEqual([
      ['doc-small', 'archived', true],
      ['doc-large', 'published', true],
      ['doc-late', 'draft', true],
      ['doc-held', 'published', true],
    ]);
    expect(run.restarts).toBeGreaterThan(20);
    expect(run.published).toEqual({ log: 3, expected: 3 });
  });
});
