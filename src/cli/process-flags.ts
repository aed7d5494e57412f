import { cliInspector } from '../inspect/local-inspector.ts';
import { consoleLogger, LOG_LEVELS, type LogLevel } from '../logging/logger.ts';
import type { SystemOptions } from '../system/system-options.ts';
import { parseCount, UsageError } from './command.ts';
import type { Flags } from './flags.ts';

/** What a process that runs part of a system (run, supervisor, worker) tells about itself. */
export const PROCESS_FLAGS = {
  'log-level': {
    type: 'string',
    usage: '--log-level LEVEL',
    help: 'debug, info, warn, error or silent (default warn)',
    env: 'RECQ_LOG_LEVEL',
  },
  'metrics-port': {
    type: 'string',
    usage: '--metrics-port PORT',
    help: 'serve Prometheus metrics on http://127.0.0.1:PORT/metrics',
    env: 'RECQ_METRICS_PORT',
  },
  inspect: {
    type: 'boolean',
    usage: '--inspect',
    help: "stream every actor's events and snapshots to the Stately inspector",
  },
} as const satisfies Flags;

/** The process flags as read from the command line, or from their `RECQ_*` variables. */
export interface ProcessFlags {
  logLevel?: LogLevel;
  metricsPort?: number;
  inspect: boolean;
}

/** Reads the process flags of `command`, refusing a bad level or port by name. */
export function parseProcessFlags(command: string, values: { 'log-level'?: string; 'metrics-port'?: string; inspect?: boolean }): ProcessFlags {
  const level = values['log-level'];
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log-level expects one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`, command);
  }
  const port = parseCount(command, '--metrics-port', values['metrics-port']);
  if (port !== undefined && (port < 1 || port > 65_535)) throw new UsageError(`--metrics-port expects a port from 1 to 65535, got ${port}`, command);
  return {
    ...(level === undefined ? {} : { logLevel: level as LogLevel }),
    ...(port === undefined ? {} : { metricsPort: port }),
    inspect: values.inspect === true,
  };
}

/** The system options the process flags set over a system module's own. */
export function processOptions(flags: ProcessFlags): Partial<SystemOptions> {
  const options: Partial<SystemOptions> = {};
  if (flags.metricsPort !== undefined) options.metrics = { port: flags.metricsPort };
  if (flags.logLevel !== undefined) options.logger = consoleLogger(flags.logLevel);
  if (flags.inspect) options.inspect = cliInspector();
  return options;
}
