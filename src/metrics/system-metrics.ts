import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Component } from '../component/component.ts';
import type { ResolvedMetricsOptions } from './metrics-options.ts';
import { MetricsRecorder } from './recorder.ts';
import { type MetricsServer, serveMetrics } from './server.ts';
import { type MetricsSource, registerStateGauges } from './state-gauges.ts';

/** A system's Prometheus metrics, as `system.metrics` shows them. */
export interface SystemMetrics {
  /** The registry holding the system's series (yours, if you gave one). */
  readonly registry: Registry;
  /** Where `GET /metrics` is served, e.g. `http://127.0.0.1:9464/metrics`; undefined with `port: false`. */
  readonly url: string | undefined;
}

/**
 * The metrics of one system, from the probe its hosts and log report to (built before them)
 * to the gauges read at scrape time and the server (started once the system runs). Closing
 * stops the server and takes the system's series out of the registry, so another system can
 * use it again.
 */
export class MetricsService implements SystemMetrics {
  readonly registry: Registry;
  readonly recorder: MetricsRecorder;
  readonly #o: ResolvedMetricsOptions;
  readonly #before: Set<string>;
  #server: MetricsServer | undefined;

  constructor(options: ResolvedMetricsOptions, components: readonly Component[], leadsLog: boolean) {
    this.#o = options;
    this.registry = options.registry ?? new Registry();
    this.#before = new Set(this.registry.getMetricsAsArray().map((metric) => metric.name));
    const consumers = components.map((component) => component.name);
    this.recorder = new MetricsRecorder(this.registry, consumers, leadsLog);
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  /** Adds the gauges that read `source`, the process metrics if asked for, and starts the server. */
  async start(source: MetricsSource): Promise<void> {
    registerStateGauges(this.registry, source);
    if (this.#o.processMetrics) collectDefaultMetrics({ register: this.registry });
    if (this.#o.port !== false) this.#server = await serveMetrics(this.registry, { host: this.#o.host, port: this.#o.port });
  }

  async close(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
    for (const metric of this.registry.getMetricsAsArray()) {
      if (!this.#before.has(metric.name)) this.registry.removeSingleMetric(metric.name);
    }
  }
}
