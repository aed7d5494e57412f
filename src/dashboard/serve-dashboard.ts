import type { Component } from '../component/component.ts';
import { StoreReader } from '../operator/store-reader.ts';
import type { System } from '../system/system.ts';
import { type Dashboard, type DashboardServerOptions, serveSource } from './server.ts';
import { systemSource } from './system-source.ts';

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
