import { setTimeout as delay } from 'node:timers/promises';
import { CommandQueue, type ConsumerCommand, type ConsumerCommandName } from '../css/commands.ts';
import { openDatabase, type SqliteDatabase } from '../db.ts';
import { CommandPendingError, CommandRefusedError, DatabaseError, InvalidCommandError, UnknownComponentError } from '../errors.ts';
import { type ConsumerName, type DeadLetterState, type LeaseState, StoreReader } from './store-reader.ts';

/** How often the CLI looks for a command's outcome. */
const POLL_MS = 100;

/**
 * What became of a queued command: run by the consumer's host, or still queued, either because
 * no system runs the consumer or because `--wait 0` asked not to wait for the one that does.
 */
export type Delivery = { kind: 'queued'; command: ConsumerCommand; runner?: LeaseState } | { kind: 'done'; command: ConsumerCommand };

/**
 * Controls the consumers of a database that another process may be running. Checks a command
 * against what the file holds on a read-only connection, then queues it in the CSS for the host
 * that runs the consumer; while a system holds the consumer's lease, waits for its outcome.
 * The file is opened for writing only to queue a command for a consumer it already holds, so
 * a file that is not a recq database is never given recq's tables.
 *
 * @example
 * const control = ConsumerControl.open('./recq.db', 30_000);
 * try {
 *   control.consumer('orders');
 *   const delivery = await control.send('orders', 'pause', undefined, 'pause consumer orders');
 * } finally {
 *   control.close();
 * }
 */
export class ConsumerControl {
  readonly reader: StoreReader;
  readonly waitMs: number;
  #writer: SqliteDatabase | undefined;
  #queue: CommandQueue | undefined;
  #deadline = 0;

  private constructor(reader: StoreReader, waitMs: number) {
    this.reader = reader;
    this.waitMs = waitMs;
  }

  /** Opens `file` for control; throws a `DatabaseError` naming the path if it is missing or not a recq database. */
  static open(file: string, waitMs: number): ConsumerControl {
    const reader = StoreReader.open(file);
    if (!reader.isRecqDatabase()) {
      reader.close();
      throw DatabaseError.notRecq(reader.file);
    }
    return new ConsumerControl(reader, waitMs);
  }

  /** The consumer named `name`; unknown names are refused with the list of consumers the file holds. */
  consumer(name: string): ConsumerName {
    const consumers = this.reader.consumers();
    const found = consumers.find((c) => c.consumer === name);
    if (!found)
      throw new UnknownComponentError(
        name,
        consumers.map((c) => c.consumer),
      );
    return found;
  }

  /** The dead letter `id`, if it exists and its status lets an operator retry or skip it. */
  letter(command: 'retry' | 'skip', id: number): DeadLetterState {
    const letter = this.reader.deadLetter(id);
    const action = `${command} dead letter ${id}`;
    if (!letter) throw new InvalidCommandError(action, `there is no dead letter ${id}. List them with "recq dlq list"`);
    if (letter.status !== 'parked' && letter.status !== 'blocking') {
      throw new InvalidCommandError(
        action,
        `it is ${letter.status} already; only parked or blocking letters can be ${command === 'retry' ? 'retried' : 'skipped'}`,
      );
    }
    return letter;
  }

  /**
   * Queues `command` for `consumer`. While a system holds the consumer's lease, resolves once
   * its host has run the command, and throws if the host refused it or did not get to it
   * within the wait; otherwise (or with a wait of 0) resolves at once with the command queued.
   */
  async send(consumer: string, command: ConsumerCommandName, arg: number | undefined, what: string): Promise<Delivery> {
    this.#deadline = Date.now() + this.waitMs;
    const runner = this.runner(consumer);
    const queued = this.#commands().enqueue(consumer, command, arg);
    if (!runner) return { kind: 'queued', command: queued };
    if (this.waitMs === 0) return { kind: 'queued', command: queued, runner };
    const done = await this.poll(() => {
      const current = this.#commands().get(queued.id);
      return current?.doneAt === undefined ? undefined : current;
    });
    if (!done) {
      throw new CommandPendingError(queued.id, consumer, runner, this.waitMs, what);
    }
    if (done.error !== undefined) throw new CommandRefusedError(consumer, what, done.error);
    return { kind: 'done', command: done };
  }

  /** The process that takes `consumer`'s commands now (its lease holder, or the host reading its queue in a worker's file), if any. */
  runner(consumer: string): LeaseState | undefined {
    return this.reader.runner(consumer, Date.now());
  }

  /** Reads every 100 ms until `read` returns a value, or until the wait that `send` started is over. */
  async poll<T>(read: () => T | undefined): Promise<T | undefined> {
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      const left = this.#deadline - Date.now();
      if (left <= 0) return undefined;
      await delay(Math.min(POLL_MS, left));
    }
  }

  close(): void {
    this.reader.close();
    this.#writer?.close();
  }

  #commands(): CommandQueue {
    if (this.#queue) return this.#queue;
    this.#writer = openDatabase(this.reader.file);
    this.#queue = new CommandQueue(this.#writer);
    return this.#queue;
  }
}
