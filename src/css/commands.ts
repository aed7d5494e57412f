import { type Clock, systemClock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';

export { CONSUMER_COMMANDS, type CommandResult, type ConsumerCommand, type ConsumerCommandName } from './records.ts';

import type { CommandResult, ConsumerCommand, ConsumerCommandName } from './records.ts';
import { createConsumerStoreSchema } from './schema.ts';
import { completeCommand, insertCommand, listQueuedCommands, readCommand } from './tables/commands.ts';

/**
 * Operator commands for consumers, kept in the consumer's CSS. The CLI enqueues them from its
 * own process; the host that holds the consumer's lease runs them after it restores and on
 * every heartbeat, so a command reaches a running system within a third of the lease TTL,
 * and one queued while nothing runs is applied at the next start.
 *
 * @example
 * const queue = new CommandQueue(db);
 * const { id } = queue.enqueue('orders', 'retry', 3);
 * // ...later, once a host has run it:
 * queue.get(id); // { doneAt: 1718000000000, outcome: 'dead letter 3 is being retried; ...', ... }
 */
export class CommandQueue {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;

  constructor(db: SqliteDatabase, clock: Clock = systemClock) {
    this.#db = db;
    this.#clock = clock;
    // A database written before the queue existed gains its table here; the rest already exists.
    createConsumerStoreSchema(db);
  }

  /** Queues a command for `consumer`'s host and returns it as stored. */
  enqueue(consumer: string, command: ConsumerCommandName, arg?: string | number): ConsumerCommand {
    return insertCommand(this.#db, consumer, command, arg === undefined ? null : String(arg), this.#clock.now());
  }

  /** The consumer's commands not run yet, oldest first. */
  pending(consumer: string): ConsumerCommand[] {
    return listQueuedCommands(this.#db, consumer);
  }

  /** Records how a command ended. A command is completed once; later calls change nothing. */
  complete(id: number, result: CommandResult): void {
    const outcome = 'outcome' in result ? result.outcome : null;
    const error = 'error' in result ? result.error : null;
    completeCommand(this.#db, id, this.#clock.now(), outcome, error);
  }

  get(id: number): ConsumerCommand | undefined {
    return readCommand(this.#db, id);
  }
}
