import { InvalidOptionError } from '../errors.ts';
import { type ConsoleLoggerOptions, consolePino } from './console-pino.ts';
import { LOG_LEVELS, type LogFields, type Logger, type LogLevel } from './log-types.ts';
import { pinoLogger } from './pino-logger.ts';

export type { ConsoleLoggerOptions } from './console-pino.ts';
export { LOG_LEVELS, type LogFields, type Logger, type LogLevel } from './log-types.ts';
export { pinoLogger } from './pino-logger.ts';

/**
 * Writes log lines at or above `level` to stderr, through pino: one JSON object a line when
 * stderr is not a terminal (`{"level":"warn","time":…,"name":"recq","component":…,"msg":…}`),
 * one readable line each on a terminal. Lines are written synchronously, so none is lost when
 * the process exits right after.
 *
 * @example
 * const system = await createSystem({ components, logger: consoleLogger('info') });
 */
export function consoleLogger(level: LogLevel = 'warn', options?: ConsoleLoggerOptions): Logger {
  if (!(LOG_LEVELS as readonly unknown[]).includes(level)) throw new InvalidOptionError('logger level', level, `expected one of ${LOG_LEVELS.join(', ')}`);
  // pino loads with the first line written at `level`: a process that logs nothing never pays for it.
  let logger: Logger | undefined;
  const at =
    (line: Exclude<LogLevel, 'silent'>) =>
    (message: string, fields?: LogFields): void => {
      if (RANK[line] < RANK[level]) return;
      logger ??= pinoLogger(consolePino(level, options));
      logger[line]?.(message, fields);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const RANK: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Number.POSITIVE_INFINITY };

/**
 * The logger a system uses when given none: `consoleLogger` at `RECQ_LOG_LEVEL`, or `warn`.
 * A level the variable names wrongly is refused, naming it.
 */
export function defaultLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.RECQ_LOG_LEVEL;
  if (level === undefined || level === '') return consoleLogger('warn');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidOptionError('RECQ_LOG_LEVEL', level, `expected one of ${LOG_LEVELS.join(', ')}; or unset it, or pass logger`);
  }
  return consoleLogger(level as LogLevel);
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
