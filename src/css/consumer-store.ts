import type { Statement } from 'better-sqlite3';
import type { Clock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import type { PreparedAppend } from '../envelope.ts';
import { createConsumerStoreSchema } from './schema.ts';

/**
 * Where a checkpoint's emitted events go, inside the checkpoint's own transaction: the log
 * itself in the embedded deployment, a local outbox in the distributed one.
 */
export interface EmitSink {
  transaction<T>(work: () => T): T;
  appendWithinTransaction(prepared: readonly PreparedAppend[]): unknown;
}

/** A consumer's durable position. */
export interface ConsumerRecord {
  consumer: string;
  component: string;
  offset: number;
  version: string;
  patterns: string[];
}

/** One actor's persisted snapshot, as JSON, with the logic version that wrote it. */
export interface StoredSnapshot {
  key: string;
  version: string;
  /** Seq of the last event the actor had processed when this snapshot was taken. */
  seq: number;
  snapshot: string;
}

/** An event that could not be processed, kept with its error. */
export interface DeadLetter {
  consumer: string;
  seq: number;
  eventId: string;
  key: string | undefined;
  error: string;
  stack: string | undefined;
  attempts: number;
  firstFailedAt: number;
  lastFailedAt: number;
  status: 'parked' | 'retried' | 'skipped';
}

/** Everything a consumer commits at once. */
export interface Checkpoint {
  offset: number;
  snapshots: readonly StoredSnapshot[];
  emitted: readonly PreparedAppend[];
  deadLetters: readonly DeadLetter[];
}

/** The coarse lifecycle state a host records for `recq status` in other processes. */
export type HostState = 'restoring' | 'catching-up' | 'live' | 'failed' | 'fenced' | 'stopped';

interface ConsumerRow {
  consumer: string;
  component: string;
  offset: number;
  version: string;
  patterns: string;
}

interface DeadLetterRow {
  consumer: string;
  seq: number;
  event_id: string;
  key: string | null;
  error: string;
  stack: string | null;
  attempts: number;
  first_failed_at: number;
  last_failed_at: number;
  status: DeadLetter['status'];
}

/**
 * The Consumer State Store. Offsets, snapshots, dead letters and emitted events of one
 * checkpoint are written in a single SQLite transaction, so after a crash a consumer's state
 * and its progress come back together.
 */
export class ConsumerStore {
  readonly #db: SqliteDatabase;
  readonly #sink: EmitSink;
  readonly #clock: Clock;
  readonly #getConsumer: Statement;
  readonly #insertConsumer: Statement;
  readonly #updateConsumer: Statement;
  readonly #setOffset: Statement;
  readonly #setHostState: Statement;
  readonly #getSnapshot: Statement;
  readonly #upsertSnapshot: Statement;
  readonly #insertDeadLetter: Statement;

  constructor(db: SqliteDatabase, sink: EmitSink, clock: Clock) {
    this.#db = db;
    this.#sink = sink;
    this.#clock = clock;
    createConsumerStoreSchema(db);
    this.#getConsumer = db.prepare('SELECT consumer, component, "offset", version, patterns FROM consumers WHERE consumer = ?');
    this.#insertConsumer = db.prepare('INSERT INTO consumers (consumer, component, "offset", version, patterns, updated_at) VALUES (?, ?, 0, ?, ?, ?)');
    this.#updateConsumer = db.prepare('UPDATE consumers SET version = ?, patterns = ?, updated_at = ? WHERE consumer = ?');
    this.#setOffset = db.prepare('UPDATE consumers SET "offset" = ?, updated_at = ? WHERE consumer = ?');
    this.#setHostState = db.prepare('UPDATE consumers SET host_state = ?, updated_at = ? WHERE consumer = ?');
    this.#getSnapshot = db.prepare('SELECT key, version, seq, snapshot FROM snapshots WHERE consumer = ? AND key = ?');
    this.#upsertSnapshot = db.prepare(
      'INSERT INTO snapshots (consumer, key, version, seq, snapshot) VALUES (?, ?, ?, ?, ?) ON CONFLICT (consumer, key) DO UPDATE SET version = excluded.version, seq = excluded.seq, snapshot = excluded.snapshot',
    );
    this.#insertDeadLetter = db.prepare(
      `INSERT INTO dead_letters (consumer, seq, event_id, key, error, stack, attempts, first_failed_at, last_failed_at, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (consumer, seq) DO UPDATE SET error = excluded.error, stack = excluded.stack, attempts = excluded.attempts,
         last_failed_at = excluded.last_failed_at, status = excluded.status`,
    );
  }

  /** The consumer's record, created at offset 0 on first use. */
  open(consumer: string, component: string, version: string, patterns: readonly string[]): ConsumerRecord {
    const now = this.#clock.now();
    const row = this.#getConsumer.get(consumer) as ConsumerRow | undefined;
    const patternsJson = JSON.stringify(patterns);
    if (!row) {
      this.#insertConsumer.run(consumer, component, version, patternsJson, now);
      return { consumer, component, offset: 0, version, patterns: [...patterns] };
    }
    return { consumer, component, offset: row.offset, version: row.version, patterns: JSON.parse(row.patterns) as string[] };
  }

  /** Records the version and patterns the consumer now runs with (after any migration check). */
  adopt(consumer: string, version: string, patterns: readonly string[]): void {
    this.#updateConsumer.run(version, JSON.stringify(patterns), this.#clock.now(), consumer);
  }

  /** Logic versions of the consumer's stored snapshots other than `current`. */
  otherVersions(consumer: string, current: string): string[] {
    return this.#db.prepare('SELECT DISTINCT version FROM snapshots WHERE consumer = ? AND version != ?').pluck().all(consumer, current) as string[];
  }

  loadSnapshot(consumer: string, key: string): StoredSnapshot | undefined {
    return this.#getSnapshot.get(consumer, key) as StoredSnapshot | undefined;
  }

  countSnapshots(consumer: string): number {
    return this.#db.prepare('SELECT COUNT(*) FROM snapshots WHERE consumer = ?').pluck().get(consumer) as number;
  }

  /**
   * Writes a checkpoint atomically. `fence` runs first inside the transaction and throws to
   * refuse a write from an owner that lost its lease.
   */
  commit(consumer: string, checkpoint: Checkpoint, fence?: () => void): void {
    this.#sink.transaction(() => {
      fence?.();
      if (checkpoint.emitted.length > 0) this.#sink.appendWithinTransaction(checkpoint.emitted);
      for (const s of checkpoint.snapshots) this.#upsertSnapshot.run(consumer, s.key, s.version, s.seq, s.snapshot);
      for (const d of checkpoint.deadLetters) {
        this.#insertDeadLetter.run(consumer, d.seq, d.eventId, d.key ?? null, d.error, d.stack ?? null, d.attempts, d.firstFailedAt, d.lastFailedAt, d.status);
      }
      this.#setOffset.run(checkpoint.offset, this.#clock.now(), consumer);
    });
  }

  setHostState(consumer: string, state: HostState): void {
    this.#setHostState.run(state, this.#clock.now(), consumer);
  }

  deadLetters(consumer?: string): DeadLetter[] {
    const rows = (
      consumer === undefined
        ? this.#db.prepare('SELECT * FROM dead_letters ORDER BY consumer, seq').all()
        : this.#db.prepare('SELECT * FROM dead_letters WHERE consumer = ? ORDER BY seq').all(consumer)
    ) as DeadLetterRow[];
    return rows.map((row) => ({
      consumer: row.consumer,
      seq: row.seq,
      eventId: row.event_id,
      key: row.key ?? undefined,
      error: row.error,
      stack: row.stack ?? undefined,
      attempts: row.attempts,
      firstFailedAt: row.first_failed_at,
      lastFailedAt: row.last_failed_at,
      status: row.status,
    }));
  }
}
