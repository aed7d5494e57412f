import type { SqliteDatabase } from '../db.ts';

/**
 * The Consumer State Store tables. A consumer's row (offset, version) and its snapshots,
 * dead letters and (in the distributed deployment) outbox rows change in one transaction.
 * The singleton actor of a component is stored under key ''. `consumer_commands` queues
 * operator commands from other processes for the host that runs the consumer.
 */
export function createConsumerStoreSchema(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS consumers (
      consumer TEXT PRIMARY KEY,
      component TEXT NOT NULL,
      "offset" INTEGER NOT NULL DEFAULT 0,
      version TEXT NOT NULL,
      patterns TEXT NOT NULL,
      host_state TEXT NOT NULL DEFAULT 'stopped',
      paused INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS snapshots (
      consumer TEXT NOT NULL,
      key TEXT NOT NULL,
      version TEXT NOT NULL,
      seq INTEGER NOT NULL,
      snapshot TEXT NOT NULL,
      timers TEXT,
      PRIMARY KEY (consumer, key)
    ) WITHOUT ROWID;
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
    CREATE TABLE IF NOT EXISTS consumer_commands (
      id INTEGER PRIMARY KEY,
      consumer TEXT NOT NULL,
      command TEXT NOT NULL,
      arg TEXT,
      requested_at INTEGER NOT NULL,
      done_at INTEGER,
      outcome TEXT,
      error TEXT
    );
    CREATE INDEX IF NOT EXISTS consumer_commands_queued ON consumer_commands (consumer, id) WHERE done_at IS NULL;
  `);
}
