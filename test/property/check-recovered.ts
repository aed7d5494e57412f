import { expect } from 'vitest';
import { type Envelope, type System, UnknownKeyError } from '../../src/index.ts';
import { readTables } from '../support/tables.ts';
import { KEYS } from './case.ts';
import { checkCommitted } from './check-committed.ts';
import { type AccContext, APPLIED_TOPIC, failsForGood, NOISE_TOPIC, PRODUCER_TOPIC, type TallyContext } from './fixtures.ts';
import type { Observed } from './run-case.ts';

interface SnapshotRow {
  consumer: string;
  key: string;
  seq: number;
  snapshot: string;
}

interface ConsumerRow {
  consumer: string;
  offset: number;
}

const amountOf = (envelope: Envelope): number => Number(envelope.event.amount);
const causeOf = (envelope: Envelope): number => Number(envelope.event.seq);

/**
 * Checks the six invariants on a settled system after a run with crashes: the state of every
 * consumer must be what a run without crashes would have reached from the same log.
 */
export async function checkRecovered(system: System, file: string, observed: Observed): Promise<void> {
  const head = await system.head();
  const log = await system.events({ limit: head + 1 });
  const tables = readTables(file, ['snapshots', 'consumers']);

  // 6 (and the log's own promise): seqs are 1..head, gap-free.
  expect(log.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));

  // 3: an id is in the log once.
  const ids = log.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const envelope of log) expect([PRODUCER_TOPIC, NOISE_TOPIC, APPLIED_TOPIC]).toContain(envelope.topic);

  // 4: every acknowledged event is in the log, at the seq it was acknowledged with; and (a halt
  // refuses what it has not committed) nothing else was published.
  const bySeq = new Map(log.map((e) => [e.seq, e]));
  for (const [id, seq] of observed.acked) expect(bySeq.get(seq)?.id, `acknowledged ${id} at seq ${seq}`).toBe(id);
  const published = log.filter((e) => e.topic !== APPLIED_TOPIC);
  expect(published.map((e) => e.id).sort()).toEqual([...observed.acked.keys()].sort());
  for (const envelope of published) {
    const planned = observed.events[Number(envelope.id.slice('e-'.length))];
    expect(planned, envelope.id).toBeDefined();
    expect(envelope).toMatchObject({
      topic: planned?.noise ? NOISE_TOPIC : PRODUCER_TOPIC,
      key: KEYS[planned?.key ?? 0],
      event: { type: 'add', amount: planned?.amount },
    });
  }

  // 5: a refused publish left nothing behind, not even the good events of its batch.
  for (const id of observed.refused) expect(ids).not.toContain(id);

  // The reference: the log's producer events in seq order, less those that fail for good.
  const producer = log.filter((e) => e.topic === PRODUCER_TOPIC);
  const applied = producer.filter((e) => !failsForGood(observed.plan.failureOf(e.id)));
  const failed = producer.filter((e) => failsForGood(observed.plan.failureOf(e.id)));

  // 1 and 2, per key: the actor applied exactly its key's events, in seq order, and its state
  // (live and checkpointed) is the reference state.
  for (const key of KEYS) {
    const mine = applied.filter((e) => e.key === key);
    const expected: AccContext = { key, seqs: mine.map((e) => e.seq), sum: mine.reduce((sum, e) => sum + amountOf(e), 0) };
    const stored = (tables.snapshots as SnapshotRow[]).find((row) => row.consumer === 'acc' && row.key === key);
    if (mine.length === 0) {
      // Only events that failed for good (or none): the actor may never have come to exist.
      await system.query('acc', key).then(
        (view) => expect(view.context).toEqual(expected),
        (error: unknown) => expect(error).toBeInstanceOf(UnknownKeyError),
      );
      if (stored) expect(JSON.parse(stored.snapshot).context).toEqual(expected);
      continue;
    }
    const view = await system.query('acc', key);
    const seqs = (view.context as AccContext).seqs;
    for (let i = 1; i < seqs.length; i++) expect(seqs[i], `key ${key} applied out of order`).toBeGreaterThan(seqs[i - 1] as number);
    expect(view.context, `live state of ${key}`).toEqual(expected);
    expect(view.seq).toBe(mine.at(-1)?.seq);
    expect(stored, `checkpoint of ${key}`).toBeDefined();
    expect(JSON.parse(stored?.snapshot ?? '{}').context, `checkpoint of ${key}`).toEqual(expected);
    expect(stored?.seq).toBe(mine.at(-1)?.seq);
  }

  // 3: one emitted event per applied event, with its deterministic id, in each key's order.
  const emitted = log.filter((e) => e.topic === APPLIED_TOPIC);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  expect(emitted.map((e) => ({ id: e.id, key: e.key, causation: e.causation, event: e.event })).sort(byId)).toEqual(
    applied.map((e) => ({ id: `acc/${e.key}/${e.seq}/0`, key: e.key, causation: e.id, event: { type: APPLIED_TOPIC, source: e.key, seq: e.seq } })).sort(byId),
  );
  for (const key of KEYS) {
    const causes = emitted.filter((e) => e.key === key).map(causeOf);
    expect(causes, `emitted order of ${key}`).toEqual(applied.filter((e) => e.key === key).map((e) => e.seq));
  }
  for (const envelope of emitted) expect(envelope.seq).toBeGreaterThan(causeOf(envelope));

  // 1 and 3 downstream: the tally consumed every emitted event once, in log order.
  const tally = (await system.query('tally')).context as TallyContext;
  expect(tally.seqs).toEqual(emitted.map((e) => e.seq));
  expect(tally.total).toBe(applied.length);
  const counts: Record<string, number> = {};
  for (const e of applied) counts[e.key as string] = (counts[e.key as string] ?? 0) + 1;
  expect(tally.bySource).toEqual(counts);

  // Dead letters: exactly the events that fail for good, parked once each.
  const letters = system.deadLetters();
  expect(letters.map((l) => [l.consumer, l.eventId, l.seq, l.status])).toEqual(failed.map((e) => ['acc', e.id, e.seq, 'parked']));
  for (const letter of letters) {
    if (observed.plan.failureOf(letter.eventId).kind === 'permanent') {
      expect(letter).toMatchObject({ attempts: 1, error: `event ${letter.eventId} can never be applied` });
    } else {
      expect(letter.attempts).toBe(3);
      expect(letter.error).toMatch(new RegExp(`^event ${letter.eventId} failed on try \\d+$`));
    }
  }

  // Every consumer is live, caught up, and committed no further than the head.
  const status = await system.status();
  expect(status.head).toBe(head);
  const lastOf = (topic: string) => log.filter((e) => e.topic === topic).at(-1)?.seq ?? 0;
  const floor: Record<string, number> = { acc: lastOf(PRODUCER_TOPIC), tally: lastOf(APPLIED_TOPIC) };
  for (const consumer of status.consumers) {
    expect(consumer).toMatchObject({ hostState: 'live', lag: 0, offset: consumer.committedOffset });
    expect(consumer.committedOffset).toBeLessThanOrEqual(head);
    expect(consumer.committedOffset).toBeGreaterThanOrEqual(floor[consumer.consumer] ?? 0);
    expect((tables.consumers as ConsumerRow[]).find((row) => row.consumer === consumer.consumer)?.offset).toBe(consumer.committedOffset);
  }

  checkCommitted(file, observed.plan);
  expect(observed.errors).toEqual([]);
}
