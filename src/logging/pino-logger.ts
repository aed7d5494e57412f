import type { Logger as PinoInstance, stdSerializers } from 'pino';
import { load } from './console-pino.ts';
import type { LogFields, Logger } from './log-types.ts';

/**
 * A `Logger` that writes through a pino instance of your own (its level, destination,
 * transports and redaction apply). Errors in fields become `{ type, message, stack }`.
 *
 * @example
 * import pino from 'pino';
 * const system = await createSystem({ components, logger: pinoLogger(pino({ level: 'info' })) });
 */
export function pinoLogger(instance: PinoInstance): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      // Checked first: a filtered-out line costs no copy of its fields.
      if (!instance.isLevelEnabled(level)) return;
      if (fields === undefined) instance[level](message);
      else instance[level](serializable(fields), message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Errors have no enumerable fields, so JSON would show them as `{}`. */
function serializable(fields: LogFields): LogFields {
  let copy: LogFields | undefined;
  for (const name in fields) {
    const value = fields[name];
    if (!(value instanceof Error)) continue;
    copy ??= { ...fields };
    copy[name] = load<{ stdSerializers: typeof stdSerializers }>('pino').stdSerializers.err(value);
  }
  return copy ?? fields;
}
