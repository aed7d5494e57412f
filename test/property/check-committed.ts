import { expect } from 'vitest';
import { readTables } from '../support/tables.ts';
import { KEYS } from './case.ts';
import { type AccContext, APPLIED_TOPIC, type FailurePlan, failsForGood, PRODUCER_TOPIC, type TallyContext } from './fixtures.ts';

/**
 * Checks what a crash left on disk: each consumer's snapshots are exactly the state of the
 * events up to its committed offset, its dead letters are exactly the failed events up to
 * it, and the events it emitted are in the log if and only if their cause is within it.
 * This is invariant 2 (state and offset agree) and 3 (emitted events commit with them) at
 * the instant of the crash, not only after recovery.
 */
export function checkCommitted(file: string, plan: FailurePlan): void {
  const tables = readTables(file, ['events', 'consumers', 'snapshots', 'dead_letters']);
  const { events, snapshots } = tables;
  const offsets = new Map(tables.consumers.map((row) => [row.consumer, row.offset]));
  const accOffset = offsets.get('acc') ?? 0;
  const tallyOffset = offsets.get('tally') ?? 0;
  const head = events.at(-1)?.seq ?? 0;
  expect(accOffset).toBeLessThanOrEqual(head);
  expect(tallyOffset).toBeLessThanOrEqual(head);

  const within = events.filter((e) => e.topic === PRODUCER_TOPIC && e.seq <= accOffset);
  const applied = within.filter((e) => !failsForGood(plan.failureOf(e.id)));
  for (const key of KEYS) {
    const mine = applied.filter((e) => e.key === key);
    const expected: AccContext = { key, seqs: mine.map((e) => e.seq), sum: mine.reduce((sum, e) => sum + Number(JSON.parse(e.event).amount), 0) };
    const stored = snapshots.find((row) => row.consumer === 'acc' && row.key === key);
    if (!stored) {
      expect(mine, `acc ${key} has no checkpoint at offset ${accOffset}`).toEqual([]);
      continue;
    }
    expect(JSON.parse(stored.snapshot).context, `checkpoint of acc ${key} at offset ${accOffset}`).toEqual(expected);
    expect(stored.seq).toBe(mine.at(-1)?.seq ?? stored.seq);
    expect(stored.seq).toBeLessThanOrEqual(accOffset);
  }
  expect((tables.dead_letters as { consumer: string; event_id: string }[]).map((row) => [row.consumer, row.event_id]).sort()).toEqual(
    within
      .filter((e) => failsForGood(plan.failureOf(e.id)))
      .map((e) => ['acc', e.id])
      .sort(),
  );

  const emitted = events.filter((e) => e.topic === APPLIED_TOPIC);
  expect(emitted.map((e) => e.id).sort(), `emitted events at acc offset ${accOffset}`).toEqual(applied.map((e) => `acc/${e.key}/${e.seq}/0`).sort());

  const tally = snapshots.find((row) => row.consumer === 'tally');
  const consumed = emitted.filter((e) => e.seq <= tallyOffset);
  if (!tally) {
    expect(consumed, `tally has no checkpoint at offset ${tallyOffset}`).toEqual([]);
    return;
  }
  const context = JSON.parse(tally.snapshot).context as TallyContext;
  expect(context.seqs, `checkpoint of tally at offset ${tallyOffset}`).toEqual(consumed.map((e) => e.seq));
  expect(context.total).toBe(consumed.length);
}
