import fc from 'fast-check';
import { it } from 'vitest';
import { System } from '../../src/index.ts';
import { TempDir } from '../support/temp-db.ts';
import { caseArbitrary } from './case.ts';
import { checkRecovered } from './check-recovered.ts';
import { CaseRun } from './run-case.ts';

it('stats', async () => {
  const halts = { total: 0, uncommittedAcc: 0, uncommittedTally: 0, behindHead: 0 };
  const original = System.prototype.halt;
  System.prototype.halt = function (this: System) {
    halts.total++;
    return (async () => {
      try {
        const status = await this.status();
        const acc = status.consumers.find((c) => c.consumer === 'acc');
        const tally = status.consumers.find((c) => c.consumer === 'tally');
        if (acc && acc.offset > acc.committedOffset) halts.uncommittedAcc++;
        if (tally && tally.offset > tally.committedOffset) halts.uncommittedTally++;
        if (acc && acc.committedOffset < status.head) halts.behindHead++;
      } catch {}
      return original.call(this);
    })();
  };
  const totals = {
    cases: 0,
    crashes: 0,
    acked: 0,
    reapplied: 0,
    casesWithReapply: 0,
    letters: 0,
    transientRetried: 0,
    refused: 0,
    emitted: 0,
    casesWithCrash: 0,
  };
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (testCase) => {
      const dir = new TempDir();
      const run = new CaseRun(dir.file('p.db'), testCase);
      try {
        const system = await run.run();
        await checkRecovered(system, dir.file('p.db'), run.observed);
        const o = run.observed;
        totals.cases++;
        totals.crashes += o.crashes;
        if (o.crashes > 1) totals.casesWithCrash++;
        totals.acked += o.acked.size;
        let re = 0;
        for (const [id, tries] of o.plan.tries) {
          const f = o.plan.failureOf(id);
          if (f.kind === 'none' && tries > 1) re++;
          if (f.kind === 'transient' && tries > 1) totals.transientRetried++;
        }
        totals.reapplied += re;
        if (re > 0) totals.casesWithReapply++;
        totals.letters += system.deadLetters().length;
        totals.refused += o.refused.size;
        totals.emitted += (await system.events({ patterns: ['prop.applied'], limit: 1000 })).length;
      } finally {
        await run.dispose();
        dir.remove();
      }
    }),
    { numRuns: 100, seed: 7 },
  );
  console.log(totals, halts);
  System.prototype.halt = original;
}, 300_000);
