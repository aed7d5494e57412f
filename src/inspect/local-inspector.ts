import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import safeStableStringify from 'safe-stable-stringify';
import type { InspectionEvent, Observer } from 'xstate';
import { InvalidOptionError } from '../errors.ts';
import { RequestGuard } from '../http/request-guard.ts';
import { inspectorPage } from './inspector-page.ts';

/** The port `recq ... --inspect` serves its inspector on. */
export const INSPECTOR_PORT = 7374;
const STATELY_UI = 'https://stately.ai/inspect';

export interface ServeInspectorOptions {
  /** Default 7374; 0 for a free one. */
  port?: number;
  /** How many recent events a page or client that connects later gets first. Default 1000. */
  keep?: number;
}

/** An inspector served by this process: pass it as `createSystem({ inspect })`. */
export interface LocalInspector {
  inspect: Observer<InspectionEvent>;
  /** `http://127.0.0.1:<port>/` once listening; rejects if the port cannot be had. The events are on `ws://` at the same address. */
  readonly url: Promise<string>;
  close(): Promise<void>;
}

const guard = new RequestGuard('127.0.0.1', undefined);
const stringify = safeStableStringify.configure({ maximumDepth: 10 });

/**
 * Serves the inspection events of this process's actors on 127.0.0.1, with no other server: a
 * page at `http://127.0.0.1:<port>/` showing them in the Stately inspector and as a plain list,
 * and the Stately inspection events themselves as JSON messages on `ws://127.0.0.1:<port>/` for
 * any WebSocket client. Only loopback names and the page's own origin are let in. It keeps the
 * process alive no longer than the system does.
 *
 * @example
 * const inspector = serveInspector({ port: 0 });
 * const system = await createSystem({ components, inspect: inspector });
 * console.log(await inspector.url);
 */
export function serveInspector(options: ServeInspectorOptions = {}): LocalInspector {
  const keep = options.keep ?? 1000;
  const recent: string[] = [];
  // Events that come before the inspector's modules have loaded wait for them, in order.
  const early: InspectionEvent[] = [];
  let live: Observer<InspectionEvent> | undefined;
  const http = createServer((request, response) => {
    if (!allowed(request)) {
      response.writeHead(403).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(inspectorPage(STATELY_UI));
  });
  // @statelyai/inspect and ws load only once an inspector is served, not with recq.
  const sockets = Promise.all([import('@statelyai/inspect'), import('ws')]).then(([{ createInspector }, { WebSocket, WebSocketServer }]) => {
    const server = new WebSocketServer({ server: http, verifyClient: ({ req }: { req: IncomingMessage }) => allowed(req) });
    // The server's listen error is the url's rejection; the socket server repeats it as its own.
    server.on('error', () => {});
    server.on('connection', (socket, request) => {
      // A watching page must not keep the process alive once its system stops.
      request.socket.unref();
      socket.on('error', () => {});
      for (const message of recent) socket.send(message);
    });
    const inspector = createInspector(
      {
        send(event) {
          const message = stringify(event) ?? 'null';
          recent.push(message);
          if (recent.length > keep) recent.shift();
          for (const client of server.clients) if (client.readyState === WebSocket.OPEN) client.send(message);
        },
      },
      {},
    );
    live = inspector.inspect;
    for (const event of early.splice(0)) live.next?.(event);
    return server;
  });
  const url = sockets.then(
    () =>
      new Promise<string>((resolve, reject) => {
        http.once('error', reject);
        http.listen(options.port ?? INSPECTOR_PORT, '127.0.0.1', () => {
          http.unref();
          resolve(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
        });
      }),
  );
  url.catch(() => {
    live ??= {};
    early.length = 0;
  });
  const close = async () => {
    const server = await sockets.catch(() => undefined);
    for (const client of server?.clients ?? []) client.terminate();
    server?.close();
    await new Promise<void>((resolve) => (http.listening ? http.close(() => resolve()) : resolve()));
  };
  const inspect: Observer<InspectionEvent> = {
    next: (event) => {
      if (live) live.next?.(event);
      else early.push(event);
    },
  };
  return { inspect, url, close };
}

/**
 * What `--inspect` sets: an inspector on port `RECQ_INSPECT_PORT` (default 7374) that says on
 * stderr where to open it, or why it could not start.
 */
export function cliInspector(env: NodeJS.ProcessEnv = process.env): LocalInspector {
  const port = inspectorPort(env.RECQ_INSPECT_PORT);
  const inspector = serveInspector({ port });
  inspector.url.then(
    (url) => process.stderr.write(`recq: inspector on ${url} (the events as JSON on ${url.replace('http', 'ws')})\n`),
    (error: Error) => process.stderr.write(`recq: --inspect could not listen on 127.0.0.1:${port} (${error.message}); running without it\n`),
  );
  return inspector;
}

function inspectorPort(value: string | undefined): number {
  if (value === undefined || value === '') return INSPECTOR_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new InvalidOptionError('RECQ_INSPECT_PORT', value, 'expected a port from 1 to 65535');
  return port;
}

function allowed(request: IncomingMessage): boolean {
  try {
    guard.check(request, new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`), false);
    return true;
  } catch {
    return false;
  }
}
