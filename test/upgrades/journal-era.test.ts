import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/index.ts';
import { listeningLogger } from '../support/listening-logger.ts';
import { useScratch } from '../support/scratch.ts';
import { ARCHIVE_AFTER_MS, Bank, orders, WRITTEN_AT } from './journal-era.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/journal-era.db', import.meta.url));

describe('a file written when outcomes and firings were journaled in the CSS, not the log', () => {
  const scratch = useScratch();

  it('restores its actors, says what it kept, and goes on with input records: a pending timer fires once, a call in flight is made again under its key', async () => {
    const file = scratch.file('journal-era.db');
    copyFileSync(FIXTURE, file);
    const clock = new SimulatedClock(WRITTEN_AT);
    const bank = new Bank(['o-3']);
    const log = listeningLogger();
    const system = await scratch.start({ db: file, components: [orders(bank)], clock, owner: 'journal-era', logger: log.logger });
    await log.next(/consumer orders keeps 3 outcomes journaled in its CSS by an earlier version/);
    const view = async (key: string) => {
      const { value, context } = await system.query('orders', key);
      return { value, context };
    };
    expect(await view('o-2')).toEqual({ value: 'archived', context: { receipt: 'receipt for o-2' } });
    expect(await view('o-1')).toEqual({ value: 'paid', context: { receipt: 'receipt for o-1' } });
    // o-3's charge was in flight when the file was written: its actor was restored at start, and the call made again.
    expect(await view('o-3')).toEqual({ value: 'charging', context: { receipt: null } });
    expect(bank.calls).toEqual(['orders/o-3/3/invoke/0.order.charging/0']);

    bank.answerHeld();
    await system.waitFor('orders', 'o-3', 'paid');
    clock.advance(ARCHIVE_AFTER_MS);
    await system.waitFor('orders', 'o-1', 'archived');
    await system.settled();
    const records = (await system.events({ patterns: ['$input.orders'] })).map((e) => [e.key, (e.event as { type: string }).type]);
    // What happened since is in the log: o-3's outcome, o-1's firing (and o-3's, once due); nothing of o-2's history.
    expect(records.filter(([key]) => key !== 'o-3')).toEqual([['o-1', 'recq.timer.fired']]);
    expect(records.filter(([key]) => key === 'o-3').map(([, type]) => type)).toContain('recq.child.done');
    expect(bank.calls).toHaveLength(1);
  });
});
