import type { Statement } from 'better-sqlite3';
import type { HostPhase } from '../../actors/host.machine.ts';
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
  appendWithinTransaction(prepared: readonly PreparedAppend[], consumer: string): unknown;
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
  /** The actor's pending delayed events (JSON list of `StoredTimer`), or null. */
  timers: string | null;
}

/**
 * - `parked`: failed for good; the consumer went on without it.
 * - `blocking`: failed for good under the `block` policy; the consumer waits for an operator.
 * - `retried`: an operator retried it and it was applied.
 * - `skipped`: an operator skipped it.
 */
export type DeadLetterStatus = 'parked' | 'blocking' | 'retried' | 'skipped';

/** An event (or fired timer) that could not be applied, kept with its error. */
export interface DeadLetter {
  /** Assigned when first committed; what operators name it by. */
  id?: number;
  consumer: string;
  seq: number;
  /** The envelope id, or `timer/<seq>/<timer id>` for a fired timer. */
  eventId: string;
  key: string | undefined;
  topic: string;
  /** The event as JSON. */
  event: string;
  error: string;
  stack: string | undefined;
  attempts: number;
  firstFailedAt: number;
  lastFailedAt: number;
  status: DeadLetterStatus;
}

/** Everything a consumer commits at once. */
export interface Checkpoint {
  offset: number;
  snapshots: readonly StoredSnapshot[];
  emitted: readonly PreparedAppend[];
  deadLetters: readonly DeadLetter[];
}

/** The coarse lifecycle state a host records for `recq status` in other processes. */
export type HostState = HostPhase;

interface ConsumerRow {
  consumer: string;
  component: string;
  offset: number;
  version: string;
  patterns: string;
}

/** A row of the `dead_letters` table. */
export interface DeadLetterRow {
  id: number;
  consumer: string;
  seq: number;
  event_id: string;
  key: string | null;
  topic: string;
  event: string;
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
    this.#insertConsumer = db.prepare('INSERT INTO consumers (consumer, component, "offset", version, patterns, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#updateConsumer = db.prepare('UPDATE consumers SET version = ?, patterns = ?, updated_at = ? WHERE consumer = ?');
    this.#setOffset = db.prepare('UPDATE consumers SET "offset" = ?, updated_at = ? WHERE consumer = ?');
    this.#setHostState = db.prepare('UPDATE consumers SET host_state = ?, updated_at = ? WHERE consumer = ?');
    this.#getSnapshot = db.prepare('SELECT key, version, seq, snapshot, timers FROM snapshots WHERE consumer = ? AND key = ?');
    this.#upsertSnapshot = db.prepare(
      `INSERT INTO snapshots (consumer, key, version, seq, snapshot, timers) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (consumer, key) DO UPDATE SET version = excluded.version, seq = excluded.seq, snapshot = excluded.snapshot, timers = excluded.timers`,
    );
    this.#insertDeadLetter = db.prepare(
      `INSERT INTO dead_letters (consumer, seq, event_id, key, topic, event, error, stack, attempts, first_failed_at, last_failed_at, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (consumer, event_id) DO UPDATE SET error = excluded.error, stack = excluded.stack, attempts = excluded.attempts,
         last_failed_at = excluded.last_failed_at, status = excluded.status`,
    );
  }

  /** The consumer's record, created at `startOffset` (0: the beginning of the log) on first use. */
  open(consumer: string, component: string, version: string, patterns: readonly string[], startOffset = 0): ConsumerRecord {
    const now = this.#clock.now();
    const row = this.#getConsumer.get(consumer) as ConsumerRow | undefined;
    const patternsJson = JSON.stringify(patterns);
    if (!row) {
      this.#insertConsumer.run(consumer, component, startOffset, version, patternsJson, now);
      return { consumer, component, offset: startOffset, version, patterns: [...patterns] };
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
      if (checkpoint.emitted.length > 0) this.#sink.appendWithinTransaction(checkpoint.emitted, consumer);
      for (const s of checkpoint.snapshots) this.#upsertSnapshot.run(consumer, s.key, s.version, s.seq, s.snapshot, s.timers);
      for (const d of checkpoint.deadLetters) {
        this.#insertDeadLetter.run(
          consumer,
          d.seq,
          d.eventId,
          d.key ?? null,
          d.topic,
          d.event,
          d.error,
          d.stack ?? null,
          d.attempts,
          d.firstFailedAt,
          d.lastFailedAt,
          d.status,
        );
      }
      this.#setOffset.run(checkpoint.offset, this.#clock.now(), consumer);
    });
  }

  setHostState(consumer: string, state: HostState): void {
    this.#setHostState.run(state, this.#clock.now(), consumer);
  }

  /** Keys of the consumer's actors that have delayed events waiting. */
  keysWithTimers(consumer: string): string[] {
    return this.#db.prepare('SELECT key FROM snapshots WHERE consumer = ? AND timers IS NOT NULL').pluck().all(consumer) as string[];
  }

  isPaused(consumer: string): boolean {
    return this.#db.prepare('SELECT paused FROM consumers WHERE consumer = ?').pluck().get(consumer) === 1;
  }

  setPaused(consumer: string, paused: boolean): void {
    this.#db.prepare('UPDATE consumers SET paused = ?, updated_at = ? WHERE consumer = ?').run(paused ? 1 : 0, this.#clock.now(), consumer);
  }

  /**
   * Forgets every actor of the consumer and moves its offset to `offset`, in one transaction,
   * so it rebuilds its state from the log after that point.
   */
  reset(consumer: string, offset: number, fence?: () => void): void {
    this.#db.transaction(() => {
      fence?.();
      this.#db.prepare('DELETE FROM snapshots WHERE consumer = ?').run(consumer);
      this.#setOffset.run(offset, this.#clock.now(), consumer);
    })();
  }

  /** The consumer's dead letter for an event (or timer) id, if it has one. */
  deadLetterFor(consumer: string, eventId: string): DeadLetter | undefined {
    const row = this.#db.prepare('SELECT * FROM dead_letters WHERE consumer = ? AND event_id = ?').get(consumer, eventId) as DeadLetterRow | undefined;
    return row && toDeadLetter(row);
  }

  deadLetter(id: number): DeadLetter | undefined {
    const row = this.#db.prepare('SELECT * FROM dead_letters WHERE id = ?').get(id) as DeadLetterRow | undefined;
    return row && toDeadLetter(row);
  }

  /** Dead letters, oldest first; all of them, or one consumer's, or only those with `status`. */
  deadLetters(consumer?: string, status?: DeadLetterStatus): DeadLetter[] {
    const where = [consumer === undefined ? '' : 'consumer = @consumer', status === undefined ? '' : 'status = @status'].filter(Boolean);
    const sql = `SELECT * FROM dead_letters${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY consumer, seq, id`;
    const params: Record<string, string> = {};
    if (consumer !== undefined) params.consumer = consumer;
    if (status !== undefined) params.status = status;
    return (this.#db.prepare(sql).all(params) as DeadLetterRow[]).map(toDeadLetter);
  }
}

/** The dead letter a row of the `dead_letters` table holds. */
export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    consumer: row.consumer,
    seq: row.seq,
    eventId: row.event_id,
    key: row.key ?? undefined,
    topic: row.topic,
    event: row.event,
    error: row.error,
    stack: row.stack ?? undefined,
    attempts: row.attempts,
    firstFailedAt: row.first_failed_at,
    lastFailedAt: row.last_failed_at,
    status: row.status,
  };
}
