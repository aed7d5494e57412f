/**
 * What a distributed run must end with, computed from the log the supervisor holds: the
 * producer events replayed through the fixtures' machines in memory, and the emitted events
 * each of them must have caused exactly once.
 */
import { expect } from 'vitest';
import { type Actor, createActor } from 'xstate';
import type { Envelope } from '../../src/index.ts';
import { compilePattern } from '../../src/topic.ts';
import { recorderMachine, tallyMachine } from '../invariants/fixtures.ts';
import { readTables } from '../support/tables.ts';
import type { NodeProcess } from './processes.ts';

const toRecorder = compilePattern('inv.*');
const EMITTED = 'recorded.add';

const metaOf = (e: Envelope) => ({ seq: e.seq, id: e.id, topic: e.topic, ...(e.key === undefined ? {} : { key: e.key }), time: e.time });

/** The events the recorder applies: keyed producer events on `inv.*`. */
export const recorderInputs = (log: readonly Envelope[]): Envelope[] => log.filter((e) => toRecorder(e.topic) && e.key !== undefined);

/** The recorder's context per key after the log's events, applied from scratch in seq order. */
export function recorderReference(log: readonly Envelope[]): Map<string, unknown> {
  const actors = new Map<string, Actor<typeof recorderMachine>>();
  for (const e of recorderInputs(log)) {
    const key = e.key as string;
    let actor = actors.get(key);
    if (!actor) {
      actor = createActor(recorderMachine, { input: { key } }).start();
      actors.set(key, actor);
    }
    actor.send({ ...(e.event as { type: 'add'; amount: number }), meta: metaOf(e) });
  }
  return new Map([...actors].map(([key, actor]) => [key, actor.getSnapshot().context]));
}

/** The tally's context after every emitted event in the log. */
export function tallyReference(log: readonly Envelope[]): unknown {
  const actor = createActor(tallyMachine).start();
  for (const e of log) if (e.topic === EMITTED) actor.send(e.event as { type: 'recorded.add'; source: string | null });
  return actor.getSnapshot().context;
}

/**
 * Whatever is wrong with the log on its own: seqs that are not 1..n without gaps, an id
 * stored twice, a recorder input without exactly one emitted event (with the deterministic
 * id `recorder/<key>/<seq>/0`, caused by it and after it), or an emitted event without a cause.
 */
export function logProblems(log: readonly Envelope[]): string[] {
  const problems: string[] = [];
  log.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`position ${i + 1} holds seq ${e.seq}`);
  });
  return [...problems, ...eventProblems(log)].slice(0, 20);
}

/**
 * What is wrong with the log's events, whatever their seqs: an id stored twice, a recorder
 * input without exactly one emitted event (with the deterministic id, caused by it and after
 * it), or an emitted event without a cause.
 */
export function eventProblems(log: readonly Envelope[]): string[] {
  const problems: string[] = [];
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
    else {
      if (effect.causation !== input.id) problems.push(`${id} names ${effect.causation} as its cause, not ${input.id}`);
      if (effect.seq <= input.seq) problems.push(`${id} (seq ${effect.seq}) is not after its cause (seq ${input.seq})`);
    }
    emitted.delete(id);
  }
  for (const id of emitted.keys()) problems.push(`emitted ${id} has no recorder input that explains it`);
  return problems.slice(0, 20);
}

/**
 * Asserts the exact final state: a well-formed log, each recorder actor equal to the replay
 * of its key's events (in strictly increasing seq, none skipped), and the tally equal to the
 * replay of the emitted events, with as many effects as applied inputs.
 */
export async function expectExactOutcome(log: readonly Envelope[], recorderNode: NodeProcess, tallyNode: NodeProcess): Promise<void> {
  expect(logProblems(log), 'the log').toEqual([]);
  const reference = recorderReference(log);
  expect(reference.size).toBeGreaterThan(0);
  for (const [key, want] of reference) {
    const view = await recorderNode.call<{ context: { seqs: number[] } }>('query', { component: 'recorder', key });
    const seqs = view.context.seqs;
    for (let i = 1; i < seqs.length; i++) expect(seqs[i], `recorder ${key} applied seqs in order`).toBeGreaterThan(seqs[i - 1] as number);
    expect(view.context, `recorder ${key}`).toEqual(want);
  }
  const inputs = recorderInputs(log).length;
  const effects = log.filter((e) => e.topic === EMITTED).length;
  expect(effects, 'emitted events equal applied events').toBe(inputs);
  const tally = await tallyNode.call<{ context: unknown }>('query', { component: 'tally' });
  expect(tally.context).toEqual(tallyReference(log));
  expect(tally.context).toMatchObject({ total: inputs });
}

/** Asserts that every acknowledged publish is in the log, at the seq it was acknowledged with. */
export function expectAcknowledgedInLog(acks: ReadonlyMap<string, number>, log: readonly Envelope[]): void {
  const missing: string[] = [];
  for (const [id, seq] of acks) {
    if (log[seq - 1]?.id !== id) missing.push(`${id} acknowledged at seq ${seq}, where the log holds ${log[seq - 1]?.id ?? 'nothing'}`);
  }
  expect(missing.slice(0, 10), 'acknowledged events').toEqual([]);
}

/**
 * Asserts that the recorder's checkpoint in a worker's own SQLite file (read on a separate
 * connection, as a crash would leave it) agrees with the log: the offset covers every event
 * of the recorder, and each stored snapshot is the replay of its key's events.
 */
export function expectRecorderCheckpoint(workerFile: string, log: readonly Envelope[]): void {
  const { consumers, snapshots } = readTables(workerFile, ['consumers', 'snapshots']);
  const inputs = recorderInputs(log);
  // A catch-up read moves the offset to the end of the range it read, which may be past the last matching event.
  const offset = consumers.find((c) => c.consumer === 'recorder')?.offset ?? 0;
  expect(offset).toBeGreaterThanOrEqual(inputs[inputs.length - 1]?.seq ?? 0);
  expect(offset).toBeLessThanOrEqual(log.length);
  const reference = recorderReference(log);
  const stored = snapshots.filter((row) => row.consumer === 'recorder');
  expect(stored.map((row) => row.key).sort()).toEqual([...reference.keys()].sort());
  for (const row of stored) {
    expect((JSON.parse(row.snapshot) as { context: unknown }).context, `stored snapshot of ${row.key}`).toEqual(reference.get(row.key));
    expect(row.seq).toBe(inputs.filter((e) => e.key === row.key).at(-1)?.seq);
  }
}
