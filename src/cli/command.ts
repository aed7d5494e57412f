import { CommanderError, Option, Command as Program } from 'commander';
import { RecqError } from '../errors.ts';
import { assertPattern } from '../topic.ts';
import { type EnvSourced, type Flag, type Flags, FROM_ENV, flagsHelp } from './flags.ts';

/** A command line that cannot be run as written: unknown command, bad flag, bad flag value. Exit code 2. */
export class UsageError extends RecqError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super('USAGE', message);
  }
}

/** One `recq` subcommand: what help and completion show of it, and what it does with a parsed command line. */
export interface Command {
  /** As typed after `recq`: `status`, `dlq list`. */
  name: string;
  summary: string;
  help: string;
  flags: Flags;
  positionals: boolean;
  /** Whether arguments after `--` are kept apart, in `rest`. */
  rest: boolean;
  /** Words the first positional can be (`commands cancel`), offered by shell completion. */
  positionalWords: readonly string[];
  /** Resolves with the process exit code. */
  run(parsed: ParsedCommand<Flags>): Promise<number>;
}

/** Commands under one name (`recq dlq list|show|retry|skip`), with a help of its own. */
export interface CommandGroup {
  name: string;
  summary: string;
  help: string;
  commands: readonly Command[];
}

export type CommandEntry = Command | CommandGroup;

export function isGroup(entry: CommandEntry): entry is CommandGroup {
  return 'commands' in entry;
}

/** The value a flag has once parsed: a boolean flag's `true`, a repeatable flag's list, a string. */
export type FlagValue<F extends Flag> = F extends { type: 'boolean' } ? boolean : F extends { multiple: true } ? string[] : string;

/** The values of a command's flags, by long name; a flag neither given nor set in its variable is absent. */
export type FlagValues<T extends Flags> = { -readonly [K in keyof T]?: FlagValue<T[K]> } & EnvSourced;

/** Flag values and positionals of one command line. */
export interface ParsedCommand<T extends Flags> {
  values: FlagValues<T>;
  positionals: string[];
  /** The arguments after `--`, for a command with `rest`; otherwise they are positionals. */
  rest: string[];
}

/** What a command is: its name, its help, its flags, and what it does with a parsed command line. */
export interface CommandSpec<T extends Flags> {
  name: string;
  summary: string;
  /** The help text above the options: usage line and description. */
  about: string;
  flags: T;
  /** Help rows that are not flags, listed after them (e.g. `-- args...`). */
  notes?: readonly [usage: string, help: string][];
  /** Whether the command takes positional arguments. */
  positionals?: boolean;
  /** Whether arguments after `--` go to `rest` instead of the positionals. */
  rest?: boolean;
  /** Words the first positional can be, for shell completion. */
  positionalWords?: readonly string[];
  run(parsed: ParsedCommand<T>): Promise<number>;
}

/**
 * A command whose `--help` and bad command lines are handled the same way as every other's:
 * `--help` prints `about` and the options, and a bad flag is a `UsageError` naming the command.
 *
 * @example
 * export const pingCommand = defineCommand({
 *   name: 'ping',
 *   summary: 'say pong',
 *   about: 'Usage: recq ping [--json]\n',
 *   flags: { json: FLAGS.json },
 *   async run({ values }) {
 *     process.stdout.write(values.json ? '"pong"\n' : 'pong\n');
 *     return 0;
 *   },
 * });
 */
export function defineCommand<const T extends Flags>(spec: CommandSpec<T>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    help: `${spec.about}\nOptions:\n${flagsHelp(spec.flags, spec.notes)}\n`,
    flags: spec.flags,
    positionals: spec.positionals ?? false,
    rest: spec.rest ?? false,
    positionalWords: spec.positionalWords ?? [],
    run: (parsed) => spec.run(parsed as ParsedCommand<T>),
  };
}

/**
 * Commands under one name. Its help is `about`, then each command's usage lines and summary.
 *
 * @example
 * export const dlqCommand = defineGroup({ name: 'dlq', summary: 'dead letters', about: 'Usage: recq dlq <list|show> ...\n', commands: [dlqListCommand, dlqShowCommand] });
 */
export function defineGroup(spec: { name: string; summary: string; about: string; commands: readonly Command[] }): CommandGroup {
  const usage = spec.commands.flatMap((c) => usageLines(c.help)).map((line) => `  ${line}`);
  const help = `${spec.about}\n${usage.join('\n')}\n\n${summaryRows(spec.commands)}\n\n"recq ${spec.name} <subcommand> --help" for a subcommand's options.\n`;
  return { name: spec.name, summary: spec.summary, help, commands: spec.commands };
}

/** The usage lines that open a command's help, without `Usage: ` (continuation lines keep their alignment). */
export function usageLines(help: string): string[] {
  const [first = ''] = help.split('\n\n');
  return first.split('\n').map((line) => line.replace(/^(Usage: | {7})/, ''));
}

/** One row per command: its name, then its summary, lined up. */
export function summaryRows(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n');
}

/** The whole command line: its name, top-level help, version and commands. */
export interface ProgramSpec {
  name: string;
  help: string;
  version: string;
  commands: readonly CommandEntry[];
}

/**
 * Parses `argv` with commander against `spec`'s commands and runs the one it names; resolves
 * with the exit code: the command's, 0 after `--help` or `--version`, 2 after printing help for
 * a command line that names no command. A bad command line throws a `UsageError`.
 */
export async function runCommandLine(spec: ProgramSpec, argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = group(spec.name, undefined, spec.help, spec.commands, (exit) => {
    code = exit;
  });
  program.version(spec.version, '-v, --version', 'print the version');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.code === 'commander.help' ? 2 : error.exitCode;
    throw error;
  }
}

type Ran = (code: number) => void;

/** A commander command for a group (or the program itself, with no `usageName`), its commands added. */
function group(name: string, usageName: string | undefined, help: string, entries: readonly CommandEntry[], ran: Ran): Program {
  const program = configured(new Program(name), help, (error, cmd) => {
    if (error.code !== 'commander.unknownCommand') return usageError(error, cmd, usageName);
    const suggestion = /\(Did you mean (.+)\?\)/.exec(error.message)?.[1];
    const what = usageName === undefined ? 'command' : 'subcommand';
    const names = entries.map((e) => e.name.split(' ').pop()).join(', ');
    const advice = suggestion === undefined ? `. ${what === 'command' ? 'Commands' : 'Subcommands'}: ${names}` : `; did you mean ${suggestion}?`;
    return new UsageError(`unknown ${what} ${JSON.stringify(cmd.args[0])}${advice}`, usageName);
  });
  // Options after a command name belong to it, and so does a `--`.
  program.enablePositionalOptions().helpCommand(false);
  for (const entry of entries) {
    const leafName = entry.name.split(' ').pop() ?? entry.name;
    program.addCommand(isGroup(entry) ? group(leafName, entry.name, entry.help, entry.commands, ran) : leaf(leafName, entry, ran));
  }
  return program;
}

/** A commander command for one recq command: its flags as options, its positionals, its run. */
function leaf(name: string, command: Command, ran: Ran): Program {
  const cmd = configured(new SplitAtTerminator(name, command), command.help, (error, c) => usageError(error, c, command.name));
  for (const [long, flag] of Object.entries(command.flags)) cmd.addOption(optionOf(long, flag));
  if (command.positionals) cmd.argument('[args...]');
  cmd.action(async () => {
    const fromEnv = new Set<string>();
    const values: Record<string, unknown> & EnvSourced = { [FROM_ENV]: fromEnv };
    for (const option of cmd.options) {
      const long = option.long?.slice(2) ?? '';
      const value: unknown = cmd.getOptionValue(option.attributeName());
      const source = cmd.getOptionValueSource(option.attributeName());
      // An empty variable counts as unset, as for RECQ_LOG_LEVEL.
      if (value === undefined || (source === 'env' && value === '')) continue;
      values[long] = value;
      if (source === 'env') fromEnv.add(long);
    }
    const positionals = command.positionals ? ((cmd.processedArgs[0] as string[] | undefined) ?? []) : [];
    ran(await command.run({ values: values as FlagValues<Flags>, positionals, rest: cmd.afterTerminator }));
  });
  return cmd;
}

/** Help from recq's own text, commander's errors turned into `UsageError`s, and nothing written by commander but help. */
function configured<C extends Program>(cmd: C, help: string, toError: (error: CommanderError, cmd: Program) => Error): C {
  cmd
    .helpOption('-h, --help', 'show this help')
    .configureHelp({ formatHelp: () => help })
    .configureOutput({ outputError: () => {} })
    .exitOverride((error) => {
      if (error.exitCode === 0 || error.code === 'commander.help') throw error;
      throw toError(error, cmd);
    });
  return cmd;
}

/** commander's message, as recq words its errors: `unknown option '--nat'; did you mean --nats?`. */
function usageError(error: CommanderError, cmd: Program, command: string | undefined): UsageError {
  if (error.code === 'commander.excessArguments') {
    return new UsageError(`unexpected argument ${JSON.stringify(cmd.args[0])}: recq ${command} takes none`, command);
  }
  const message = error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.+)\?\)$/, '; did you mean $1?');
  return new UsageError(message, command);
}

/** The commander option for one flag; `usage` and `help` stay recq's, for its own help. */
function optionOf(long: string, flag: Flag): Option {
  const option = new Option(`${flag.short === undefined ? '' : `-${flag.short}, `}--${long}${flag.type === 'string' ? ' <value>' : ''}`, flag.help);
  if (flag.multiple) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  if (flag.env !== undefined) option.env(flag.env);
  return option;
}

/**
 * A commander command that, for a recq command with `rest`, keeps the arguments after the first
 * `--` (one that is not a flag's value) apart; commander would make them operands like the others.
 */
class SplitAtTerminator extends Program {
  afterTerminator: string[] = [];
  readonly #command: Command;

  constructor(name: string, command: Command) {
    super(name);
    this.#command = command;
  }

  override parseOptions(argv: string[]): ReturnType<Program['parseOptions']> {
    const at = this.#command.rest ? terminatorIndex(argv, this.#command.flags) : undefined;
    if (at === undefined) return super.parseOptions(argv);
    this.afterTerminator = argv.slice(at + 1);
    return super.parseOptions(argv.slice(0, at));
  }
}

/** Where the first `--` is that ends the options, skipping the values string flags take. */
function terminatorIndex(argv: readonly string[], flags: Flags): number | undefined {
  const takesValue = new Set(Object.entries(flags).flatMap(([long, f]) => (f.type === 'string' ? [`--${long}`, ...(f.short ? [`-${f.short}`] : [])] : [])));
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return i;
    if (takesValue.has(argv[i] ?? '')) i++;
  }
  return undefined;
}

/** A flag value that must be a whole number ≥ 0. */
export function parseCount(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} expects a whole number ≥ 0, got ${JSON.stringify(value)}`, command);
  }
  return Number(value);
}

/** Topic patterns from repeated `--topic` flags, each checked against the subscription rules. */
export function parsePatterns(command: string, values: readonly string[] | undefined): string[] {
  const patterns = [...(values ?? [])];
  for (const pattern of patterns) {
    try {
      assertPattern(pattern);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error), command);
    }
  }
  return patterns;
}

/** The one positional a command takes (its `<module>`, `<component>`, `<id>`), refusing a missing one or a second. */
export function parseOnePositional(command: string, positionals: readonly string[], missing: string): string {
  const [value, extra] = positionals;
  if (value === undefined) throw new UsageError(missing, command);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, command);
  return value;
}
