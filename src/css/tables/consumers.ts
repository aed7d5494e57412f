import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from '../../sss/tables/prepared.ts';
import type { ConsumerRecord, HostState } from '../records.ts';

/** A row of the `consumers` table: a consumer's offset, logic version and patterns, and what its host last recorded. */
export interface ConsumerRow {
  consumer: string;
  component: string;
  offset: number;
  version: string;
  /** JSON list of topic patterns. */
  patterns: string;
  host_state: string;
  updated_at: number;
}

/** One row per consumer; its offset changes in the same transaction as its snapshots. */
export function createConsumersTable(db: SqliteDatabase): void {
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
  `);
}

/** The durable position a row of the `consumers` table holds. */
export function toConsumerRecord(row: ConsumerRow): ConsumerRecord {
  return { consumer: row.consumer, component: row.component, offset: row.offset, version: row.version, patterns: JSON.parse(row.patterns) as string[] };
}

// `paused` has a statement of its own, `readPaused`.
const COLUMNS = 'consumer, component, "offset", version, patterns, host_state, updated_at';

const selectConsumer = preparedOnce(`SELECT ${COLUMNS} FROM consumers WHERE consumer = ?`);

/** The consumer's row, if it has one. */
export function readConsumer(db: SqliteDatabase, consumer: string): ConsumerRow | undefined {
  return selectConsumer(db).get(consumer) as ConsumerRow | undefined;
}

const selectConsumers = preparedOnce(`SELECT ${COLUMNS} FROM consumers ORDER BY consumer`);

/** Every consumer, by name. */
export function listConsumers(db: SqliteDatabase): ConsumerRow[] {
  return selectConsumers(db).all() as ConsumerRow[];
}

const insert = preparedOnce('INSERT INTO consumers (consumer, component, "offset", version, patterns, updated_at) VALUES (?, ?, ?, ?, ?, ?)');

/** Adds a consumer's row at `record.offset`, its host stopped and not paused. */
export function insertConsumer(db: SqliteDatabase, record: ConsumerRecord, now: number): void {
  insert(db).run(record.consumer, record.component, record.offset, record.version, JSON.stringify(record.patterns), now);
}

const updateLogic = preparedOnce('UPDATE consumers SET version = ?, patterns = ?, updated_at = ? WHERE consumer = ?');

/** Records the logic version and patterns the consumer runs with. */
export function storeConsumerLogic(db: SqliteDatabase, consumer: string, version: string, patterns: readonly string[], now: number): void {
  updateLogic(db).run(version, JSON.stringify(patterns), now, consumer);
}

const updateOffset = preparedOnce('UPDATE consumers SET "offset" = ?, updated_at = ? WHERE consumer = ?');

/** Moves the consumer's offset; a checkpoint does it in the transaction that stores its snapshots. */
export function storeOffset(db: SqliteDatabase, consumer: string, offset: number, now: number): void {
  updateOffset(db).run(offset, now, consumer);
}

const updateHostState = preparedOnce('UPDATE consumers SET host_state = ?, updated_at = ? WHERE consumer = ?');

/** Records the host's lifecycle state for status views in other processes. */
export function storeHostState(db: SqliteDatabase, consumer: string, state: HostState, now: number): void {
  updateHostState(db).run(state, now, consumer);
}

const selectPaused = preparedOnce('SELECT paused FROM consumers WHERE consumer = ?', { pluck: true });

/** Whether an operator paused the consumer; false for one without a row. */
export function readPaused(db: SqliteDatabase, consumer: string): boolean {
  return selectPaused(db).get(consumer) === 1;
}

const updatePaused = preparedOnce('UPDATE consumers SET paused = ?, updated_at = ? WHERE consumer = ?');

/** Records that an operator paused (or resumed) the consumer. */
export function storePaused(db: SqliteDatabase, consumer: string, paused: boolean, now: number): void {
  updatePaused(db).run(paused ? 1 : 0, now, consumer);
}
