import { type ParseArgsConfig, parseArgs } from 'node:util';
import { RecqError } from '../errors.ts';
import { assertPattern } from '../topic.ts';

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

/** The database flag every command shares. */
export const DB_OPTION = { db: { type: 'string' } } as const satisfies Options;

/** The file used when neither `--db` nor the system module names one. */
export const DEFAULT_DB = './recq.db';

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

interface CommandConfig<T extends Options> {
  args: string[];
  options: T & typeof HELP_OPTION;
  strict: true;
  allowPositionals: boolean;
  tokens: true;
}

/** Flag values, positionals and tokens of one command line. */
export type ParsedCommand<T extends Options> = ReturnType<typeof parseArgs<CommandConfig<T>>>;

/**
 * `parseArgs` in strict mode with `--help` added, turning its errors into `UsageError`s that
 * name the command, so every bad command line ends the same way.
 */
export function parseCommandArgs<const T extends Options>(command: string, argv: readonly string[], options: T, allowPositionals = false): ParsedCommand<T> {
  const config: CommandConfig<T> = { args: [...argv], options: { ...options, ...HELP_OPTION }, strict: true, allowPositionals, tokens: true };
  try {
    return parseArgs(config);
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
