import { setTimeout as delay } from 'node:timers/promises';
import { CommandQueue, type ConsumerCommand, type ConsumerCommandName } from '../css/commands.ts';
import { openDatabase, type SqliteDatabase } from '../db.ts';
import { InvalidCommandError, RecqError, UnknownComponentError } from '../errors.ts';
import { DB_OPTION, DEFAULT_DB, parseCount, UsageError } from './command.ts';
import { isoTime } from './format.ts';
import { type ConsumerName, type DeadLetterState, type LeaseState, StoreReader } from './inspect.ts';

/** How often the CLI looks for a command's outcome. */
const POLL_MS = 100;

/** How long a control command waits for a running system, unless `--wait` says otherwise. */
export const DEFAULT_WAIT_MS = 30_000;

/** The flags every control command shares. */
export const CONTROL_OPTIONS = { ...DB_OPTION, wait: { type: 'string' } } as const;

/** Help lines for `CONTROL_OPTIONS`. */
export const CONTROL_OPTIONS_HELP = `  --db FILE   database file (default ${DEFAULT_DB})
  --wait MS   how long to wait for a running system to apply the command (default ${DEFAULT_WAIT_MS};
              0 queues it without waiting)
  -h, --help  show this help`;

/** How every control command reaches a consumer, for their help texts. */
export const DELIVERY_HELP = `A system running the consumer applies the command within one heartbeat (a third of its
lease TTL: 5 s by default); recq waits for the outcome and prints it. With no system running
the consumer, the command is queued and applied when a system next starts on the file.`;

/**
 * What became of a queued command: run by the consumer's host, or still queued, either because
 * no system runs the consumer or because `--wait 0` asked not to wait for the one that does.
 */
export type Delivery = { kind: 'queued'; command: ConsumerCommand; runner?: LeaseState } | { kind: 'done'; command: ConsumerCommand };

/** The `<id>` of a dead letter: exactly one positional, a whole number ≥ 1. */
export function parseLetterId(command: string, positionals: readonly string[]): number {
  const [id, extra] = positionals;
  if (id === undefined) throw new UsageError('missing <id>: the dead letter, as "recq dlq list" shows it', command);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, command);
  if (!/^\d+$/.test(id) || !Number.isSafeInteger(Number(id)) || Number(id) < 1) {
    throw new UsageError(`<id> must be a dead letter id (a whole number ≥ 1), got ${JSON.stringify(id)}`, command);
  }
  return Number(id);
}

/** The `<component>` a consumer command names: exactly one positional. */
export function parseComponent(command: string, positionals: readonly string[]): string {
  const [component, extra] = positionals;
  if (component === undefined) throw new UsageError('missing <component>: the consumer, as "recq status" lists it', command);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, command);
  return component;
}

export function parseWait(command: string, value: string | undefined): number {
  return parseCount(command, '--wait', value) ?? DEFAULT_WAIT_MS;
}

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

  /** Opens `file` for control; throws a `RecqError` naming the path if it is missing or not a recq database. */
  static open(file: string, waitMs: number): ConsumerControl {
    const reader = StoreReader.open(file);
    if (!reader.isRecqDatabase()) {
      reader.close();
      throw new RecqError(
        'NOT_A_RECQ_DATABASE',
        `${reader.file} is not a recq database: it holds tables but neither a recq event log nor a worker's consumer store. Check --db.`,
      );
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
      throw new RecqError(
        'COMMAND_PENDING',
        `command ${queued.id} (${what}) is still queued after ${this.waitMs} ms: ${runner.owner} runs consumer ${consumer} (its lease lasts until ${isoTime(runner.expiresAt)}) but has not applied it. It stays queued and is applied when the consumer's host next looks; check again with "recq status".`,
      );
    }
    if (done.error !== undefined) throw new RecqError('COMMAND_REFUSED', `the system running consumer ${consumer} refused to ${what}: ${done.error}`);
    return { kind: 'done', command: done };
  }

  /** The unexpired lease on `consumer`, held by the system that runs it now, if any. */
  runner(consumer: string): LeaseState | undefined {
    return this.reader.leases(Date.now()).find((lease) => lease.resource === `consumer:${consumer}` && !lease.expired);
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

/** What `recq` prints for a command no running system has taken yet. */
export function queuedMessage(delivery: Delivery & { kind: 'queued' }, what: string, db: string): string {
  const { command, runner } = delivery;
  if (runner) return `Queued command ${command.id}: ${what}. ${runner.owner} runs consumer ${command.consumer} and applies it within one heartbeat.\n`;
  return `Queued command ${command.id}: ${what}. No system is running consumer ${command.consumer} now; the command is applied when a system next starts on ${db}.\n`;
}
