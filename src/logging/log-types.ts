/** What a log line carries besides its message: `component`, `key`, `seq`, `consumer`, `error`, ... */
export type LogFields = Record<string, unknown>;

/**
 * Structured log lines: a message plus fields. A line about an event carries `component`, `key`,
 * `seq` and `consumer`. Pass your own to `createSystem({ logger })`; `debug` is optional.
 */
export interface Logger {
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
