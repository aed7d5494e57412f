import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from '../../sss/tables/prepared.ts';
import type { JournalEntry } from '../records.ts';

/**
 * The journal of earlier versions: invoked children's outcomes and timer firings, by
 * deterministic id, with the point of the actor's history (`applied_after`, then `position`)
 * at which they were delivered. They are input records in the log now; files written before
 * keep their rows, which are read (to say so, and to show them), never written.
 */
export function createJournalTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS journal (
      consumer TEXT NOT NULL,
      id TEXT NOT NULL,
      key TEXT NOT NULL,
      outcome TEXT NOT NULL,
      value TEXT,
      applied_after INTEGER NOT NULL,
      position INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (consumer, id)
    ) WITHOUT ROWID;
  `);
  // Files written before positions were kept: their rows are ordered by applied_after alone.
  const columns = db.prepare('PRAGMA table_info(journal)').all() as { name: string }[];
  if (!columns.some((column) => column.name === 'position')) db.exec('ALTER TABLE journal ADD COLUMN position INTEGER NOT NULL DEFAULT 0');
}

const selectEntry = preparedOnce('SELECT id, key, outcome, value, applied_after AS appliedAfter, position FROM journal WHERE consumer = ? AND id = ?');

/** The outcome journaled under `id`, if the child ever settled. */
export function readJournalEntry(db: SqliteDatabase, consumer: string, id: string): JournalEntry | undefined {
  return selectEntry(db).get(consumer, id) as JournalEntry | undefined;
}

// A child's outcome is written once; a second write under its id (a re-applied batch) keeps the first.

const selectCount = preparedOnce('SELECT COUNT(*) FROM journal WHERE consumer = ?', { pluck: true });

/** How many outcomes the consumer has journaled. */
export function countJournalEntries(db: SqliteDatabase, consumer: string): number {
  return selectCount(db).get(consumer) as number;
}
