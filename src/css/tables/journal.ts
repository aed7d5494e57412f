import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from '../../sss/tables/prepared.ts';
import type { JournalEntry } from '../records.ts';

/**
 * The journal: invoked children's outcomes by deterministic id, clustered by (consumer, id)
 * without a rowid, since a child that starts looks its own id up. A replay keeps these rows:
 * they are history, and the replayed children find their outcomes in them.
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
      PRIMARY KEY (consumer, id)
    ) WITHOUT ROWID;
  `);
}

const selectEntry = preparedOnce('SELECT id, key, outcome, value, applied_after AS appliedAfter FROM journal WHERE consumer = ? AND id = ?');

/** The outcome journaled under `id`, if the child ever settled. */
export function readJournalEntry(db: SqliteDatabase, consumer: string, id: string): JournalEntry | undefined {
  return selectEntry(db).get(consumer, id) as JournalEntry | undefined;
}

// A child's outcome is written once; a second write under its id (a re-applied batch) keeps the first.
const insertEntry = preparedOnce('INSERT OR IGNORE INTO journal (consumer, id, key, outcome, value, applied_after) VALUES (?, ?, ?, ?, ?, ?)');

/** Journals one child's outcome. */
export function storeJournalEntry(db: SqliteDatabase, consumer: string, entry: JournalEntry): void {
  insertEntry(db).run(consumer, entry.id, entry.key, entry.outcome, entry.value, entry.appliedAfter);
}

const selectCount = preparedOnce('SELECT COUNT(*) FROM journal WHERE consumer = ?', { pluck: true });

/** How many outcomes the consumer has journaled. */
export function countJournalEntries(db: SqliteDatabase, consumer: string): number {
  return selectCount(db).get(consumer) as number;
}
