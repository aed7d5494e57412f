import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useChildren } from '../support/child-process.ts';
import { useScratch } from '../support/scratch.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

describe('two processes starting on one new file at the same instant', () => {
  const scratch = useScratch();
  const children = useChildren();

  it('one leads and publishes without a lock error, the other is refused with LeaseHeldError', async () => {
    for (let round = 0; round < 3; round++) {
      const db = scratch.file(`race-${round}.db`);
      const both = [0, 1].map((i) =>
        children.start({ name: `starter ${round}.${i}`, entry: 'test/invariants/lease-holder.ts', args: [db, '60000'], cwd: REPO }),
      );
      // Each either prints ready (its three publishes committed) or exits refused.
      const outcomes = await Promise.all(
        both.map((child) =>
          child.waitFor(/^ready$/m, 'the ready line').then(
            () => 'ready',
            async () => (await child.exited).stderr,
          ),
        ),
      );
      const ready = outcomes.filter((outcome) => outcome === 'ready');
      const refused = outcomes.filter((outcome) => outcome !== 'ready');
      expect(ready).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatch(/LeaseHeldError|LEASE_HELD/);
      expect(refused[0]).not.toMatch(/SQLITE_BUSY|database is locked/);
      for (const child of both) await child.end();
    }
  });
});
