import type { SqliteDatabase } from '../db.ts';

/** The log's table. `seq` is assigned by the log (head + 1), so it stays gap-free. */
export function createEventLogSchema(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      topic TEXT NOT NULL,
      key TEXT,
      time INTEGER NOT NULL,
      event TEXT NOT NULL,
      causation TEXT,
      correlation_id TEXT
    );
  `);
}
