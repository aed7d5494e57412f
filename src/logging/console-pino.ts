import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import type { pino as Pino, Logger as PinoInstance } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';
import type { LogLevel } from './log-types.ts';

/** Where `consoleLogger` writes, and how. */
export interface ConsoleLoggerOptions {
  /**
   * `json`: one JSON object a line (pino's format, with `level` as its name). `pretty`: one
   * readable line each (time, level, message, fields). Default: `pretty` when stderr is a
   * terminal, else `json`.
   */
  format?: 'json' | 'pretty';
  /** A file descriptor, or a stream with `write(line)`. Default 2, stderr. Written synchronously, so no line is lost when the process exits. */
  destination?: number | { write(line: string): unknown };
}

/** A pino instance that writes synchronously to the console (or `destination`), as JSON or pretty lines. */
export function consolePino(level: LogLevel, options: ConsoleLoggerOptions = {}): PinoInstance {
  const pino = load<typeof Pino>('pino');
  const destination = options.destination ?? 2;
  const format = options.format ?? (destination === 2 && process.stderr.isTTY ? 'pretty' : 'json');
  const stream =
    format === 'pretty'
      ? prettyStream({
          destination: typeof destination === 'number' ? destination : asStream(destination),
          sync: true,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          // A terminal line shows what failed; the JSON line keeps the stack.
          ignore: 'pid,hostname,name,error.stack,error.type',
          errorLikeObjectKeys: ['err'],
        })
      : typeof destination === 'number'
        ? pino.destination({ dest: destination, sync: true })
        : destination;
  return pino({ level, name: 'recq', formatters: { level: (label) => ({ level: label }) } }, stream);
}

/** pino-pretty, loaded only for a terminal: a process writing JSON lines never pays for it. */
function prettyStream(options: PrettyOptions): PrettyStream {
  return load<(options: PrettyOptions) => PrettyStream>('pino-pretty')(options);
}

/** pino and pino-pretty are CommonJS: required when the first line is written, synchronously. */
export function load<T>(name: string): T {
  return createRequire(import.meta.url)(name) as T;
}

/** pino-pretty pipes into its destination: a plain writer becomes a stream that writes at once. */
function asStream(destination: { write(line: string): unknown }): Writable {
  if (destination instanceof Writable) return destination;
  return new Writable({
    write(chunk, _encoding, done) {
      destination.write(String(chunk));
      done();
    },
  });
}
