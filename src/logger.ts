/** Structured log lines: a message plus fields such as `consumer`, `seq` or `error`. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2, silent: 3 };

/**
 * Writes log lines at or above `level` to stderr, one line each: `recq <level> <message> {fields}`.
 *
 * @example
 * const system = await createSystem({ components, logger: consoleLogger('info') });
 */
export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const write = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[at] < RANK[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields, (_k, v) => (v instanceof Error ? v.message : v))}` : '';
    process.stderr.write(`recq ${at} ${message}${extra}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
