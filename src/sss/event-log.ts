import type { Clock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import {
  type AppendInput,
  type AppendResult,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type Envelope,
  type EventObject,
  envelopeOfPrepared,
  type PreparedAppend,
  prepareAppend,
} from '../envelope.ts';
import { RecqError, StorageError } from '../errors.ts';
import { createEventsTable, insertEvent, insertEvents, readEvent, readEventRange, readHead, readSeqOfId, readStoredById } from './tables/events.ts';

export { type EventRow, toEnvelope } from './tables/events.ts';

/** Which events to read: those after `after`, up to `until`, matching any of `patterns`. */
export interface ReadQuery {
  /** Read events with seq greater than this (default 0). */
  after?: number;
  /** Read events with seq at most this (default: the head). */
  until?: number;
  /** NATS-style topic patterns; default: every topic. */
  patterns?: readonly string[];
  /** Most events to return (default 1000). */
  limit?: number;
}

export interface EventLogOptions {
  clock: Clock;
  maxPayloadBytes?: number;
  /** Runs first in every write transaction; throws to refuse the write (lease fencing). */
  fence?: () => void;
  /** Receives what an `onCommit` listener threw; the commit itself stands. Default: stderr. */
  onListenerError?: (error: unknown) => void;
}

type CommitListener = (envelopes: readonly Envelope[]) => void;

interface QueuedAppend {
  prepared: PreparedAppend[];
  /** Checked inside the commit's transaction first: a throw refuses this append alone. */
  fence: (() => void) | undefined;
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
}

const DEFAULT_READ_LIMIT = 1000;
/** Events per multi-row INSERT: 10 parameters each, far below SQLite's limit, and long enough to amortise a statement call. */
const INSERT_CHUNK = 64;

/**
 * The System State Store: one ordered, append-only log of events in SQLite.
 *
 * Appends that arrive together are committed in one transaction (group commit). Each commit
 * is announced to `onCommit` listeners in seq order, which is how the router learns of it.
 *
 * @example
 * const log = new EventLog(db, { clock: systemClock });
 * const { seq } = await log.append({ topic: 'orders.placed', event: { type: 'order.placed' }, key: 'o1' });
 * const page = log.read({ after: 0, patterns: ['orders.*'] });
 */
export class EventLog {
  readonly maxPayloadBytes: number;
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  readonly #fence: (() => void) | undefined;
  readonly #onListenerError: (error: unknown) => void;
  readonly #transaction: (work: () => unknown) => unknown;
  readonly #listeners: CommitListener[] = [];
  #head: number;
  #queue: QueuedAppend[] = [];
  #flushScheduled = false;
  #inTransaction = false;
  #committed: Envelope[] = [];
  #closed = false;

  constructor(db: SqliteDatabase, options: EventLogOptions) {
    this.#db = db;
    this.#clock = options.clock;
    this.#fence = options.fence;
    this.#onListenerError = options.onListenerError ?? ((error) => console.error('recq: a commit listener failed:', error));
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    createEventsTable(db);
    // Every transaction here writes: taking the write lock at BEGIN means a fence read inside it cannot go stale.
    this.#transaction = db.transaction((work: () => unknown) => {
      this.#fence?.();
      return work();
    }).immediate;
    this.#head = readHead(db);
  }

  /** The seq of the last committed event (0 when the log is empty). */
  head(): number {
    return this.#head;
  }

  /** Calls `listener` after every commit with the envelopes it added, in seq order. */
  onCommit(listener: CommitListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const at = this.#listeners.indexOf(listener);
      if (at >= 0) this.#listeners.splice(at, 1);
    };
  }

  /**
   * Appends one event. Validation errors are thrown before anything is queued; the promise
   * resolves once the event is committed (fsync'd in the default durability mode).
   */
  append<TEvent extends EventObject>(input: AppendInput<TEvent>): Promise<AppendResult> {
    return this.appendMany([input]).then((results) => results[0] as AppendResult);
  }

  /**
   * Appends several events atomically: all are validated first, and all commit together, in
   * the next group commit. `fence`, if given, runs inside that commit's transaction before they
   * are inserted (a lease check): if it throws, these events are refused with its error, and
   * the rest of the group commits.
   */
  appendMany<TEvent extends EventObject>(inputs: readonly AppendInput<TEvent>[], fence?: () => void): Promise<AppendResult[]> {
    if (this.#closed) return Promise.reject(new RecqError('LOG_CLOSED', 'The event log is closed; no more appends are accepted.'));
    let prepared: PreparedAppend[];
    try {
      prepared = inputs.map((input) => prepareAppend(input, this.maxPayloadBytes));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ prepared, fence, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued append now, in one transaction. */
  flush(): void {
    this.#flushScheduled = false;
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    let results: (AppendResult[] | { refused: unknown })[];
    try {
      results = this.transaction(() =>
        queue.map((item) => {
          try {
            item.fence?.();
          } catch (refused) {
            return { refused };
          }
          return this.appendWithinTransaction(item.prepared);
        }),
      );
    } catch (error) {
      const failure = error instanceof RecqError ? error : new StorageError('append events to the log', error);
      for (const item of queue) item.reject(failure);
      return;
    }
    for (let i = 0; i < queue.length; i++) {
      const item = queue[i] as QueuedAppend;
      const result = results[i] as AppendResult[] | { refused: unknown };
      if ('refused' in result) item.reject(result.refused);
      else item.resolve(result);
    }
  }

  /**
   * Runs `work` in one SQLite transaction. Events appended inside it with
   * `appendWithinTransaction` are announced to listeners only after the commit succeeds.
   */
  transaction<T>(work: () => T): T {
    if (this.#inTransaction) return work();
    const headBefore = this.#head;
    this.#inTransaction = true;
    let result: T;
    try {
      result = this.#transaction(work) as T;
    } catch (error) {
      this.#head = headBefore;
      this.#committed = [];
      throw error;
    } finally {
      this.#inTransaction = false;
    }
    const committed = this.#committed;
    if (committed.length > 0) {
      this.#committed = [];
      // The commit stands whatever a listener does: its failure must not reach the appender.
      for (const listener of this.#listeners) {
        try {
          listener(committed);
        } catch (error) {
          this.#onListenerError(error);
        }
      }
    }
    return result;
  }

  /**
   * Appends validated events inside the caller's `transaction`. Used by the embedded CSS so
   * that a consumer's emitted events and its checkpoint commit together.
   */
  appendWithinTransaction(prepared: readonly PreparedAppend[]): AppendResult[] {
    if (!this.#inTransaction) throw new Error('appendWithinTransaction must run inside EventLog.transaction');
    const time = this.#clock.now();
    const results: AppendResult[] = new Array(prepared.length);
    for (let from = 0; from < prepared.length; from += INSERT_CHUNK) {
      const count = Math.min(INSERT_CHUNK, prepared.length - from);
      // A chunk holding an id the log has (a retry, a replayed emit) goes row by row instead.
      if (count > 1 && insertEvents(this.#db, this.#head + 1, time, prepared, from, count)) {
        for (let i = from; i < from + count; i++) this.#appended(prepared[i] as PreparedAppend, ++this.#head, time, results, i);
        continue;
      }
      for (let i = from; i < from + count; i++) {
        const p = prepared[i] as PreparedAppend;
        const seq = this.#head + 1;
        if (insertEvent(this.#db, seq, time, p)) {
          this.#head = seq;
          this.#appended(p, seq, time, results, i);
          continue;
        }
        // A retry carries the same event; anything else reused the id for another one. The trace
        // context is not compared: a retry is traced anew, and the first stored copy's context stands.
        const stored = readStoredById(this.#db, p.id) as { seq: number; topic: string; key: string | null; event: string };
        const differs = stored.topic !== p.topic || stored.key !== p.key || stored.event !== p.json;
        results[i] = differs ? { seq: stored.seq, id: p.id, duplicate: true, differs: true } : { seq: stored.seq, id: p.id, duplicate: true };
      }
    }
    return results;
  }

  /** Records an event stored at `seq`: its result, and its envelope for the listeners once the transaction commits. */
  #appended(p: PreparedAppend, seq: number, time: number, results: AppendResult[], at: number): void {
    results[at] = { seq, id: p.id, duplicate: false };
    this.#committed.push(envelopeOfPrepared(p, seq, time));
  }

  /**
   * Reads committed events in seq order, filtered by topic patterns.
   *
   * @example
   * log.read({ after: 120, patterns: ['orders.>'], limit: 500 });
   */
  read(query: ReadQuery = {}): Envelope[] {
    const range = {
      after: query.after ?? 0,
      until: query.until ?? Number.MAX_SAFE_INTEGER,
      patterns: query.patterns ?? [],
      limit: query.limit ?? DEFAULT_READ_LIMIT,
    };
    return readEventRange(this.#db, range).envelopes;
  }

  /** The envelope at `seq`, if there is one. */
  get(seq: number): Envelope | undefined {
    return readEvent(this.#db, seq);
  }

  /** The seq of the event with this id, if the log holds it. */
  seqOf(id: string): number | undefined {
    return readSeqOfId(this.#db, id);
  }

  /** Refuses what is queued (with `reason`) and every later append, committing nothing more. */
  abandon(reason: Error): void {
    const queue = this.#queue;
    this.#queue = [];
    this.#closed = true;
    for (const item of queue) item.reject(reason);
  }

  /** Commits what is queued, then refuses further appends. */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
