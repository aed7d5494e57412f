import type { Clock } from '../../clock.ts';
import type { SqliteDatabase } from '../../db.ts';
import { type AppendInput, type AppendResult, type Envelope, type EventObject, type PreparedAppend, prepareAppend } from '../../envelope.ts';
import { NotLeadingError, RecqError } from '../../errors.ts';
import { EventLog, type ReadQuery } from '../event-log.ts';
import type { StreamIndex } from './stream-index.ts';
import type { StreamWriter } from './stream-writer.ts';

type CommitListener = (envelopes: readonly Envelope[]) => void;

const DEFAULT_READ_LIMIT = 1000;

/**
 * The log as the supervisor's service and API use it when it is a JetStream stream: the
 * `EventLog` calls, answered from the local index (reads, head, ids) and, for appends, by the
 * leader's `StreamWriter`. While this process does not lead, appends are refused with
 * `NotLeadingError` (retryable: the leader answers).
 *
 * It differs from the SQLite log in one way its callers allow for: an append completes when
 * JetStream acknowledges it, so `appendWithinTransaction` returns a promise of the results
 * (the service and the local access return it from async functions, which wait for it), and
 * `transaction` runs its work at once: a relay's lease check runs in the same tick as the
 * publish of its events.
 */
export class StreamLog extends EventLog {
  readonly #index: StreamIndex;
  readonly #listeners: CommitListener[] = [];
  readonly #onListenerError: (error: unknown) => void;
  #writer: StreamWriter | undefined;
  #refusal: () => NotLeadingError;
  #closed = false;

  constructor(db: SqliteDatabase, index: StreamIndex, options: { clock: Clock; maxPayloadBytes: number; onListenerError: (error: unknown) => void }) {
    super(db, options);
    this.#index = index;
    this.#onListenerError = options.onListenerError;
    this.#refusal = () => new NotLeadingError('append to the log', index.epoch, 'it stands by');
  }

  /** Starts appending through `writer` (this process won its epoch), or stops (undefined, with why). */
  lead(writer: StreamWriter | undefined, refusal?: () => NotLeadingError): void {
    this.#writer = writer;
    if (refusal) this.#refusal = refusal;
  }

  /** Hands a group of indexed events to the listeners (the router), in seq order. */
  announce(envelopes: readonly Envelope[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(envelopes);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  override head(): number {
    return this.#index.head;
  }

  override onCommit(listener: CommitListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const at = this.#listeners.indexOf(listener);
      if (at >= 0) this.#listeners.splice(at, 1);
    };
  }

  override appendMany<TEvent extends EventObject>(inputs: readonly AppendInput<TEvent>[], fence?: () => void): Promise<AppendResult[]> {
    let prepared: PreparedAppend[];
    try {
      prepared = inputs.map((input) => prepareAppend(input, this.maxPayloadBytes));
      fence?.();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#publish(prepared);
  }

  /** Publishes go out at once; nothing waits to be committed. */
  override flush(): void {}

  override transaction<T>(work: () => T): T {
    return work();
  }

  /** Resolves (it is a promise, typed as the SQLite log's results) once JetStream acknowledges the events. */
  override appendWithinTransaction(prepared: readonly PreparedAppend[]): AppendResult[] {
    return this.#publish(prepared) as unknown as AppendResult[];
  }

  override read(query: ReadQuery = {}): Envelope[] {
    return this.#index.read({
      after: query.after ?? 0,
      until: query.until ?? Number.MAX_SAFE_INTEGER,
      patterns: query.patterns ?? [],
      limit: query.limit ?? DEFAULT_READ_LIMIT,
    });
  }

  override get(seq: number): Envelope | undefined {
    return this.#index.get(seq);
  }

  override seqOf(id: string): number | undefined {
    return this.#index.seqOf(id);
  }

  override abandon(reason: Error): void {
    this.#closed = true;
    this.#writer?.stop(new NotLeadingError('append to the log', this.#index.epoch, reason.message, reason));
    this.#writer = undefined;
  }

  override close(): void {
    this.#closed = true;
  }

  #publish(prepared: readonly PreparedAppend[]): Promise<AppendResult[]> {
    if (this.#closed) return Promise.reject(new RecqError('LOG_CLOSED', 'The event log is closed; no more appends are accepted.'));
    const writer = this.#writer;
    if (!writer) return Promise.reject(this.#refusal());
    return writer.append(prepared);
  }
}
