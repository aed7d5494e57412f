import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from '../../sss/tables/prepared.ts';
import type { DeadLetter, DeadLetterStatus } from '../records.ts';

/** A row of the `dead_letters` table. */
export interface DeadLetterRow {
  id: number;
  consumer: string;
  seq: number;
  event_id: string;
  key: string | null;
  topic: string;
  event: string;
  error: string;
  stack: string | null;
  attempts: number;
  first_failed_at: number;
  last_failed_at: number;
  status: DeadLetterStatus;
}

/** A dead letter with its id, and the component of its consumer (the consumer's name if it has no row). */
export interface ComponentDeadLetter extends DeadLetter {
  id: number;
  component: string;
}

/** One row per consumer and event (or timer) id: a retry of the same event updates it. */
export function createDeadLettersTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS dead_letters (
      id INTEGER PRIMARY KEY,
      consumer TEXT NOT NULL,
      seq INTEGER NOT NULL,
      event_id TEXT NOT NULL,
      key TEXT,
      topic TEXT NOT NULL,
      event TEXT NOT NULL,
      error TEXT NOT NULL,
      stack TEXT,
      attempts INTEGER NOT NULL,
      first_failed_at INTEGER NOT NULL,
      last_failed_at INTEGER NOT NULL,
      status TEXT NOT NULL,
      UNIQUE (consumer, event_id)
    );
  `);
}

/** The dead letter a row of the `dead_letters` table holds. */
export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    consumer: row.consumer,
    seq: row.seq,
    eventId: row.event_id,
    key: row.key ?? undefined,
    topic: row.topic,
    event: row.event,
    error: row.error,
    stack: row.stack ?? undefined,
    attempts: row.attempts,
    firstFailedAt: row.first_failed_at,
    lastFailedAt: row.last_failed_at,
    status: row.status,
  };
}

const upsert = preparedOnce(
  `INSERT INTO dead_letters (consumer, seq, event_id, key, topic, event, error, stack, attempts, first_failed_at, last_failed_at, status)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (consumer, event_id) DO UPDATE SET error = excluded.error, stack = excluded.stack, attempts = excluded.attempts,
     last_failed_at = excluded.last_failed_at, status = excluded.status`,
);

/** Stores a dead letter of `consumer`; one already kept for the same event id takes its error, attempts and status. */
export function storeDeadLetter(db: SqliteDatabase, consumer: string, d: DeadLetter): void {
  upsert(db).run(consumer, d.seq, d.eventId, d.key ?? null, d.topic, d.event, d.error, d.stack ?? null, d.attempts, d.firstFailedAt, d.lastFailedAt, d.status);
}

const selectByEventId = preparedOnce('SELECT * FROM dead_letters WHERE consumer = ? AND event_id = ?');

/** The consumer's dead letter for an event (or timer) id, if it has one. */
export function readDeadLetterFor(db: SqliteDatabase, consumer: string, eventId: string): DeadLetter | undefined {
  const row = selectByEventId(db).get(consumer, eventId) as DeadLetterRow | undefined;
  return row && toDeadLetter(row);
}

const selectById = preparedOnce('SELECT * FROM dead_letters WHERE id = ?');

/** The dead letter with this id, as operators name it. */
export function readDeadLetter(db: SqliteDatabase, id: number): DeadLetter | undefined {
  const row = selectById(db).get(id) as DeadLetterRow | undefined;
  return row && toDeadLetter(row);
}

// A null filter matches every row, so one statement serves all four combinations.
const selectFiltered = preparedOnce(
  `SELECT * FROM dead_letters WHERE (@consumer IS NULL OR consumer = @consumer) AND (@status IS NULL OR status = @status)
   ORDER BY consumer, seq, id`,
);

/** Dead letters, oldest first per consumer; all of them, or one consumer's, or only those with `status`. */
export function listDeadLetters(db: SqliteDatabase, filter: { consumer?: string | undefined; status?: DeadLetterStatus | undefined }): DeadLetter[] {
  const rows = selectFiltered(db).all({ consumer: filter.consumer ?? null, status: filter.status ?? null }) as DeadLetterRow[];
  return rows.map(toDeadLetter);
}

const WITH_COMPONENT = 'SELECT d.*, c.component FROM dead_letters d LEFT JOIN consumers c ON c.consumer = d.consumer';

type ComponentDeadLetterRow = DeadLetterRow & { component: string | null };

function toComponentDeadLetter(row: ComponentDeadLetterRow): ComponentDeadLetter {
  return { ...toDeadLetter(row), id: row.id, component: row.component ?? row.consumer };
}

const selectFilteredWithComponent = preparedOnce(
  `${WITH_COMPONENT} WHERE (@component IS NULL OR COALESCE(c.component, d.consumer) = @component) AND (@status IS NULL OR d.status = @status)
   ORDER BY d.consumer, d.seq, d.id`,
);

/** Dead letters with their components, ordered by consumer and seq; all of them, or one component's, or only those with `status`. */
export function listComponentDeadLetters(
  db: SqliteDatabase,
  filter: { component?: string | undefined; status?: DeadLetterStatus | undefined },
): ComponentDeadLetter[] {
  const rows = selectFilteredWithComponent(db).all({ component: filter.component ?? null, status: filter.status ?? null }) as ComponentDeadLetterRow[];
  return rows.map(toComponentDeadLetter);
}

const selectByIdWithComponent = preparedOnce(`${WITH_COMPONENT} WHERE d.id = ?`);

/** The dead letter with this id, with its component. */
export function readComponentDeadLetter(db: SqliteDatabase, id: number): ComponentDeadLetter | undefined {
  const row = selectByIdWithComponent(db).get(id) as ComponentDeadLetterRow | undefined;
  return row && toComponentDeadLetter(row);
}

const selectWaitingCounts = preparedOnce("SELECT consumer, COUNT(*) AS n FROM dead_letters WHERE status IN ('parked', 'blocking') GROUP BY consumer");

/** How many dead letters each consumer has waiting for an operator (parked, or blocking it). */
export function countWaitingDeadLetters(db: SqliteDatabase): Map<string, number> {
  const rows = selectWaitingCounts(db).all() as { consumer: string; n: number }[];
  return new Map(rows.map((row) => [row.consumer, row.n]));
}
