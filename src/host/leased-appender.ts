import type { Clock } from '../clock.ts';
import type { AppendInput } from '../envelope.ts';
import { StaleEpochError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess } from '../sss/log-access.ts';

/** What a leased appender takes its inputs from, oldest first: a worker's outbox, or a host's input records in memory. */
export interface AppendQueue {
  /** Up to `limit` of the oldest inputs waiting. */
  peek(limit: number): AppendInput[];
  /** The log has the first `count` of them: forget them. */
  drop(count: number): void;
  readonly size: number;
}

export interface LeasedAppenderOptions {
  consumer: string;
  log: LogAccess;
  clock: Clock;
  logger: Logger;
  queue: AppendQueue;
  /** What it appends, as a failed append's warning says it: `its emitted events`, `its input records`. */
  what: string;
  /** The log refused the lease: another owner has the consumer now. */
  onFenced: (error: StaleEpochError) => void;
  /** The queue was emptied, so waiters can look again. */
  onDrained: () => void;
  /** Inputs per append request. */
  batchSize?: number;
}

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;

/**
 * Appends a consumer's queue to the log under its lease, in order, a batch at a time, until the
 * queue is empty: what is kicked in one turn goes in one append. An append that fails for any
 * reason but a lost lease is tried again with a growing delay (appending an input twice adds
 * nothing: its id is deterministic); a lost lease stops it for good.
 */
export class LeasedAppender {
  readonly #o: LeasedAppenderOptions;
  readonly #batchSize: number;
  #lease: Lease | undefined;
  #running = false;
  #scheduled = false;
  #retryTimer: unknown;
  #retryDelay = FIRST_RETRY_MS;
  #stopped = false;

  constructor(options: LeasedAppenderOptions) {
    this.#o = options;
    this.#batchSize = options.batchSize ?? 500;
  }

  /** Appends what waits under `lease`, after the current turn (or after the append under way). */
  kick(lease: Lease): void {
    if (this.#stopped) return;
    this.#lease = lease;
    // A kick is news (a checkpoint, a registration, a new input): try now rather than wait out a backoff.
    if (this.#retryTimer !== undefined) {
      this.#o.clock.clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  /** True when nothing waits to be appended. */
  idle(): boolean {
    return !this.#running && !this.#scheduled && this.#retryTimer === undefined && this.#o.queue.size === 0;
  }

  stop(): void {
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  async #drain(): Promise<void> {
    const { queue, consumer, log, logger } = this.#o;
    if (this.#running || this.#stopped) return;
    this.#running = true;
    try {
      for (;;) {
        const lease = this.#lease;
        const batch = queue.peek(this.#batchSize);
        if (!lease || batch.length === 0) break;
        await log.append(batch, lease);
        if (this.#stopped) return;
        queue.drop(batch.length);
        this.#retryDelay = FIRST_RETRY_MS;
      }
    } catch (error) {
      if (this.#stopped) return;
      if (error instanceof StaleEpochError) {
        this.#stopped = true;
        this.#o.onFenced(error);
        return;
      }
      logger.warn(`consumer ${consumer} could not append ${this.#o.what} to the log; retrying in ${this.#retryDelay} ms`, { consumer, error });
      this.#retryTimer = this.#o.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        void this.#drain();
      }, this.#retryDelay);
      this.#retryDelay = Math.min(LAST_RETRY_MS, this.#retryDelay * 2);
      return;
    } finally {
      this.#running = false;
    }
    if (queue.size === 0) this.#o.onDrained();
  }
}
