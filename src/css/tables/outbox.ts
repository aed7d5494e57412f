import type { SqliteDatabase } from '../../db.ts';
import type { AppendInput, PreparedAppend, StoredEvent } from '../../envelope.ts';
import { preparedOnce } from '../../sss/tables/prepared.ts';
import { traceContextOfColumns } from '../../trace-context.ts';
import type { OutboxEntry } from '../records.ts';

/** A row of the `outbox` table, as the relay reads it. */
export interface OutboxRow {
  position: number;
  id: string;
  topic: string;
  key: string | null;
  event: string;
  causation: string | null;
  correlation_id: string | null;
  traceparent: string | null;
  tracestate: string | null;
}

/** Emitted events of a worker's consumers, waiting for the relay; `position` keeps each consumer's order. */
export function createOutboxTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS outbox (
      position INTEGER PRIMARY KEY,
      consumer TEXT NOT NULL,
      id TEXT NOT NULL,
      topic TEXT NOT NULL,
      key TEXT,
      event TEXT NOT NULL,
      causation TEXT,
      correlation_id TEXT,
      traceparent TEXT,
      tracestate TEXT
    );
    CREATE INDEX IF NOT EXISTS outbox_by_consumer ON outbox (consumer, position);
  `);
  // Files written before emitted events carried a trace context get its columns.
  const columns = db.prepare('PRAGMA table_info(outbox)').all() as { name: string }[];
  if (!columns.some((column) => column.name === 'traceparent'))
    db.exec('ALTER TABLE outbox ADD COLUMN traceparent TEXT; ALTER TABLE outbox ADD COLUMN tracestate TEXT');
}

/** The entry a row of the `outbox` table holds: the append it stands for, in its place. */
export function toOutboxEntry(row: OutboxRow): OutboxEntry {
  const input: AppendInput = { id: row.id, topic: row.topic, event: JSON.parse(row.event) as StoredEvent };
  if (row.key !== null) input.key = row.key;
  if (row.causation !== null) input.causation = row.causation;
  if (row.correlation_id !== null) input.correlationId = row.correlation_id;
  const trace = traceContextOfColumns(row.traceparent, row.tracestate);
  if (trace) input.trace = trace;
  return { position: row.position, input };
}

const insert = preparedOnce(
  'INSERT INTO outbox (consumer, id, topic, key, event, causation, correlation_id, traceparent, tracestate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
);

/** Puts an emitted event after the consumer's other entries. */
export function insertOutboxEntry(db: SqliteDatabase, consumer: string, event: PreparedAppend): void {
  const { trace } = event;
  insert(db).run(
    consumer,
    event.id,
    event.topic,
    event.key,
    event.json,
    event.causation,
    event.correlationId,
    trace?.traceparent ?? null,
    trace?.tracestate ?? null,
  );
}

const selectOldest = preparedOnce(
  'SELECT position, id, topic, key, event, causation, correlation_id, traceparent, tracestate FROM outbox WHERE consumer = ? ORDER BY position LIMIT ?',
);

/** The oldest `limit` entries of a consumer, in order. */
export function listOutboxEntries(db: SqliteDatabase, consumer: string, limit: number): OutboxEntry[] {
  return (selectOldest(db).all(consumer, limit) as OutboxRow[]).map(toOutboxEntry);
}

const deleteUpTo = preparedOnce('DELETE FROM outbox WHERE consumer = ? AND position <= ?');

/** Forgets a consumer's entries up to `position`. */
export function deleteOutboxEntries(db: SqliteDatabase, consumer: string, position: number): void {
  deleteUpTo(db).run(consumer, position);
}

const selectCount = preparedOnce('SELECT COUNT(*) FROM outbox WHERE consumer = ?', { pluck: true });

/** How many entries of the consumer wait for the relay. */
export function countOutboxEntries(db: SqliteDatabase, consumer: string): number {
  return selectCount(db).get(consumer) as number;
}
