import type { SqliteDatabase } from '../../db.ts';
import type { Envelope, PreparedAppend, StoredEvent } from '../../envelope.ts';
import { assertPattern, compilePatterns, patternToGlob, type TopicMatcher } from '../../topic.ts';
import { traceContextOfColumns } from '../../trace-context.ts';
import { preparedOnce, preparedPerCount } from './prepared.ts';

/** A row of the `events` table. */
export interface EventRow {
  seq: number;
  id: string;
  topic: string;
  key: string | null;
  time: number;
  event: string;
  causation: string | null;
  correlation_id: string | null;
  /** Absent in files written before traces were stored, when opened read-only. */
  traceparent?: string | null;
  tracestate?: string | null;
}

/** The log's table. `seq` is assigned by the log (head + 1), so it stays gap-free. */
export function createEventsTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      topic TEXT NOT NULL,
      key TEXT,
      time INTEGER NOT NULL,
      event TEXT NOT NULL,
      causation TEXT,
      correlation_id TEXT,
      traceparent TEXT,
      tracestate TEXT
    );
  `);
  // Files written before events carried a trace context get its columns, empty for older events.
  const columns = db.prepare('PRAGMA table_info(events)').all() as { name: string }[];
  if (!columns.some((column) => column.name === 'traceparent'))
    db.exec('ALTER TABLE events ADD COLUMN traceparent TEXT; ALTER TABLE events ADD COLUMN tracestate TEXT');
}

/** The envelope a row of the `events` table holds. */
export function toEnvelope(row: EventRow): Envelope {
  const envelope: Envelope = { seq: row.seq, id: row.id, topic: row.topic, time: row.time, event: JSON.parse(row.event) as StoredEvent };
  if (row.key !== null) envelope.key = row.key;
  if (row.causation !== null) envelope.causation = row.causation;
  if (row.correlation_id !== null) envelope.correlationId = row.correlation_id;
  const trace = traceContextOfColumns(row.traceparent, row.tracestate);
  if (trace) envelope.trace = trace;
  return envelope;
}

const insert = preparedOnce(
  'INSERT INTO events (seq, id, topic, key, time, event, causation, correlation_id, traceparent, tracestate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
);

/** Stores `event` at `seq`; false (and nothing stored) if the log already holds its id. */
export function insertEvent(db: SqliteDatabase, seq: number, time: number, event: PreparedAppend): boolean {
  const { trace } = event;
  return (
    insert(db).run(
      seq,
      event.id,
      event.topic,
      event.key,
      time,
      event.json,
      event.causation,
      event.correlationId,
      trace?.traceparent ?? null,
      trace?.tracestate ?? null,
    ).changes > 0
  );
}

const COLUMNS = '(seq, id, topic, key, time, event, causation, correlation_id, traceparent, tracestate)';
const PER_ROW = 10;
const insertMany = preparedPerCount(
  (rows) =>
    `INSERT INTO events ${COLUMNS} VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (id) DO NOTHING`,
);
const savepoint = preparedOnce('SAVEPOINT insert_events');
const rollbackToSavepoint = preparedOnce('ROLLBACK TO insert_events');
const releaseSavepoint = preparedOnce('RELEASE insert_events');

/**
 * Stores `count` events from `events[from]` at seqs `firstSeq`, `firstSeq + 1`, … in one
 * statement (one call into SQLite instead of `count`), all or none: if any id is already in
 * the log, nothing is stored and it returns false, so the caller can go row by row and keep
 * seqs gap-free. Must run inside a transaction.
 */
export function insertEvents(db: SqliteDatabase, firstSeq: number, time: number, events: readonly PreparedAppend[], from: number, count: number): boolean {
  const params: unknown[] = new Array(count * PER_ROW);
  for (let i = 0; i < count; i++) {
    const e = events[from + i] as PreparedAppend;
    const at = i * PER_ROW;
    params[at] = firstSeq + i;
    params[at + 1] = e.id;
    params[at + 2] = e.topic;
    params[at + 3] = e.key;
    params[at + 4] = time;
    params[at + 5] = e.json;
    params[at + 6] = e.causation;
    params[at + 7] = e.correlationId;
    params[at + 8] = e.trace?.traceparent ?? null;
    params[at + 9] = e.trace?.tracestate ?? null;
  }
  savepoint(db).run();
  const stored = insertMany(db, count).run(...params).changes === count;
  if (!stored) rollbackToSavepoint(db).run();
  releaseSavepoint(db).run();
  return stored;
}

const selectSeqOfId = preparedOnce('SELECT seq FROM events WHERE id = ?', { pluck: true });

/** The seq of the event with this id, if the log holds it. */
export function readSeqOfId(db: SqliteDatabase, id: string): number | undefined {
  return selectSeqOfId(db).get(id) as number | undefined;
}

const selectById = preparedOnce('SELECT seq, topic, key, event FROM events WHERE id = ?');

/** What the log holds under `id`: its seq, and the topic, key and event JSON to compare a retry with. */
export function readStoredById(db: SqliteDatabase, id: string): Pick<EventRow, 'seq' | 'topic' | 'key' | 'event'> | undefined {
  return selectById(db).get(id) as Pick<EventRow, 'seq' | 'topic' | 'key' | 'event'> | undefined;
}

const selectBySeq = preparedOnce('SELECT * FROM events WHERE seq = ?');

/** The envelope at `seq`, if there is one. */
export function readEvent(db: SqliteDatabase, seq: number): Envelope | undefined {
  const row = selectBySeq(db).get(seq) as EventRow | undefined;
  return row && toEnvelope(row);
}

const selectHead = preparedOnce('SELECT COALESCE(MAX(seq), 0) FROM events', { pluck: true });

/** The seq of the last stored event (0 for an empty log). */
export function readHead(db: SqliteDatabase): number {
  return (selectHead(db).get() as number | null) ?? 0;
}

const selectRange = preparedPerCount((globs) => {
  const filter = globs === 0 ? '' : ` AND (${Array.from({ length: globs }, () => 'topic GLOB ?').join(' OR ')})`;
  return `SELECT * FROM events WHERE seq > ? AND seq <= ?${filter} ORDER BY seq LIMIT ?`;
});

/** Which events to read: those after `after`, up to `until`, whose topic matches any of `patterns`. */
export interface EventRange {
  after: number;
  until: number;
  /** NATS-style topic patterns; none means every topic. */
  patterns: readonly string[];
  limit: number;
}

/** The matching envelopes of a range, and the last seq looked at (matching or not). */
export interface EventRangePage {
  envelopes: Envelope[];
  lastSeq: number;
}

/**
 * Reads up to `limit` events of a range in seq order. SQL narrows by GLOB, a superset of the
 * NATS match, and the exact match runs in code, so a page is topped up until it is full or
 * the range is exhausted. Throws `InvalidPatternError` for a bad pattern.
 *
 * @example
 * readEventRange(db, { after: 120, until: Number.MAX_SAFE_INTEGER, patterns: ['orders.>'], limit: 500 });
 */
export function readEventRange(db: SqliteDatabase, range: EventRange): EventRangePage {
  const { patterns, until } = range;
  for (const pattern of patterns) assertPattern(pattern);
  const statement = selectRange(db, patterns.length);
  const globs = patterns.map(patternToGlob);
  // A literal pattern's GLOB is already exact; only wildcards need the match in code.
  const matches: TopicMatcher | undefined = patterns.some((p) => p.includes('*') || p.includes('>')) ? compilePatterns(patterns) : undefined;
  const envelopes: Envelope[] = [];
  let lastSeq = range.after;
  while (envelopes.length < range.limit) {
    const wanted = range.limit - envelopes.length;
    const rows = statement.all(lastSeq, until, ...globs, wanted) as EventRow[];
    for (const row of rows) {
      lastSeq = row.seq;
      if (!matches || matches(row.topic)) envelopes.push(toEnvelope(row));
    }
    if (rows.length < wanted || !matches) break;
  }
  return { envelopes, lastSeq };
}

const selectTopicCountsAfter = preparedOnce('SELECT topic, COUNT(*) AS n FROM events WHERE seq > ? GROUP BY topic');

/** How many events after `seq` each topic has. */
export function countEventsByTopicAfter(db: SqliteDatabase, seq: number): { topic: string; n: number }[] {
  return selectTopicCountsAfter(db).all(seq) as { topic: string; n: number }[];
}
