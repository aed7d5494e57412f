import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db.ts';
import type { AppendInput, PreparedAppend, StoredEvent } from '../envelope.ts';
import type { EmitSink } from './consumer-store.ts';

/** An emitted event waiting in the outbox, with its place in the consumer's order. */
export interface OutboxEntry {
  position: number;
  input: AppendInput;
}

interface OutboxRow {
  position: number;
  id: string;
  topic: string;
  key: string | null;
  event: string;
  causation: string | null;
  correlation_id: string | null;
}

/**
 * Where a worker's consumers put what they emit, in their checkpoint's own transaction (the
 * distributed deployment's CSS lives in the worker's file, away from the log). A relay then
 * appends the entries to the log in order and deletes them; their ids are deterministic, so an
 * entry appended twice (a crash between append and delete) is stored once.
 */
export class Outbox implements EmitSink {
  readonly #db: SqliteDatabase;
  readonly #insert: Statement;
  readonly #pending: Statement;
  readonly #remove: Statement;
  readonly #count: Statement;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        position INTEGER PRIMARY KEY,
        consumer TEXT NOT NULL,
        id TEXT NOT NULL,
        topic TEXT NOT NULL,
        key TEXT,
        event TEXT NOT NULL,
        causation TEXT,
        correlation_id TEXT
      );
      CREATE INDEX IF NOT EXISTS outbox_by_consumer ON outbox (consumer, position);
    `);
    this.#insert = db.prepare('INSERT INTO outbox (consumer, id, topic, key, event, causation, correlation_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#pending = db.prepare('SELECT position, id, topic, key, event, causation, correlation_id FROM outbox WHERE consumer = ? ORDER BY position LIMIT ?');
    this.#remove = db.prepare('DELETE FROM outbox WHERE consumer = ? AND position <= ?');
    this.#count = db.prepare('SELECT COUNT(*) FROM outbox WHERE consumer = ?').pluck();
  }

  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  appendWithinTransaction(prepared: readonly PreparedAppend[], consumer: string): void {
    for (const p of prepared) this.#insert.run(consumer, p.id, p.topic, p.key, p.json, p.causation, p.correlationId);
  }

  /** The oldest `limit` entries of a consumer, in order. */
  pending(consumer: string, limit: number): OutboxEntry[] {
    return (this.#pending.all(consumer, limit) as OutboxRow[]).map((row) => {
      const input: AppendInput = { id: row.id, topic: row.topic, event: JSON.parse(row.event) as StoredEvent };
      if (row.key !== null) input.key = row.key;
      if (row.causation !== null) input.causation = row.causation;
      if (row.correlation_id !== null) input.correlationId = row.correlation_id;
      return { position: row.position, input };
    });
  }

  /** Forgets a consumer's entries up to `position`, once the log has them. */
  remove(consumer: string, position: number): void {
    this.#remove.run(consumer, position);
  }

  size(consumer: string): number {
    return this.#count.get(consumer) as number;
  }
}
