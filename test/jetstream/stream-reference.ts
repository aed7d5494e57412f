/**
 * What a run on a JetStream log must end with. The reference is the run without faults: the
 * producer events of the final log replayed through the fixtures' machines in memory
 * (`test/distributed/reference.ts`). The log's own checks differ in one way: the stream's
 * epoch records take seqs too, so the events' seqs have holes exactly where those are.
 */
import { expect } from 'vitest';
import type { Envelope } from '../../src/index.ts';
import type { NodeProcess } from '../distributed/processes.ts';
import { recorderInputs, recorderReference, tallyReference } from '../distributed/reference.ts';
import type { SkippedRow } from './stream-cluster.ts';

const EMITTED = 'recorded.add';

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
    if (r.kind !== 'epoch') problems.push(`seq ${r.seq} is a ${r.kind} record: a leader wrote what readers must ignore`);
  }
  for (let seq = 1; seq <= head; seq++) if (!at.has(seq)) problems.push(`seq ${seq} is missing`);
  const ids = new Map<string, number>();
  for (const e of log) {
    const first = ids.get(e.id);
    if (first !== undefined) problems.push(`id ${e.id} is stored twice, at seq ${first} and ${e.seq}`);
    ids.set(e.id, e.seq);
  }
  const emitted = new Map(log.filter((e) => e.topic === EMITTED).map((e) => [e.id, e]));
  for (const input of recorderInputs(log)) {
    const id = `recorder/${input.key}/${input.seq}/0`;
    const effect = emitted.get(id);
    if (!effect) problems.push(`seq ${input.seq} (${input.id}) has no emitted ${id}`);
    else if (effect.causation !== input.id || effect.seq <= input.seq) problems.push(`${id} (seq ${effect.seq}) does not follow its cause ${input.id}`);
    emitted.delete(id);
  }
  for (const id of emitted.keys()) problems.push(`emitted ${id} has no recorder input that explains it`);
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
