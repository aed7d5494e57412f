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
export { fileSource } from '../dashboard/file-source.ts';
export { natsSource } from '../dashboard/nats-source.ts';
export { DEFAULT_DASHBOARD_PORT, type ServeDashboardOptions, serveDashboard } from '../dashboard/serve-dashboard.ts';
export type { Dashboard, DashboardServerOptions } from '../dashboard/server.ts';
export { serveSource } from '../dashboard/server.ts';
export type { DashboardSource } from '../dashboard/source.ts';
export type * from '../dashboard/wire.ts';
// What serveDashboard and serveSource refuse to start with: a host beyond loopback without a token, a page not built.
export { DashboardNeedsTokenError, DashboardNotBuiltError } from '../errors/dashboard-errors.ts';
