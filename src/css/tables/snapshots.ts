import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from '../../sss/tables/prepared.ts';
import type { StoredSnapshot } from '../records.ts';

/** A row of the `snapshots` table: one actor's snapshot, keyed by consumer and actor key ('' for a singleton). */
export interface SnapshotRow extends StoredSnapshot {
  consumer: string;
}

/** Snapshots, clustered by (consumer, key) without a rowid: a restore reads one actor's row by its key. */
export function createSnapshotsTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS snapshots (
      consumer TEXT NOT NULL,
      key TEXT NOT NULL,
      version TEXT NOT NULL,
      seq INTEGER NOT NULL,
      snapshot TEXT NOT NULL,
      timers TEXT,
      PRIMARY KEY (consumer, key)
    ) WITHOUT ROWID;
  `);
}

const selectSnapshot = preparedOnce('SELECT key, version, seq, snapshot, timers FROM snapshots WHERE consumer = ? AND key = ?');

/** The actor's stored snapshot; the selected columns are the `StoredSnapshot` itself. */
export function readSnapshot(db: SqliteDatabase, consumer: string, key: string): StoredSnapshot | undefined {
  return selectSnapshot(db).get(consumer, key) as StoredSnapshot | undefined;
}

const upsertSnapshot = preparedOnce(
  `INSERT INTO snapshots (consumer, key, version, seq, snapshot, timers) VALUES (?, ?, ?, ?, ?, ?)
   ON CONFLICT (consumer, key) DO UPDATE SET version = excluded.version, seq = excluded.seq, snapshot = excluded.snapshot, timers = excluded.timers`,
);

/** Stores the actor's snapshot in place of the one it had. */
export function storeSnapshot(db: SqliteDatabase, consumer: string, snapshot: StoredSnapshot): void {
  upsertSnapshot(db).run(consumer, snapshot.key, snapshot.version, snapshot.seq, snapshot.snapshot, snapshot.timers);
}

const selectOtherVersions = preparedOnce('SELECT DISTINCT version FROM snapshots WHERE consumer = ? AND version != ?', { pluck: true });

/** Logic versions of the consumer's snapshots other than `current`. */
export function listOtherVersions(db: SqliteDatabase, consumer: string, current: string): string[] {
  return selectOtherVersions(db).all(consumer, current) as string[];
}

const selectCount = preparedOnce('SELECT COUNT(*) FROM snapshots WHERE consumer = ?', { pluck: true });

/** How many actors the consumer has stored. */
export function countSnapshots(db: SqliteDatabase, consumer: string): number {
  return selectCount(db).get(consumer) as number;
}

const selectCountsByConsumer = preparedOnce('SELECT consumer, COUNT(*) AS n FROM snapshots GROUP BY consumer');

/** How many actors each consumer has stored. */
export function countSnapshotsByConsumer(db: SqliteDatabase): Map<string, number> {
  const rows = selectCountsByConsumer(db).all() as { consumer: string; n: number }[];
  return new Map(rows.map((row) => [row.consumer, row.n]));
}

const selectKeysWithTimers = preparedOnce('SELECT key FROM snapshots WHERE consumer = ? AND timers IS NOT NULL', { pluck: true });

/** Keys of the consumer's actors that have delayed events waiting. */
export function listKeysWithTimers(db: SqliteDatabase, consumer: string): string[] {
  return selectKeysWithTimers(db).all(consumer) as string[];
}

const deleteAll = preparedOnce('DELETE FROM snapshots WHERE consumer = ?');

/** Forgets every actor of the consumer. */
export function deleteSnapshots(db: SqliteDatabase, consumer: string): void {
  deleteAll(db).run(consumer);
}

// Each row keeps its actor's pending delayed events as a JSON array.
const selectTimerCounts = preparedOnce('SELECT consumer, SUM(json_array_length(timers)) AS n FROM snapshots WHERE timers IS NOT NULL GROUP BY consumer');

/** Delayed events waiting per consumer, as of each one's last checkpoint (read-only; one statement). */
export function countStoredTimers(db: SqliteDatabase): Map<string, number> {
  const rows = selectTimerCounts(db).all() as { consumer: string; n: number }[];
  return new Map(rows.map((row) => [row.consumer, row.n]));
}
