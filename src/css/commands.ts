import { type Clock, systemClock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import { createConsumerStoreSchema } from './schema.ts';
import { completeCommand, insertCommand, listQueuedCommands, readCommand } from './tables/commands.ts';

/**
 * What an operator can ask of a consumer from outside the process that runs it:
 * - `pause`, `resume`: stop applying events after the current batch, and go on again.
 * - `retry`, `skip`: retry or skip a dead letter (`arg`: its id).
 * - `replay`: forget the consumer's actors and rebuild them from the log (`arg`: the seq to start from).
 */
export type ConsumerCommandName = 'pause' | 'resume' | 'retry' | 'skip' | 'replay';

export const CONSUMER_COMMANDS: readonly ConsumerCommandName[] = ['pause', 'resume', 'retry', 'skip', 'replay'];

/** One queued operator command and, once the consumer's host has run it, how that ended. */
export interface ConsumerCommand {
  id: number;
  consumer: string;
  command: ConsumerCommandName;
  /** The dead letter id for `retry` and `skip`, the seq to replay from for `replay`. */
  arg: string | undefined;
  requestedAt: number;
  /** When the host ran it; undefined while it is queued. */
  doneAt: number | undefined;
  /** What running it did, in words. */
  outcome: string | undefined;
  /** Why it was refused; a refused command changed nothing. */
  error: string | undefined;
}

/** How a command ended: what it did, or why it was refused. */
export type CommandResult = { outcome: string } | { error: string };

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
