import type { ConsumerCommandName } from '../css/commands.ts';
import { ConsumerRunningError } from '../errors.ts';
import { ConsumerControl, type Delivery } from '../operator/consumer-control.ts';
import { commandOverNats } from '../operator/nats-control.ts';
import { connectTo, type NatsTarget } from '../operator/nats-target.ts';
import type { DeadLetterState } from '../operator/store-reader.ts';
import { type Command, defineCommand, type ParsedCommand, parseCount, parseOnePositional, UsageError } from './command.ts';
import { CONTROL_FLAGS, DEFAULT_DB, DEFAULT_WAIT_MS, FLAGS, type Flag, type Flags, NATS_AUTH_FLAGS } from './flags.ts';
import { parseNatsInsteadOfDb } from './nats-target.ts';
import { waitingLine } from './progress.ts';

/** How every control command reaches a consumer, for their help texts. */
export const DELIVERY_HELP = `A system running the consumer applies the command within one heartbeat (a third of its
lease TTL: 5 s by default); recq waits for the outcome and prints it. With no system running
the consumer, the command is queued and applied when a system next starts on the file.`;

/** A command to queue for one consumer, and what to print once its host has applied it. */
export interface ControlRequest {
  consumer: string;
  command: ConsumerCommandName;
  arg?: number;
  /** The command in words, for messages: "pause consumer orders". */
  what: string;
  applied(delivery: Delivery & { kind: 'done' }): string | Promise<string>;
  /**
   * Done in the file itself while no process runs the consumer, instead of queued: `run` does it
   * and says what it did. `always` (`--offline`) does it that way or not at all.
   */
  offline?: { always: boolean; run(): string };
}

/** Checks a request against the open database; undefined means the operator called it off (exit 1). */
type Prepare = (control: ConsumerControl) => ControlRequest | undefined | Promise<ControlRequest | undefined>;

/** What a control command is: `plan` reads its command line before the file is opened. */
export interface ControlCommandSpec<T extends Flags> {
  name: string;
  summary: string;
  about: string;
  /** Flags of its own, listed before `--db` and `--wait`. */
  flags?: T;
  plan(parsed: ParsedCommand<T & typeof CONTROL_FLAGS>): Prepare;
  /** The command as sent over NATS (`--nats`) to the worker that holds the consumer's lease. */
  overNats(parsed: ParsedCommand<T & typeof CONTROL_FLAGS>): NatsRequest;
}

/** A control command for the worker that runs `consumer`, over NATS. */
export interface NatsRequest {
  consumer: string;
  command: ConsumerCommandName;
  arg?: number;
  what: string;
}

/** `--component C` for the commands that name a dead letter: over NATS, ids are per worker file, so the consumer is named. */
const COMPONENT_FLAG = {
  type: 'string',
  usage: '--component C',
  help: "with --nats: the letter's component (dead letter ids are per worker file)",
} as const satisfies Flag;

/**
 * A command that queues a consumer command in the database and waits for its outcome: opens
 * the file for control, queues what `plan` asks for, and prints either that it is queued (no
 * system runs the consumer, or `--wait 0`) or what the request's `applied` says.
 *
 * @example
 * export const pauseCommand = defineControlCommand({
 *   name: 'pause', summary: 'stop a consumer', about: 'Usage: recq pause <component>\n',
 *   plan: ({ positionals }) => (control) => {
 *     const { consumer } = control.consumer(parseComponent('pause', positionals));
 *     return { consumer, command: 'pause', what: `pause consumer ${consumer}`, applied: ({ command }) => `${command.outcome}.\n` };
 *   },
 * });
 */
export function defineControlCommand<const T extends Flags = Record<never, never>>(spec: ControlCommandSpec<T>): Command {
  return defineCommand({
    name: spec.name,
    summary: spec.summary,
    about: spec.about,
    flags: { ...(spec.flags as T), ...CONTROL_FLAGS, nats: NATS_FLAG, namespace: NAMESPACE_FLAG, ...NATS_AUTH_FLAGS },
    positionals: true,
    async run(parsed) {
      const values = parsed.values as { db?: string; nats?: string; namespace?: string };
      const nats = parseNatsInsteadOfDb(spec.name, values);
      if (nats) return runOverNats(nats, spec.overNats(parsed as ParsedCommand<T & typeof CONTROL_FLAGS>));
      const prepare = spec.plan(parsed as ParsedCommand<T & typeof CONTROL_FLAGS>);
      const { db, wait } = parsed.values as { db?: string; wait?: string };
      if ((parsed.values as { wait?: string }).wait !== undefined && nats)
        throw new UsageError('--wait is for --db; over --nats the worker answers at once', spec.name);
      const control = ConsumerControl.open(db ?? DEFAULT_DB, parseWait(spec.name, wait));
      try {
        const request = await prepare(control);
        if (!request) return 1;
        if (request.offline) {
          const runner = control.runner(request.consumer);
          if (runner && request.offline.always) throw new ConsumerRunningError(request.consumer, runner.owner, runner.expiresAt);
          if (!runner) {
            process.stdout.write(`${request.offline.run()}.\n`);
            return 0;
          }
        }
        const runner = control.runner(request.consumer);
        if (runner && control.waitMs > 0) {
          waitingLine(
            process.stderr,
            `waiting up to ${Math.ceil(control.waitMs / 1000)} s for ${runner.owner} to ${request.what}; Ctrl-C stops waiting (the command stays queued)`,
          );
        }
        const delivery = await control.send(request.consumer, request.command, request.arg, request.what);
        process.stdout.write(delivery.kind === 'queued' ? queuedMessage(delivery, request.what, control.reader.file) : await request.applied(delivery));
        return 0;
      } finally {
        control.close();
      }
    },
  });
}

/** A command that names one consumer, `recq <command> <component>`, and what it prints once the consumer's host has applied it. */
export interface ConsumerCommandSpec {
  command: 'pause' | 'resume';
  summary: string;
  about: string;
  applied(consumer: string, delivery: Delivery & { kind: 'done' }): string;
}

/**
 * A control command for the consumer its one positional names: queued in the file as
 * "<command> consumer <name>", or sent over NATS to the worker that runs the consumer.
 *
 * @example
 * export const resumeCommand = defineConsumerCommand({
 *   command: 'resume', summary: 'let a paused consumer go on', about: 'Usage: recq resume <component>\n',
 *   applied: (_consumer, { command }) => `${command.outcome}.\n`,
 * });
 */
export function defineConsumerCommand(spec: ConsumerCommandSpec): Command {
  const { command } = spec;
  return defineControlCommand({
    name: command,
    summary: spec.summary,
    about: spec.about,
    overNats: ({ positionals }) => {
      const consumer = parseComponent(command, positionals);
      return { consumer, command, what: `${command} consumer ${consumer}` };
    },
    plan({ positionals }) {
      const name = parseComponent(command, positionals);
      return (control) => {
        const { consumer } = control.consumer(name);
        return { consumer, command, what: `${command} consumer ${consumer}`, applied: (delivery) => spec.applied(consumer, delivery) };
      };
    },
  });
}

/** A command that names one dead letter, `recq dlq <command> <id>`, and how it learns the outcome once the letter's consumer has applied it. */
export interface LetterCommandSpec {
  command: 'retry' | 'skip';
  summary: string;
  about: string;
  /** Waits for the outcome on `letter` (as it stood when the command was queued) and says what it was. */
  applied(control: ConsumerControl, letter: DeadLetterState): Promise<string>;
}

/**
 * A control command for the dead letter its one positional names, which must be parked or
 * blocking: queued for the letter's consumer as "<command> dead letter <id>", or sent over NATS
 * to the worker that runs the consumer `--component` names (ids are per worker file).
 *
 * @example
 * export const dlqSkipCommand = defineLetterCommand({
 *   command: 'skip', summary: 'give up on a dead letter', about: 'Usage: recq dlq skip <id>\n',
 *   applied: async (_control, letter) => `Dead letter ${letter.id} skipped.\n`,
 * });
 */
export function defineLetterCommand(spec: LetterCommandSpec): Command {
  const { command } = spec;
  const name = `dlq ${command}`;
  return defineControlCommand({
    name,
    summary: spec.summary,
    about: spec.about,
    flags: { component: COMPONENT_FLAG },
    overNats: ({ values, positionals }) => {
      const id = parseLetterId(name, positionals);
      if (values.component === undefined) throw new UsageError("over --nats, name the letter's component with --component C", name);
      return { consumer: values.component, command, arg: id, what: `${command} dead letter ${id}` };
    },
    plan({ positionals }) {
      const id = parseLetterId(name, positionals);
      return (control) => {
        const letter = control.letter(command, id);
        return { consumer: letter.consumer, command, arg: id, what: `${command} dead letter ${id}`, applied: () => spec.applied(control, letter) };
      };
    },
  });
}

const NATS_FLAG = {
  ...FLAGS.nats,
  help: "send it to the worker holding the consumer's lease, over this NATS\nserver (instead of queueing it in --db)",
} as const;
const NAMESPACE_FLAG = { ...FLAGS.namespace, help: "the system's namespace (default recq); only with --nats" } as const;

/** Sends the command to the worker running the consumer, which applies it as a queued one; prints what it did. */
async function runOverNats(target: NatsTarget, request: NatsRequest): Promise<number> {
  const nc = await connectTo(target);
  try {
    const { owner, command } = await commandOverNats(nc, target, request.consumer, request.command, request.arg, request.what);
    process.stdout.write(
      command.doneAt === undefined
        ? `Queued command ${command.id} at ${owner}: ${request.what}. It is applied when consumer ${request.consumer} gets to it.\n`
        : `${command.outcome}.\n`,
    );
    return 0;
  } finally {
    await nc.close().catch(() => {});
  }
}

/** The `<id>` of a dead letter: exactly one positional, a whole number ≥ 1. */
export function parseLetterId(command: string, positionals: readonly string[]): number {
  const id = parseOnePositional(command, positionals, 'missing <id>: the dead letter, as "recq dlq list" shows it');
  if (!/^\d+$/.test(id) || !Number.isSafeInteger(Number(id)) || Number(id) < 1) {
    throw new UsageError(`<id> must be a dead letter id (a whole number ≥ 1), got ${JSON.stringify(id)}`, command);
  }
  return Number(id);
}

/** The `<component>` a consumer command names: exactly one positional. */
export function parseComponent(command: string, positionals: readonly string[]): string {
  return parseOnePositional(command, positionals, 'missing <component>: the consumer, as "recq status" lists it');
}

function parseWait(command: string, value: string | undefined): number {
  return parseCount(command, '--wait', value) ?? DEFAULT_WAIT_MS;
}

/** What `recq` prints for a command no running system has taken yet. */
function queuedMessage(delivery: Delivery & { kind: 'queued' }, what: string, db: string): string {
  const { command, runner } = delivery;
  if (runner) return `Queued command ${command.id}: ${what}. ${runner.owner} runs consumer ${command.consumer} and applies it within one heartbeat.\n`;
  return `Queued command ${command.id}: ${what}. No system is running consumer ${command.consumer} now; the command is applied when a system next starts on ${db}.\n`;
}
