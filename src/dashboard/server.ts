import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DashboardRequestError, RecqError } from '../errors.ts';
import { RequestGuard } from '../http/request-guard.ts';
import { type FeedClient, LiveFeed } from './live-feed.ts';
import { loadPageAssets, type PageAssets } from './page-assets.ts';
import type { DashboardSource } from './source.ts';
import { type StreamMessage, WRITE_HEADER } from './wire.ts';

export interface DashboardServerOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to listen on (default 127.0.0.1); beyond loopback only with `token`. */
  host?: string;
  /** Access token every request must carry (the page's address gives it once, as `?token=`). */
  token?: string;
  /** How often live pages are updated (default 500 ms). */
  intervalMs?: number;
  /** The built page; default the package's `dist/dashboard-page/`. */
  assets?: PageAssets;
}

/** A dashboard being served. */
export interface Dashboard {
  /** The page's address (with `?token=` when it has one). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** How long a stream stays quiet before a comment keeps proxies from closing it. */
const KEEPALIVE_MS = 15_000;

/**
 * Serves the page and its API over HTTP: reads as JSON, live updates as server-sent events
 * (`/api/stream`), writes as POSTs; each request passes the guard first.
 */
export async function serveSource(source: DashboardSource, options: DashboardServerOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const guard = new RequestGuard(host, options.token, WRITE_HEADER);
  const assets = options.assets ?? loadPageAssets();
  const feed = new LiveFeed(source, { intervalMs: options.intervalMs ?? 500 });
  const streams = new Set<ServerResponse>();

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => answerError(response, error));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const method = request.method ?? 'GET';
    if (method === 'OPTIONS') throw new DashboardRequestError(405, 'The dashboard answers no cross-origin preflight: open the page itself.');
    const write = method === 'POST';
    if (!write && method !== 'GET') throw new DashboardRequestError(405, `The dashboard answers GET and POST, not ${method}.`);
    guard.check(request, url, write);
    const cookie = guard.cookieFor(url);
    if (cookie) response.setHeader('Set-Cookie', cookie);

    const asset = assets.get(url.pathname);
    if (asset && !write) {
      send(response, 200, asset.type, asset.body);
      return;
    }
    if (url.pathname === '/api/stream' && !write) return stream(request, response, url);
    if (!write) return json(response, 200, await read(url));
    await readBody(request);
    json(response, 200, { message: await change(url) });
  }

  async function read(url: URL): Promise<unknown> {
    const q = url.searchParams;
    switch (url.pathname) {
      case '/api/overview':
        return { ...(await source.overview()), samples: [] };
      case '/api/components':
        return source.components();
      case '/api/events':
        return source.events(count(q.get('after'), 0), Math.min(count(q.get('limit'), 100), 1000));
      case '/api/actor':
        return source.actor(required(q, 'component'), q.get('key') ?? undefined);
      case '/api/replay':
        return source.replay(required(q, 'component'), q.get('key') ?? undefined);
      default:
        throw new DashboardRequestError(404, `The dashboard has nothing at ${url.pathname}.`);
    }
  }

  async function change(url: URL): Promise<string> {
    const path = url.pathname;
    const letter = /^\/api\/dead-letters\/(\d+)\/(retry|skip)$/.exec(path);
    if (letter) {
      const component = url.searchParams.get('component') ?? undefined;
      return letter[2] === 'retry' ? source.retry(Number(letter[1]), component) : source.skip(Number(letter[1]), component);
    }
    const consumer = /^\/api\/consumers\/([^/]+)\/(pause|resume)$/.exec(path);
    if (consumer) {
      const name = decodeURIComponent(consumer[1] as string);
      return consumer[2] === 'pause' ? source.pause(name) : source.resume(name);
    }
    throw new DashboardRequestError(404, `The dashboard changes nothing at ${path}.`);
  }

  async function stream(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    response.write(': recq dashboard\n\n');
    const component = url.searchParams.get('component');
    const client: FeedClient = {
      send: (message: StreamMessage) => response.write(`data: ${JSON.stringify(message)}\n\n`),
      watch: component ? { component, key: url.searchParams.get('key') ?? undefined } : undefined,
    };
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEPALIVE_MS).unref();
    streams.add(response);
    request.on('close', () => {
      clearInterval(keepAlive);
      streams.delete(response);
      feed.remove(client);
    });
    await feed.add(client);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}`,
    port,
    async close() {
      feed.close();
      for (const response of streams) response.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

function count(value: string | null, fallback: number): number {
  if (value === null) return fallback;
  if (!/^\d+$/.test(value)) throw new DashboardRequestError(400, `Expected a whole number ≥ 0, got ${JSON.stringify(value)}.`);
  return Number(value);
}

function required(q: URLSearchParams, name: string): string {
  const value = q.get(name);
  if (!value) throw new DashboardRequestError(400, `Missing the ${name} parameter.`);
  return value;
}

/** Writes take no body; one that is sent is read and dropped, up to a small bound. */
async function readBody(request: IncomingMessage): Promise<void> {
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new DashboardRequestError(400, 'A dashboard write takes no body.');
  }
}

/** Refusals by kind: who is asking, what is asked for, and what the system's state allows. */
function statusOf(error: RecqError): number {
  if (error instanceof DashboardRequestError) return error.status;
  switch (error.code) {
    case 'DASHBOARD_FORBIDDEN':
      return 403;
    case 'DASHBOARD_UNAUTHORIZED':
      return 401;
    case 'UNKNOWN_COMPONENT':
    case 'UNKNOWN_KEY':
    case 'UNKNOWN_DEAD_LETTER':
      return 404;
    case 'USAGE':
    case 'INVALID_OPTION':
      return 400;
    default:
      return 409;
  }
}

function answerError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.end();
  } else if (error instanceof RecqError) {
    json(response, statusOf(error), { error: { code: error.code, message: error.message } });
  } else {
    json(response, 500, { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } });
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(body)));
}

function send(response: ServerResponse, status: number, type: string, body: Buffer): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  });
  response.end(body);
}
