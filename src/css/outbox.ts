import type { SqliteDatabase } from '../db.ts';
import type { PreparedAppend } from '../envelope.ts';
import type { EmitSink, OutboxEntry } from './records.ts';

export type { OutboxEntry } from './records.ts';

import { countOutboxEntries, createOutboxTable, deleteOutboxEntries, insertOutboxEntry, listOutboxEntries } from './tables/outbox.ts';

/**
 * Where a worker's consumers put what they emit, in their checkpoint's own transaction (the
 * distributed deployment's CSS lives in the worker's file, away from the log). A relay then
 * appends the entries to the log in order and deletes them; their ids are deterministic, so an
 * entry appended twice (a crash between append and delete) is stored once.
 */
export class Outbox implements EmitSink {
  readonly #db: SqliteDatabase;
  readonly #transaction: (work: () => unknown) => unknown;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    createOutboxTable(db);
    // A checkpoint always writes (at least its offset): take the write lock at BEGIN.
    this.#transaction = db.transaction((work: () => unknown) => work()).immediate;
  }

  transaction<T>(work: () => T): T {
    return this.#transaction(work) as T;
  }

  appendWithinTransaction(prepared: readonly PreparedAppend[], consumer: string): void {
    for (const p of prepared) insertOutboxEntry(this.#db, consumer, p);
  }

  /** The oldest `limit` entries of a consumer, in order. */
  pending(consumer: string, limit: number): OutboxEntry[] {
    return listOutboxEntries(this.#db, consumer, limit);
  }

  /** Forgets a consumer's entries up to `position`, once the log has them. */
  remove(consumer: string, position: number): void {
    deleteOutboxEntries(this.#db, consumer, position);
  }

  size(consumer: string): number {
    return countOutboxEntries(this.#db, consumer);
  }
}
