import type { Registry } from 'prom-client';
import { InvalidOptionError } from '../errors.ts';

/**
 * Prometheus metrics of one system: the registry its series are in, and where `GET /metrics`
 * is served. `metrics: true` takes every default.
 */
export interface MetricsOptions {
  /** Port of the metrics server; 0 picks a free one (read it from `system.metrics.url`); `false` serves nothing. Default 0. */
  port?: number | false;
  /** Address the server listens on. Default `127.0.0.1`; give `0.0.0.0` for a scraper on another machine. */
  host?: string;
  /** The registry to put the series in (e.g. one your own server already serves). Default: a registry of the system's own. */
  registry?: Registry;
  /**
   * Also collect prom-client's default process metrics (`process_cpu_seconds_total`,
   * `nodejs_heap_size_used_bytes`, ...) under their usual names. Default true with the
   * system's own registry, false with one you give (it may hold them already).
   */
  processMetrics?: boolean;
}

/** Metrics options, checked and with their defaults. */
export interface ResolvedMetricsOptions {
  port: number | false;
  host: string;
  /** Yours, or undefined for a registry of the system's own (made when the metrics start, so prom-client loads only then). */
  registry: Registry | undefined;
  processMetrics: boolean;
}

/** Checks `metrics` (undefined: no metrics) before anything opens, and fills in defaults. */
export function resolveMetricsOptions(metrics: MetricsOptions | true | undefined): ResolvedMetricsOptions | undefined {
  if (metrics === undefined) return undefined;
  const given: MetricsOptions = metrics === true ? {} : metrics;
  if (typeof given !== 'object' || given === null)
    throw new InvalidOptionError('metrics', metrics, 'expected true or { port?, host?, registry?, processMetrics? }');
  const { port = 0, host = '127.0.0.1', registry, processMetrics } = given;
  if (port !== false && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new InvalidOptionError('metrics.port', port, 'expected an integer from 0 to 65535 (0 picks a free port), or false to serve nothing');
  }
  if (typeof host !== 'string' || host.length === 0)
    throw new InvalidOptionError('metrics.host', host, 'expected an address to listen on, e.g. 127.0.0.1 or 0.0.0.0');
  // Duck-typed: a registry from another copy of prom-client serves as well.
  if (registry !== undefined && !isRegistry(registry)) {
    throw new InvalidOptionError('metrics.registry', registry, "expected a prom-client Registry (new Registry() from 'prom-client')");
  }
  if (processMetrics !== undefined && typeof processMetrics !== 'boolean')
    throw new InvalidOptionError('metrics.processMetrics', processMetrics, 'expected true or false');
  return { port, host, registry, processMetrics: processMetrics ?? registry === undefined };
}

function isRegistry(value: unknown): value is Registry {
  const candidate = value as Partial<Registry> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.registerMetric === 'function' && typeof candidate.metrics === 'function';
}
