import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock.ts';
import { openDatabase, type SqliteDatabase } from '../../src/db.ts';
import { type AppendInput, type Envelope, type EventObject, prepareAppend } from '../../src/envelope.ts';
import {
  InvalidEnvelopeError,
  InvalidEventError,
  InvalidPatternError,
  InvalidTopicError,
  PayloadTooLargeError,
  RecqError,
  StorageError,
} from '../../src/errors.ts';
import { EventLog, type EventLogOptions } from '../../src/sss/event-log.ts';
import { useScratch } from '../support/scratch.ts';

const START = Date.UTC(2030, 0, 1);

const scratch = useScratch();
let clock: SimulatedClock;
let opened: { db: SqliteDatabase; log: EventLog }[];

beforeEach(() => {
  clock = new SimulatedClock(START);
  opened = [];
});

afterEach(() => {
  for (const { db, log } of opened) {
    if (!db.open) continue;
    log.close();
    db.close();
  }
});

function openLog(options: Partial<EventLogOptions> = {}): { db: SqliteDatabase; log: EventLog } {
  const db = openDatabase(scratch.file());
  const log = new EventLog(db, { clock, ...options });
  const entry = { db, log };
  opened.push(entry);
  return entry;
}

function closeLog({ db, log }: { db: SqliteDatabase; log: EventLog }): void {
  log.close();
  db.close();
}

/** Records every onCommit call, so tests can count transactions and see what was announced. */
function recordCommits(log: EventLog): Envelope[][] {
  const commits: Envelope[][] = [];
  log.onCommit((envelopes) => commits.push([...envelopes]));
  return commits;
}

/** An event with fields beyond `type`, which the EventObject type leaves to the caller. */
const ev = (type: string, fields: Record<string, unknown> = {}): EventObject => ({ type, ...fields });
const fieldOf = (envelope: Envelope | undefined, field: string): unknown => (envelope?.event as Record<string, unknown> | undefined)?.[field];

const placed = (n: number, extra: Partial<AppendInput> = {}): AppendInput => ({ topic: 'orders.placed', event: ev('order.placed', { n }), ...extra });

describe('EventLog seq', () => {
  it('starts at 1 and is gap-free across separate appends', async () => {
    const { log } = openLog();
    expect(log.head()).toBe(0);
    const seqs: number[] = [];
    for (let n = 0; n < 5; n++) seqs.push((await log.append(placed(n))).seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(log.head()).toBe(5);
    expect(log.read().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stamps each event with the clock time of its commit', async () => {
    const { log } = openLog();
    await log.append(placed(1));
    clock.advance(250);
    const pending = log.append(placed(2));
    // the commit happens later than the call: the stamp is the commit time
    clock.advance(5);
    await pending;
    expect(log.read().map((e) => e.time)).toEqual([START, START + 255]);
  });

  it('assigns the next seq after a duplicate, leaving no gap', async () => {
    const { log } = openLog();
    await log.append(placed(1, { id: 'a' }));
    await log.append(placed(2, { id: 'b' }));
    expect(await log.append(placed(3, { id: 'a' }))).toEqual({ seq: 1, id: 'a', duplicate: true, differs: true });
    expect(await log.append(placed(4, { id: 'c' }))).toEqual({ seq: 3, id: 'c', duplicate: false });
    expect(log.read().map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('gives a random id when none is given, and returns it', async () => {
    const { log } = openLog();
    const first = await log.append(placed(1));
    const second = await log.append(placed(2));
    expect(first.id).toEqual(expect.any(String));
    expect(first.id.length).toBeGreaterThan(0);
    expect(second.id).not.toBe(first.id);
    expect(log.seqOf(first.id)).toBe(1);
    expect(log.get(2)?.id).toBe(second.id);
    expect(log.get(3)).toBeUndefined();
  });
});

describe('EventLog idempotent append', () => {
  it('returns the first seq for a repeated id, keeps the first event and appends nothing', async () => {
    const { log } = openLog();
    const commits = recordCommits(log);
    const first = await log.append({ topic: 'orders.placed', event: ev('order.placed', { total: 30 }), id: 'order-1' });
    const again = await log.append({ topic: 'orders.cancelled', event: { type: 'order.cancelled' }, id: 'order-1' });
    expect(first).toEqual({ seq: 1, id: 'order-1', duplicate: false });
    expect(again).toEqual({ seq: 1, id: 'order-1', duplicate: true, differs: true });
    expect(log.head()).toBe(1);
    expect(log.read()).toEqual([{ seq: 1, id: 'order-1', topic: 'orders.placed', time: START, event: { type: 'order.placed', total: 30 } }]);
    expect(commits.flat().map((e) => e.seq)).toEqual([1]);
  });

  it('says nothing more of a retry with the same event, and flags one that reuses the id for another event', async () => {
    const { log } = openLog();
    const input = { topic: 'orders.placed', event: ev('order.placed', { total: 30 }), key: 'o-1', id: 'order-1' };
    await log.append(input);
    expect(await log.append(input)).toEqual({ seq: 1, id: 'order-1', duplicate: true });
    expect(await log.append({ ...input, event: ev('order.placed', { total: 31 }) })).toEqual({ seq: 1, id: 'order-1', duplicate: true, differs: true });
    expect(await log.append({ ...input, key: 'o-2' })).toEqual({ seq: 1, id: 'order-1', duplicate: true, differs: true });
    expect(log.read().map((e) => e.event)).toEqual([{ type: 'order.placed', total: 30 }]);
  });

  it('dedupes a repeated id within one group commit', async () => {
    const { log } = openLog();
    const commits = recordCommits(log);
    const results = await Promise.all([
      log.append(placed(1, { id: 'x' })),
      log.append(placed(2, { id: 'y' })),
      log.append(placed(3, { id: 'x' })),
      log.appendMany([placed(4, { id: 'y' }), placed(5, { id: 'z' })]),
    ]);
    expect(results).toEqual([
      { seq: 1, id: 'x', duplicate: false },
      { seq: 2, id: 'y', duplicate: false },
      { seq: 1, id: 'x', duplicate: true, differs: true },
      [
        { seq: 2, id: 'y', duplicate: true, differs: true },
        { seq: 3, id: 'z', duplicate: false },
      ],
    ]);
    expect(commits).toHaveLength(1);
    expect(commits[0]?.map((e) => [e.seq, e.id, fieldOf(e, 'n')])).toEqual([
      [1, 'x', 1],
      [2, 'y', 2],
      [3, 'z', 5],
    ]);
    expect(log.head()).toBe(3);
  });

  it('dedupes a repeated id after the file is closed and reopened', async () => {
    const first = openLog();
    await first.log.append(placed(1, { id: 'keep' }));
    await first.log.append(placed(2));
    closeLog(first);

    const { log } = openLog();
    const commits = recordCommits(log);
    expect(await log.append(placed(3, { id: 'keep' }))).toEqual({ seq: 1, id: 'keep', duplicate: true, differs: true });
    expect(log.head()).toBe(2);
    expect(commits).toEqual([]);
    expect(log.get(1)?.event).toEqual({ type: 'order.placed', n: 1 });
  });

  it('announces nothing for a commit made only of duplicates', async () => {
    const { log } = openLog();
    await log.append(placed(1, { id: 'a' }));
    const commits = recordCommits(log);
    await log.appendMany([placed(2, { id: 'a' }), placed(3, { id: 'a' })]);
    expect(commits).toEqual([]);
  });
});

describe('EventLog read', () => {
  /** 40 events where `a.b` (the match for `a.*`) is every fourth, among `a.b.c` and `x.y` rows GLOB also accepts or skips. */
  async function interleaved(log: EventLog): Promise<{ ab: number[]; abc: number[] }> {
    const inputs: AppendInput[] = [];
    for (let i = 0; i < 40; i++) {
      const topic = i % 4 === 3 ? 'a.b' : i % 4 === 2 ? 'x.y' : 'a.b.c';
      inputs.push({ topic, event: ev(topic, { i }) });
    }
    const results = await log.appendMany(inputs);
    const seqsOf = (topic: string) => results.filter((_r, i) => inputs[i]?.topic === topic).map((r) => r.seq);
    return { ab: seqsOf('a.b'), abc: seqsOf('a.b.c') };
  }

  it('returns exactly `limit` matching events when GLOB over-matches rows between them', async () => {
    const { log } = openLog();
    const { ab } = await interleaved(log);
    const page = log.read({ patterns: ['a.*'], limit: 3 });
    expect(page.map((e) => e.seq)).toEqual(ab.slice(0, 3));
    expect(page.every((e) => e.topic === 'a.b')).toBe(true);
  });

  it('pages through every match of an over-matching GLOB, in order, none skipped', async () => {
    const { log } = openLog();
    const { ab } = await interleaved(log);
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const page = log.read({ after, patterns: ['a.*'], limit: 2 });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((e) => e.seq));
      after = page[page.length - 1]?.seq ?? after;
    }
    expect(seen).toEqual(ab);
  });

  it('returns fewer than `limit` only when the matches run out', async () => {
    const { log } = openLog();
    const { ab } = await interleaved(log);
    const tail = log.read({ after: ab[7], patterns: ['a.*'], limit: 5 });
    expect(tail.map((e) => e.seq)).toEqual(ab.slice(8));
  });

  it('matches `>` with one or more tokens and literal patterns exactly', async () => {
    const { log } = openLog();
    const { ab, abc } = await interleaved(log);
    await log.append({ topic: 'a', event: { type: 'a' } });
    const both = [...ab, ...abc].sort((x, y) => x - y);
    expect(log.read({ patterns: ['a.>'] }).map((e) => e.seq)).toEqual(both);
    expect(log.read({ patterns: ['a.b'] }).map((e) => e.seq)).toEqual(ab);
    expect(log.read({ patterns: ['a.*.c'] }).map((e) => e.seq)).toEqual(abc);
    expect(log.read({ patterns: ['a'] }).map((e) => e.topic)).toEqual(['a']);
    expect(log.read({ patterns: ['A.b'] })).toEqual([]);
  });

  it('reads the union of several patterns in seq order', async () => {
    const { log } = openLog();
    await log.appendMany([
      { topic: 'orders.placed', event: { type: 'p' } },
      { topic: 'payments.card.captured', event: { type: 'c' } },
      { topic: 'orders.placed.eu', event: { type: 'eu' } },
      { topic: 'audit', event: { type: 'a' } },
    ]);
    expect(log.read({ patterns: ['payments.>', 'orders.*'], limit: 10 }).map((e) => e.seq)).toEqual([1, 2]);
    expect(log.read({ patterns: ['audit', 'orders.*'], limit: 1, after: 1 }).map((e) => e.seq)).toEqual([4]);
  });

  it('stops at `until` and starts after `after`', async () => {
    const { log } = openLog();
    await log.appendMany(Array.from({ length: 10 }, (_, n) => placed(n)));
    expect(log.read({ after: 3, until: 6 }).map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(log.read({ after: 3, until: 6, patterns: ['orders.*'], limit: 2 }).map((e) => e.seq)).toEqual([4, 5]);
    expect(log.read({ until: 0 })).toEqual([]);
    expect(log.read({ after: 6, until: 6 })).toEqual([]);
    expect(log.read({ after: 10 })).toEqual([]);
  });

  it('stops at `until` even when GLOB over-matches rows past it', async () => {
    const { log } = openLog();
    const { ab } = await interleaved(log);
    const until = ab[2] as number;
    expect(log.read({ patterns: ['a.*'], until, limit: 100 }).map((e) => e.seq)).toEqual(ab.slice(0, 3));
  });

  it('returns at most 1000 events by default', async () => {
    const { log } = openLog();
    await log.appendMany(Array.from({ length: 1005 }, (_, n) => placed(n)));
    const page = log.read();
    expect(page).toHaveLength(1000);
    expect(page[999]?.seq).toBe(1000);
  });

  it('refuses an invalid pattern with InvalidPatternError naming it', async () => {
    const { log } = openLog();
    await log.append(placed(1));
    expect(() => log.read({ patterns: ['orders.*', 'orders.>.x'] })).toThrow(InvalidPatternError);
    expect(() => log.read({ patterns: ['orders.>.x'] })).toThrow('"orders.>.x"');
  });
});

describe('EventLog group commit', () => {
  it('commits 1,000 concurrent appends in a handful of transactions with consecutive seqs', async () => {
    const { log } = openLog();
    const commits = recordCommits(log);
    const pending = Array.from({ length: 1000 }, (_, n) => log.append({ topic: `load.t${n % 7}`, event: ev('load', { n }) }));
    const results = await Promise.all(pending);

    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.id)).size).toBe(1000);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(commits.length).toBeGreaterThanOrEqual(1);
    expect(commits.length).toBeLessThanOrEqual(5);
    expect(commits.flat().map((e) => e.seq)).toEqual(results.map((r) => r.seq));
    expect(commits.flat().map((e) => fieldOf(e, 'n'))).toEqual(Array.from({ length: 1000 }, (_, n) => n));
    expect(log.head()).toBe(1000);
  });

  it('commits queued appends at once on flush()', async () => {
    const { log } = openLog();
    const pending = log.append(placed(1));
    expect(log.head()).toBe(0);
    log.flush();
    expect(log.head()).toBe(1);
    expect(await pending).toMatchObject({ seq: 1, duplicate: false });
  });
});

describe('EventLog appendMany', () => {
  it('appends all inputs with consecutive seqs in one commit', async () => {
    const { log } = openLog();
    await log.append(placed(0));
    const commits = recordCommits(log);
    const results = await log.appendMany([placed(1), placed(2), placed(3)]);
    expect(results.map((r) => r.seq)).toEqual([2, 3, 4]);
    expect(commits.map((c) => c.map((e) => e.seq))).toEqual([[2, 3, 4]]);
  });

  it.each<[string, AppendInput, new (...args: never[]) => RecqError, string, string]>([
    ['a bad topic', { topic: 'orders..placed', event: { type: 't' } }, InvalidTopicError, 'INVALID_TOPIC', '"orders..placed"'],
    ['a wildcard topic', { topic: 'orders.*', event: { type: 't' } }, InvalidTopicError, 'INVALID_TOPIC', '"orders.*"'],
    ['an event without type', { topic: 'orders.placed', event: { total: 3 } as never }, InvalidEventError, 'INVALID_EVENT', '{"total":3}'],
    ['an oversize event', { topic: 'orders.big', event: ev('t', { blob: 'x'.repeat(600) }) }, PayloadTooLargeError, 'PAYLOAD_TOO_LARGE', '"orders.big"'],
    ['a numeric key', { topic: 'orders.placed', event: { type: 't' }, key: 7 as never }, InvalidEnvelopeError, 'INVALID_ENVELOPE', "'key' 7"],
    ['an empty id', { topic: 'orders.placed', event: { type: 't' }, id: '' }, InvalidEnvelopeError, 'INVALID_ENVELOPE', `'id' ""`],
  ])('appends none and rejects with the typed error when one input has %s', async (_name, bad, ErrorClass, code, named) => {
    const { log } = openLog({ maxPayloadBytes: 512 });
    await log.append(placed(0));
    const commits = recordCommits(log);
    const refused = log.appendMany([placed(1, { id: 'good-1' }), bad, placed(2, { id: 'good-2' })]);
    await expect(refused).rejects.toBeInstanceOf(ErrorClass);
    await expect(refused).rejects.toMatchObject({ code, message: expect.stringContaining(named) });
    // a later flush must not commit anything left over from the refused call
    log.flush();
    expect(log.head()).toBe(1);
    expect(log.seqOf('good-1')).toBeUndefined();
    expect(log.seqOf('good-2')).toBeUndefined();
    expect(commits).toEqual([]);
    expect((await log.append(placed(3))).seq).toBe(2);
  });

  it('names the topic, the size and the limit of an oversize event', async () => {
    const { log } = openLog({ maxPayloadBytes: 100 });
    const event = ev('big', { text: 'é'.repeat(60) });
    const bytes = Buffer.byteLength(JSON.stringify(event));
    const error = await log.append({ topic: 'docs.uploaded', event }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', topic: 'docs.uploaded', bytes, limit: 100 });
    expect((error as Error).message).toContain(`"docs.uploaded" is ${bytes} bytes as JSON, over the limit of 100 bytes`);
    expect(log.head()).toBe(0);
  });

  it('rejects every append of a commit, and appends none, when the write is fenced', async () => {
    let fenced = false;
    const { log } = openLog({
      fence: () => {
        if (fenced) throw new RecqError('STALE_EPOCH', 'fenced for the test');
      },
    });
    await log.append(placed(0));
    const commits = recordCommits(log);
    fenced = true;
    const results = await Promise.allSettled([log.append(placed(1)), log.appendMany([placed(2), placed(3)])]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'STALE_EPOCH' });
    }
    expect(log.head()).toBe(1);
    expect(log.read().map((e) => e.seq)).toEqual([1]);
    expect(commits).toEqual([]);
    fenced = false;
    expect((await log.append(placed(4))).seq).toBe(2);
  });

  it('wraps a SQLite failure in StorageError and keeps head where it was', async () => {
    const { log } = openLog({
      fence: () => {
        throw new Error('disk on fire');
      },
    });
    const error = await log.append(placed(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'STORAGE' });
    expect((error as StorageError).cause).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('disk on fire');
    expect(log.head()).toBe(0);
  });
});

describe('EventLog durability', () => {
  it('keeps every event, its order and its fields across close and reopen', async () => {
    const first = openLog();
    const written = await first.log.appendMany([
      { topic: 'orders.placed', event: ev('order.placed', { lines: [{ sku: 'a', qty: 2 }], note: 'ünïcödé' }), key: 'o-1', id: 'e-1' },
      { topic: 'payments.captured', event: { type: 'payment.captured' }, key: 'o-1', causation: 'e-1', correlationId: 'e-1' },
      { topic: 'audit', event: { type: 'audit' } },
    ]);
    const before = first.log.read();
    closeLog(first);

    const { log } = openLog();
    expect(log.head()).toBe(3);
    expect(log.read()).toEqual(before);
    expect(log.read()[1]).toEqual({
      seq: 2,
      id: written[1]?.id,
      topic: 'payments.captured',
      key: 'o-1',
      time: START,
      event: { type: 'payment.captured' },
      causation: 'e-1',
      correlationId: 'e-1',
    });
    expect((await log.append(placed(4))).seq).toBe(4);
  });

  it('commits what is queued on close, then refuses appends', async () => {
    const entry = openLog();
    const pending = entry.log.append(placed(1));
    entry.log.close();
    expect(await pending).toMatchObject({ seq: 1 });
    await expect(entry.log.append(placed(2))).rejects.toMatchObject({ code: 'LOG_CLOSED' });
    entry.db.close();

    const { log } = openLog();
    expect(log.read().map((e) => fieldOf(e, 'n'))).toEqual([1]);
  });
});

describe('EventLog onCommit', () => {
  it('hands listeners the committed envelopes in seq order, with parsed events and every field', async () => {
    const { log } = openLog();
    const commits = recordCommits(log);
    const second = recordCommits(log);
    await log.append({ topic: 'orders.placed', event: ev('order.placed', { total: 30, tags: ['a'] }), key: 'o-1', id: 'p-1' });
    await Promise.all([
      log.append({ topic: 'orders.paid', event: { type: 'order.paid' }, key: 'o-1', id: 'p-2', causation: 'p-1', correlationId: 'corr-1' }),
      log.append({ topic: 'orders.shipped', event: ev('order.shipped', { nested: { at: null } }), id: 'p-3' }),
    ]);
    expect(commits).toEqual([
      [{ seq: 1, id: 'p-1', topic: 'orders.placed', key: 'o-1', time: START, event: { type: 'order.placed', total: 30, tags: ['a'] } }],
      [
        { seq: 2, id: 'p-2', topic: 'orders.paid', key: 'o-1', time: START, event: { type: 'order.paid' }, causation: 'p-1', correlationId: 'corr-1' },
        { seq: 3, id: 'p-3', topic: 'orders.shipped', time: START, event: { type: 'order.shipped', nested: { at: null } } },
      ],
    ]);
    expect(second).toEqual(commits);
    // what listeners see is what a later read returns
    expect(log.read()).toEqual(commits.flat());
  });

  it('stops calling a listener once it unsubscribes', async () => {
    const { log } = openLog();
    const seen: number[] = [];
    const unsubscribe = log.onCommit((envelopes) => seen.push(...envelopes.map((e) => e.seq)));
    await log.append(placed(1));
    unsubscribe();
    await log.append(placed(2));
    expect(seen).toEqual([1]);
  });

  it('resolves an append that committed even when a listener throws', async () => {
    // The router and observers are listeners: their failure must not turn a committed append
    // into a rejection that says nothing was committed.
    const { log } = openLog();
    log.onCommit(() => {
      throw new Error('observer failed');
    });
    const outcome = await log.append(placed(1, { id: 'committed' })).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    expect(log.seqOf('committed')).toBe(1);
    expect(outcome).toEqual({ result: { seq: 1, id: 'committed', duplicate: false } });
  });
});

describe('EventLog transaction', () => {
  it('announces events appended inside a transaction only after it commits', async () => {
    const { log } = openLog();
    const commits = recordCommits(log);
    const result = log.transaction(() => {
      const appended = log.appendWithinTransaction([prepareAppend(placed(1), log.maxPayloadBytes), prepareAppend(placed(2), log.maxPayloadBytes)]);
      expect(commits).toEqual([]);
      return appended;
    });
    expect(result.map((r) => r.seq)).toEqual([1, 2]);
    expect(commits.map((c) => c.map((e) => e.seq))).toEqual([[1, 2]]);
    expect(log.head()).toBe(2);
  });

  it('rolls back: restores head, writes nothing and announces nothing', async () => {
    const { log } = openLog();
    await log.append(placed(0));
    const commits = recordCommits(log);
    let headInside = 0;
    expect(() =>
      log.transaction(() => {
        log.appendWithinTransaction([prepareAppend(placed(1, { id: 'rolled-back' }), log.maxPayloadBytes)]);
        headInside = log.head();
        throw new Error('checkpoint failed');
      }),
    ).toThrow('checkpoint failed');
    expect(headInside).toBe(2);
    expect(log.head()).toBe(1);
    expect(log.seqOf('rolled-back')).toBeUndefined();
    expect(log.read().map((e) => e.seq)).toEqual([1]);
    expect(commits).toEqual([]);

    const next = await log.append(placed(2, { id: 'rolled-back' }));
    expect(next).toEqual({ seq: 2, id: 'rolled-back', duplicate: false });
    expect(commits.flat().map((e) => e.seq)).toEqual([2]);
  });

  it('refuses appendWithinTransaction outside a transaction', () => {
    const { log } = openLog();
    expect(() => log.appendWithinTransaction([prepareAppend(placed(1), log.maxPayloadBytes)])).toThrow('inside EventLog.transaction');
    expect(log.head()).toBe(0);
  });
});
