import { type Clock, systemClock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';

export { CONSUMER_COMMANDS, type CommandResult, type ConsumerCommand, type ConsumerCommandName } from './records.ts';

import type { CommandResult, ConsumerCommand, ConsumerCommandName } from './records.ts';
import { createConsumerStoreSchema } from './schema.ts';
import { type CommandListener, deleteCommandListener, readCommandListener, storeCommandListener } from './tables/command-listeners.ts';
import { completeCommand, insertCommand, listAllQueuedCommands, listQueuedCommands, readCommand, readQueuedSame } from './tables/commands.ts';

export type { CommandListener } from './tables/command-listeners.ts';

/** What a cancelled command records as its error: it never ran. */
export const CANCELLED = 'cancelled by an operator before it ran';

/** The process that reads a queue's commands, and how long each read promises it will look again. */
export interface QueueReader {
  owner: string;
  ttlMs: number;
}

/**
 * Operator commands for consumers, kept in the consumer's CSS. The CLI enqueues them from its
 * own process; the host that holds the consumer's lease runs them after it restores and on
 * every heartbeat, so a command reaches a running system within a third of the lease TTL,
 * and one queued while nothing runs is applied at the next start. An identical command
 * already queued is not queued again: it is one command, applied once.
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
  readonly #reader: QueueReader | undefined;

  constructor(db: SqliteDatabase, clock: Clock = systemClock, reader?: QueueReader) {
    this.#db = db;
    this.#clock = clock;
    this.#reader = reader;
    // A database written before the queue existed gains its table here; the rest already exists.
    createConsumerStoreSchema(db);
  }

  /**
   * The same queue, read by `reader`: each `pending` call records that it will look again
   * within `ttlMs`, so the CLI can tell a command will be taken (a worker's file has no leases).
   */
  readBy(reader: QueueReader): CommandQueue {
    return new CommandQueue(this.#db, this.#clock, reader);
  }

  /** Queues a command for `consumer`'s host and returns it as stored; an identical queued one is returned instead of a second. */
  enqueue(consumer: string, command: ConsumerCommandName, arg?: string | number): ConsumerCommand {
    const text = arg === undefined ? null : String(arg);
    return this.#db
      .transaction(() => readQueuedSame(this.#db, consumer, command, text) ?? insertCommand(this.#db, consumer, command, text, this.#clock.now()))
      .immediate();
  }

  /** The queued command that asks exactly this, if there is one. */
  queued(consumer: string, command: ConsumerCommandName, arg?: string | number): ConsumerCommand | undefined {
    return readQueuedSame(this.#db, consumer, command, arg === undefined ? null : String(arg));
  }

  /** The consumer's commands not run yet, oldest first. */
  pending(consumer: string): ConsumerCommand[] {
    if (this.#reader) storeCommandListener(this.#db, { consumer, owner: this.#reader.owner, expiresAt: this.#clock.now() + this.#reader.ttlMs });
    return listQueuedCommands(this.#db, consumer);
  }

  /** Every consumer's commands not run yet, oldest first. */
  allPending(): ConsumerCommand[] {
    return listAllQueuedCommands(this.#db);
  }

  /** Records how a command ended. A command is completed once; later calls change nothing and return false. */
  complete(id: number, result: CommandResult): boolean {
    const outcome = 'outcome' in result ? result.outcome : null;
    const error = 'error' in result ? result.error : null;
    return completeCommand(this.#db, id, this.#clock.now(), outcome, error);
  }

  /** Takes a queued command off the queue before it runs; false if it already ran (or was cancelled). */
  cancel(id: number): boolean {
    return this.complete(id, { error: CANCELLED });
  }

  get(id: number): ConsumerCommand | undefined {
    return readCommand(this.#db, id);
  }

  /** Who last promised to read `consumer`'s commands, and until when. */
  listener(consumer: string): CommandListener | undefined {
    return readCommandListener(this.#db, consumer);
  }

  /** This queue's reader no longer reads `consumer`'s commands (its host ended). */
  stopReading(consumer: string): void {
    if (this.#reader) deleteCommandListener(this.#db, consumer, this.#reader.owner);
  }
}
