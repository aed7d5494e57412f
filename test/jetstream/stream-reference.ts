/**
 * What a run on a JetStream log must end with. The reference is the run without faults: the
 * producer events of the final log replayed through the fixtures' machines in memory
 * (`test/distributed/reference.ts`). The log's own checks differ in one way: the stream's
 * epoch records take seqs too, so the events' seqs have holes exactly where those are.
 */
import { expect } from 'vitest';
import type { Envelope } from '../../src/index.ts';
import type { NodeProcess } from '../distributed/processes.ts';
import { eventProblems, recorderInputs, recorderReference, tallyReference } from '../distributed/reference.ts';

const EMITTED = 'recorded.add';

import type { SkippedRow } from './stream-cluster.ts';

/**
 * Whatever is wrong with the log: a seq that is neither an event nor a skipped record (or
 * both), an id stored twice, a recorder input without exactly one emitted event after it
 * with the deterministic id, or an emitted event without a cause.
 */
export function streamLogProblems(log: readonly Envelope[], skipped: readonly SkippedRow[], head: number): string[] {
  const problems: string[] = [];
  const at = new Map<number, string>();
  for (const e of log) at.set(e.seq, `event ${e.id}`);
  for (const r of skipped) {
    if (at.has(r.seq)) problems.push(`seq ${r.seq} is both ${at.get(r.seq)} and a ${r.kind} record`);
    at.set(r.seq, `${r.kind} record`);
    if (r.kind !== 'epoch' && r.kind !== 'lease') problems.push(`seq ${r.seq} is a ${r.kind} record: a leader wrote what readers must ignore`);
  }
  for (let seq = 1; seq <= head; seq++) if (!at.has(seq)) problems.push(`seq ${seq} is missing`);
  problems.push(...eventProblems(log));
  return problems.slice(0, 20);
}

/** Asserts the exact final state: a well-formed log, and every actor equal to the replay of the log. */
export async function expectExactStreamOutcome(
  log: readonly Envelope[],
  skipped: readonly SkippedRow[],
  head: number,
  recorderNode: NodeProcess,
  tallyNode: NodeProcess,
): Promise<void> {
  expect(streamLogProblems(log, skipped, head), 'the log').toEqual([]);
  const reference = recorderReference(log);
  expect(reference.size).toBeGreaterThan(0);
  for (const [key, want] of reference) {
    const view = await recorderNode.call<{ context: unknown }>('query', { component: 'recorder', key });
    expect(view.context, `recorder ${key}`).toEqual(want);
  }
  const inputs = recorderInputs(log).length;
  expect(log.filter((e) => e.topic === EMITTED).length, 'emitted events equal applied events').toBe(inputs);
  const tally = await tallyNode.call<{ context: unknown }>('query', { component: 'tally' });
  expect(tally.context).toEqual(tallyReference(log));
}
