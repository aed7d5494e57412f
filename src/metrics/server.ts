import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { StartFailedError } from '../errors.ts';

/** The metrics server of a system: where Prometheus scrapes it. */
export interface MetricsServer {
  /** `http://host:port/metrics`, with the port bound (also when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `registry` on `GET /metrics` in Prometheus' text format; anything else is a 404.
 * Rejects with `StartFailedError` when the port cannot be bound (in use, or not allowed).
 *
 * @example
 * const server = await serveMetrics(registry, { host: '127.0.0.1', port: 0 });
 * await fetch(server.url);
 */
export async function serveMetrics(registry: Registry, place: { host: string; port: number }): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Metrics are at /metrics.\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET /metrics.\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) =>
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`Could not collect the metrics: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new StartFailedError(`the metrics server on ${place.host}:${place.port}`, error)));
    server.listen(place.port, place.host, () => resolve());
  });
  // A scrape in flight must not keep a stopping process alive.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const shown = place.host.includes(':') ? `[${place.host}]` : place.host;
  return {
    url: `http://${shown}:${port}/metrics`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A scraper's keep-alive connection would hold the close back.
      server.closeAllConnections();
      await closed;
    },
  };
}
