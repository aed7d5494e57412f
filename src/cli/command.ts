import { type ParseArgsConfig, parseArgs } from 'node:util';
import { RecqError } from '../errors.ts';
import { assertPattern } from '../topic.ts';
import { type Flags, flagsHelp, HELP_FLAG, parseConfig } from './flags.ts';

/** A command line that cannot be run as written: unknown command, bad flag, bad flag value. Exit code 2. */
export class UsageError extends RecqError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super('USAGE', message);
  }
}

/** One `recq` subcommand. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Resolves with the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

interface CommandConfig<T extends Options> {
  args: string[];
  options: T;
  strict: true;
  allowPositionals: boolean;
  tokens: true;
}

/** Flag values, positionals and tokens of one command line. */
export type ParsedCommand<T extends Flags> = ReturnType<typeof parseArgs<CommandConfig<T & { help: typeof HELP_FLAG }>>>;

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
  const help = `${spec.about}\nOptions:\n${flagsHelp(spec.flags, spec.notes)}\n`;
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    async run(argv) {
      const parsed = parseCommandArgs(spec.name, argv, spec.flags, spec.positionals ?? false);
      if ((parsed.values as { help?: boolean }).help) {
        process.stdout.write(help);
        return 0;
      }
      return spec.run(parsed);
    },
  };
}

/**
 * `parseArgs` in strict mode with `--help` added, turning its errors into `UsageError`s that
 * name the command, so every bad command line ends the same way.
 */
function parseCommandArgs<T extends Flags>(command: string, argv: readonly string[], flags: T, allowPositionals: boolean): ParsedCommand<T> {
  const config = { args: [...argv], options: parseConfig({ ...flags, help: HELP_FLAG }), strict: true, allowPositionals, tokens: true } as const;
  try {
    return parseArgs(config) as ParsedCommand<T>;
  } catch (error) {
    if (error instanceof TypeError && typeof (error as { code?: unknown }).code === 'string') {
      throw new UsageError(error.message, command);
    }
    throw error;
  }
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

/**
 * A system module may import recq from its built package while the CLI runs from source, so
 * a `RecqError` from the module can be another copy of the class: recognise it by name too.
 */
export function isRecqError(error: unknown): error is RecqError {
  if (error instanceof RecqError) return true;
  for (let proto = error === null || typeof error !== 'object' ? null : Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === 'RecqError') return true;
  }
  return false;
}
