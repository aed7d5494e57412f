import type { Clock } from '../clock.ts';
import type { Outbox } from '../css/outbox.ts';
import { StaleEpochError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess } from '../sss/log-access.ts';

export interface RelayOptions {
  consumer: string;
  outbox: Outbox;
  log: LogAccess;
  clock: Clock;
  logger: Logger;
  /** Entries per append request. */
  batchSize?: number;
  /** The supervisor refused the lease: another owner has the consumer now. */
  onFenced: (error: StaleEpochError) => void;
  /** Called when the outbox has been emptied, so waiters can look again. */
  onDrained: () => void;
}

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;

/**
 * Moves one consumer's outbox into the log, in order: appends a batch under the consumer's
 * lease, deletes it once the log has it, and goes on until the outbox is empty. An append
 * that fails for any reason but a lost lease is tried again with a growing delay; appending
 * an entry twice is harmless, since its id is deterministic.
 */
export class Relay {
  readonly #o: RelayOptions;
  readonly #batchSize: number;
  #lease: Lease | undefined;
  #running = false;
  #again = false;
  #retryTimer: unknown;
  #retryDelay = FIRST_RETRY_MS;
  #stopped = false;

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#batchSize = options.batchSize ?? 500;
  }

  /** Starts (or continues) draining under `lease`, e.g. after each checkpoint. */
  kick(lease: Lease): void {
    if (this.#stopped) return;
    this.#lease = lease;
    if (this.#running) {
      this.#again = true;
      return;
    }
    // A kick is news (a checkpoint, a new registration): try now rather than wait out a backoff.
    if (this.#retryTimer !== undefined) {
      this.#o.clock.clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    void this.#drain();
  }

  /** True when nothing is waiting to be appended. */
  idle(): boolean {
    return !this.#running && this.#retryTimer === undefined && this.#o.outbox.size(this.#o.consumer) === 0;
  }

  stop(): void {
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  async #drain(): Promise<void> {
    const { outbox, consumer, log, logger } = this.#o;
    this.#running = true;
    try {
      for (;;) {
        this.#again = false;
        const lease = this.#lease;
        const batch = outbox.pending(consumer, this.#batchSize);
        if (!lease || batch.length === 0) break;
        await log.append(
          batch.map((entry) => entry.input),
          lease,
        );
        if (this.#stopped) return;
        outbox.remove(consumer, (batch[batch.length - 1] as { position: number }).position);
        this.#retryDelay = FIRST_RETRY_MS;
      }
    } catch (error) {
      this.#running = false;
      if (this.#stopped) return;
      if (error instanceof StaleEpochError) {
        this.#stopped = true;
        this.#o.onFenced(error);
        return;
      }
      logger.warn(`consumer ${consumer} could not relay its emitted events to the log; retrying in ${this.#retryDelay} ms`, { consumer, error });
      this.#retryTimer = this.#o.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        void this.#drain();
      }, this.#retryDelay);
      this.#retryDelay = Math.min(LAST_RETRY_MS, this.#retryDelay * 2);
      return;
    }
    this.#running = false;
    if (this.#again && !this.#stopped) {
      void this.#drain();
      return;
    }
    this.#o.onDrained();
  }
}
