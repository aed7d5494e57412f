/**
 * The child side of the protocol `processes.ts` speaks with supervisor and worker entries:
 * JSON lines on stdout (replies, host state changes, log lines, connection events, acks), and
 * JSON commands `{ id, cmd, args }` on stdin, one per line.
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Logger, RecqError, type System } from '../../src/index.ts';
import { type ConnectionEvent, connectNats, watchConnection } from '../../src/public/nats.ts';
import type { NodeConfig, WireFailure } from './protocol.ts';

/**
 * Written synchronously, so that what the parent reads after a SIGKILL is exactly what this
 * process had done before it died.
 */
export function emit(line: Record<string, unknown>): void {
  const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      // The pipe is non-blocking and the parent may be slow to drain it.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

export function failureOf(error: unknown): WireFailure {
  if (error instanceof RecqError) return { name: error.name, code: error.code, message: error.message, recq: true };
  if (error instanceof Error) return { name: error.name, code: undefined, message: error.message, recq: false };
  return { name: 'unknown', code: undefined, message: String(error), recq: false };
}

/** Log lines go to the parent, which keeps them for waits and failure messages. */
export const lineLogger: Logger = {
  info: (message, fields) => emit({ type: 'log', level: 'info', message, consumer: fields?.consumer }),
  warn: (message, fields) => emit({ type: 'log', level: 'warn', message, consumer: fields?.consumer, error: detail(fields?.error) }),
  error: (message, fields) => emit({ type: 'log', level: 'error', message, consumer: fields?.consumer, error: detail(fields?.error) }),
};

const detail = (error: unknown): string | undefined => (error === undefined ? undefined : error instanceof Error ? error.message : String(error));

/**
 * The process's own NATS connection, handed to the system, so its lifecycle events can be
 * reported: the system behaves as with `servers`, but does not close a connection it was given.
 */
export async function connectWatched(url: string) {
  const nc = await connectNats(url);
  watchConnection(nc, (event: ConnectionEvent) => emit({ type: 'nats', event: event.type }), lineLogger);
  return nc;
}

/** Reports each consumer's host state when it changes, from the system's live view. */
export function reportHostStates(system: System): void {
  const last = new Map<string, string>();
  const report = () => {
    for (const [consumer, view] of Object.entries(system.view.get().context.consumers)) {
      if (last.get(consumer) === view.hostState) continue;
      last.set(consumer, view.hostState);
      emit({ type: 'host', consumer, state: view.hostState });
    }
  };
  system.view.subscribe(report);
  report();
}

export type Handlers = Record<string, (args: Record<string, unknown>) => unknown>;

/**
 * Answers commands until stdin closes. SIGTERM stops the system gracefully; a closed stdin
 * (the parent is gone) halts it, so that no process outlives its test.
 */
export function serve(handlers: Handlers, stop: () => Promise<void>, halt: () => Promise<void>): void {
  let ending = false;
  const end = (how: () => Promise<void>, code: number) => {
    if (ending) return;
    ending = true;
    how().then(
      () => {
        emit({ type: 'exit', code });
        process.exit(code);
      },
      (error: unknown) => {
        emit({ type: 'exit', code: 1, error: failureOf(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => end(stop, 0));
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let id: unknown;
    try {
      const command = JSON.parse(line) as { id: number; cmd: string; args?: Record<string, unknown> };
      id = command.id;
      const handler = handlers[command.cmd];
      if (!handler) throw new Error(`unknown command ${command.cmd}; known: ${Object.keys(handlers).join(', ')}`);
      Promise.resolve()
        .then(() => handler(command.args ?? {}))
        .then(
          (value) => emit({ type: 'reply', id, ok: true, value: value ?? null }),
          (error: unknown) => emit({ type: 'reply', id, ok: false, error: failureOf(error) }),
        );
    } catch (error) {
      emit({ type: 'reply', id, ok: false, error: failureOf(error) });
    }
  });
  lines.on('close', () => end(halt, 0));
}

/** The configuration the parent passed as the only argument. */
export function readConfig(): NodeConfig {
  const [json] = process.argv.slice(2);
  if (!json) throw new Error('usage: node --import tsx <entry>.ts <json config>');
  return JSON.parse(json) as NodeConfig;
}

/** Starts an entry, reporting a failure to start as a line the parent can show. */
export function run(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    emit({ type: 'exit', code: 1, error: failureOf(error) });
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
