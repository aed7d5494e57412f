/**
 * `recq/dashboard`: a live web page of a running system — the log, its consumers, dead letters
 * and actors with their statecharts — served by `serveDashboard`, or by `recq dashboard`
 * for a database file. Apart from `recq` because it brings an HTTP server and the page.
 *
 * @example
 * import { serveDashboard } from 'recq/dashboard';
 *
 * const system = await createSystem({ db: './shop.db', components: [orders] });
 * const dashboard = await serveDashboard(system, { port: 7373, components: [orders] });
 * console.log(`dashboard at ${dashboard.url}`);
 */
import { StoreReader } from '../cli/inspect.ts';
import type { Component } from '../host/component.ts';
import type { System } from '../system.ts';
import { type Dashboard, type DashboardServerOptions, serveSource } from './server.ts';
import { systemSource } from './system-source.ts';

export { fileSource } from './file-source.ts';
export { natsSource } from './nats-source.ts';
export type { Dashboard, DashboardServerOptions } from './server.ts';
export { serveSource } from './server.ts';
export type { DashboardSource } from './source.ts';
export type * from './wire.ts';

/** The port `recq dashboard` and `serveDashboard` listen on unless told otherwise. */
export const DEFAULT_DASHBOARD_PORT = 7373;

export interface ServeDashboardOptions extends Partial<DashboardServerOptions> {
  /** The system's components: their statecharts are drawn, and each actor's history is read by its own key and topics. */
  components?: readonly Component[];
  /** The system's SQLite file, read-only: shows each actor's pending timers as of its last checkpoint. */
  db?: string;
}

/**
 * Serves the dashboard of a system running in this process, on 127.0.0.1 by default; its
 * buttons (retry, skip, pause, resume) act on the system at once. Resolves once it listens.
 *
 * @example
 * const dashboard = await serveDashboard(system, { port: 0, components: [documents], db: './documents.db' });
 * await fetch(`${dashboard.url}api/overview`).then((r) => r.json()); // { head, consumers, deadLetters, ... }
 * await dashboard.close();
 */
export async function serveDashboard(system: System, options: ServeDashboardOptions = {}): Promise<Dashboard> {
  const reader = options.db === undefined ? undefined : StoreReader.open(options.db);
  const source = systemSource(system, { ...(options.components ? { components: options.components } : {}), ...(reader ? { reader } : {}) });
  try {
    const dashboard = await serveSource(source, { ...options, port: options.port ?? DEFAULT_DASHBOARD_PORT });
    return {
      url: dashboard.url,
      port: dashboard.port,
      close: async () => {
        await dashboard.close();
        source.close();
      },
    };
  } catch (error) {
    source.close();
    throw error;
  }
}
