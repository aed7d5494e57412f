import type { Clock } from '../clock.ts';
import type { Outbox, OutboxEntry } from '../css/outbox.ts';
import type { StaleEpochError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess } from '../sss/log-access.ts';
import { type AppendQueue, LeasedAppender } from './leased-appender.ts';

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

/** A relay: what moves a consumer's emitted events from its outbox to the log. */
export type Relay = LeasedAppender;

/**
 * Moves one consumer's outbox into the log, in order: appends a batch under the consumer's
 * lease (`kick` after each checkpoint and registration), deletes it once the log has it, and
 * goes on until the outbox is empty; an entry appended twice (a crash between append and
 * delete) is stored once, its id being deterministic.
 *
 * @example
 * const relay = createRelay({ consumer: 'orders', outbox, log, clock, logger, onFenced, onDrained });
 * relay.kick(lease);
 */
export function createRelay(options: RelayOptions): Relay {
  const { outbox, consumer } = options;
  let peeked: OutboxEntry[] = [];
  const queue: AppendQueue = {
    peek(limit) {
      peeked = outbox.pending(consumer, limit);
      return peeked.map((entry) => entry.input);
    },
    drop(count) {
      const last = peeked[count - 1];
      if (last) outbox.remove(consumer, last.position);
    },
    get size() {
      return outbox.size(consumer);
    },
  };
  return new LeasedAppender({ ...options, queue, what: 'its emitted events' });
}
