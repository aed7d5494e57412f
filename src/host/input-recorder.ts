import type { InputDraft } from '../actor/input-records.ts';
import type { Clock } from '../clock.ts';
import { type AppendInput, prepareAppend } from '../envelope.ts';
import { StaleEpochError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess } from '../sss/log-access.ts';
import { inputTopicOf } from '../topic.ts';

export interface InputRecorderOptions {
  consumer: string;
  log: LogAccess;
  clock: Clock;
  logger: Logger;
  maxPayloadBytes: number;
  /** The lease the records are appended under, while the host holds one. */
  lease: () => Lease | undefined;
  /** The log refused the lease: another owner has the consumer now. */
  onFenced: (error: StaleEpochError) => void;
  /** Nothing is waiting to be appended any more, so waiters can look again. */
  onDrained: () => void;
  /** Records per append request. */
  batchSize?: number;
}

interface Waiting {
  input: AppendInput;
  valid: () => boolean;
}

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;

/**
 * Appends a consumer's input records (its timers' firings, its children's outcomes and events)
 * to the log under its lease, in the order they happened: those of one turn go in one append,
 * and an append that fails for any reason but a lost lease is tried again with a growing delay
 * (appending a record twice adds nothing: its id is deterministic). While the consumer catches
 * up with the log the records wait (`hold`): once it is caught up, those that still apply (a
 * timer not cancelled meanwhile, a child not stopped) are appended.
 */
export class InputRecorder {
  readonly #o: InputRecorderOptions;
  readonly #batchSize: number;
  #waiting: Waiting[] = [];
  #held = true;
  /** The seq the consumer catches up to before what waits is appended. */
  #until = 0;
  #running = false;
  #scheduled = false;
  #retryTimer: unknown;
  #retryDelay = FIRST_RETRY_MS;
  #stopped = false;

  constructor(options: InputRecorderOptions) {
    this.#o = options;
    this.#batchSize = options.batchSize ?? 500;
  }

  /**
   * Queues a record for `key`'s actor. Throws, and queues nothing, if it cannot be published
   * (not JSON, over the size limit).
   */
  record(key: string | undefined, draft: InputDraft, valid: () => boolean): void {
    const input: AppendInput = {
      topic: inputTopicOf(this.#o.consumer),
      event: draft.event,
      id: draft.id,
      causation: draft.causation,
      correlationId: draft.correlationId,
    };
    if (key !== undefined) input.key = key;
    prepareAppend(input, this.#o.maxPayloadBytes);
    if (this.#stopped) return;
    this.#waiting.push({ input, valid });
    this.#schedule();
  }

  /** The consumer catches up with the log to `seq`: records wait until it `reached` it. */
  holdUntil(seq: number): void {
    this.#held = true;
    this.#until = seq;
  }

  /**
   * The consumer has applied through `offset`. Once that reaches the seq it catches up to, what
   * waits and still applies is appended; true when this call let the records go.
   */
  reached(offset: number): boolean {
    if (!this.#held || offset < this.#until) return false;
    this.#held = false;
    this.#waiting = this.#waiting.filter((w) => w.valid());
    this.#schedule();
    return true;
  }

  get held(): boolean {
    return this.#held;
  }

  /** True when no record waits to be appended (held ones count: they are not in the log yet). */
  idle(): boolean {
    return this.#waiting.length === 0 && !this.#running;
  }

  stop(): void {
    this.#stopped = true;
    this.#waiting = [];
    this.#o.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** After the current turn: the records of one turn go in one append. */
  #schedule(): void {
    if (this.#held || this.#running || this.#scheduled || this.#retryTimer !== undefined || this.#waiting.length === 0) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    const { log, logger, consumer } = this.#o;
    this.#running = true;
    try {
      while (!this.#held && !this.#stopped && this.#waiting.length > 0) {
        const lease = this.#o.lease();
        if (!lease) break;
        const batch = this.#waiting.slice(0, this.#batchSize);
        await log.append(
          batch.map((w) => w.input),
          lease,
        );
        this.#waiting.splice(0, batch.length);
        this.#retryDelay = FIRST_RETRY_MS;
      }
    } catch (error) {
      if (this.#stopped) return;
      if (error instanceof StaleEpochError) {
        this.stop();
        this.#o.onFenced(error);
        return;
      }
      logger.warn(`consumer ${consumer} could not append its input records to the log; retrying in ${this.#retryDelay} ms`, { consumer, error });
      this.#retryTimer = this.#o.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        this.#schedule();
      }, this.#retryDelay);
      this.#retryDelay = Math.min(LAST_RETRY_MS, this.#retryDelay * 2);
      return;
    } finally {
      this.#running = false;
    }
    if (this.#waiting.length === 0) this.#o.onDrained();
    else this.#schedule();
  }
}
