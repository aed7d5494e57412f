import type { Clock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import type { Checkpoint, ConsumerRecord, DeadLetter, DeadLetterStatus, EmitSink, HostState, JournalEntry, StoredSnapshot } from './records.ts';
import { createConsumerStoreSchema } from './schema.ts';
import {
  insertConsumer,
  readConsumer,
  readPaused,
  storeConsumerLogic,
  storeHostState,
  storeOffset,
  storePaused,
  toConsumerRecord,
} from './tables/consumers.ts';
import { listDeadLetters, readDeadLetter, readDeadLetterFor, storeDeadLetter } from './tables/dead-letters.ts';
import { countJournalEntries, readJournalEntry } from './tables/journal.ts';
import { countSnapshots, deleteSnapshots, listKeysWithTimers, listOtherVersions, readSnapshot, storeSnapshot } from './tables/snapshots.ts';

export type {
  Checkpoint,
  ConsumerRecord,
  DeadLetter,
  DeadLetterStatus,
  EmitSink,
  HostState,
  JournalEntry,
  JournalOutcome,
  StoredSnapshot,
} from './records.ts';
export { type DeadLetterRow, toDeadLetter } from './tables/dead-letters.ts';

/**
 * The Consumer State Store. Offsets, snapshots, dead letters and emitted events of one
 * checkpoint are written in a single SQLite transaction, so after a crash a consumer's state
 * and its progress come back together.
 */
export class ConsumerStore {
  readonly #db: SqliteDatabase;
  readonly #sink: EmitSink;
  readonly #clock: Clock;
  readonly #reset: (consumer: string, offset: number, fence?: () => void) => void;

  constructor(db: SqliteDatabase, sink: EmitSink, clock: Clock) {
    this.#db = db;
    this.#sink = sink;
    this.#clock = clock;
    createConsumerStoreSchema(db);
    this.#reset = db.transaction((consumer: string, offset: number, fence?: () => void) => {
      fence?.();
      deleteSnapshots(db, consumer);
      storeOffset(db, consumer, offset, this.#clock.now());
    }).immediate;
  }

  /** The consumer's record, created at `startOffset` (0: the beginning of the log) on first use. */
  open(consumer: string, component: string, version: string, patterns: readonly string[], startOffset = 0): ConsumerRecord {
    const row = readConsumer(this.#db, consumer);
    if (row) return toConsumerRecord(row);
    const record: ConsumerRecord = { consumer, component, offset: startOffset, version, patterns: [...patterns] };
    insertConsumer(this.#db, record, this.#clock.now());
    return record;
  }

  /** Records the version and patterns the consumer now runs with (after any migration check). */
  adopt(consumer: string, version: string, patterns: readonly string[]): void {
    storeConsumerLogic(this.#db, consumer, version, patterns, this.#clock.now());
  }

  /** Logic versions of the consumer's stored snapshots other than `current`. */
  otherVersions(consumer: string, current: string): string[] {
    return listOtherVersions(this.#db, consumer, current);
  }

  loadSnapshot(consumer: string, key: string): StoredSnapshot | undefined {
    return readSnapshot(this.#db, consumer, key);
  }

  countSnapshots(consumer: string): number {
    return countSnapshots(this.#db, consumer);
  }

  /**
   * Writes a checkpoint atomically. `fence` runs first inside the transaction and throws to
   * refuse a write from an owner that lost its lease.
   */
  commit(consumer: string, checkpoint: Checkpoint, fence?: () => void): void {
    this.#sink.transaction(() => {
      fence?.();
      if (checkpoint.emitted.length > 0) this.#sink.appendWithinTransaction(checkpoint.emitted, consumer);
      for (const s of checkpoint.snapshots) storeSnapshot(this.#db, consumer, s);
      for (const d of checkpoint.deadLetters) storeDeadLetter(this.#db, consumer, d);
      storeOffset(this.#db, consumer, checkpoint.offset, this.#clock.now());
    });
  }

  /** The outcome an invoked child had under `id`, if it settled before (in this life or an earlier one). */
  journalEntry(consumer: string, id: string): JournalEntry | undefined {
    return readJournalEntry(this.#db, consumer, id);
  }

  countJournalEntries(consumer: string): number {
    return countJournalEntries(this.#db, consumer);
  }

  setHostState(consumer: string, state: HostState): void {
    storeHostState(this.#db, consumer, state, this.#clock.now());
  }

  /** Keys of the consumer's actors that have delayed events waiting. */
  keysWithTimers(consumer: string): string[] {
    return listKeysWithTimers(this.#db, consumer);
  }

  isPaused(consumer: string): boolean {
    return readPaused(this.#db, consumer);
  }

  setPaused(consumer: string, paused: boolean): void {
    storePaused(this.#db, consumer, paused, this.#clock.now());
  }

  /**
   * Forgets every actor of the consumer and moves its offset to `offset`, in one transaction,
   * so it rebuilds its state from the log after that point. The journal stays: the rebuilt
   * actors' children get their outcomes from it instead of running again.
   */
  reset(consumer: string, offset: number, fence?: () => void): void {
    this.#reset(consumer, offset, fence);
  }

  /** The consumer's dead letter for an event (or timer) id, if it has one. */
  deadLetterFor(consumer: string, eventId: string): DeadLetter | undefined {
    return readDeadLetterFor(this.#db, consumer, eventId);
  }

  deadLetter(id: number): DeadLetter | undefined {
    return readDeadLetter(this.#db, id);
  }

  /** Dead letters, oldest first; all of them, or one consumer's, or only those with `status`. */
  deadLetters(consumer?: string, status?: DeadLetterStatus): DeadLetter[] {
    return listDeadLetters(this.#db, { consumer, status });
  }
}
