import { fileSource } from '../dashboard/file-source.ts';
import { DEFAULT_DASHBOARD_PORT } from '../dashboard/index.ts';
import { serveSource } from '../dashboard/server.ts';
import { defineCommand, parseCount, UsageError } from './command.ts';
import { DEFAULT_DB, FLAGS } from './flags.ts';
import { loadDefinition } from './system-module.ts';

export const dashboardCommand = defineCommand({
  name: 'dashboard',
  summary: 'a live web page of the log, consumers, dead letters and actors (with statecharts)',
  about: `Usage: recq dashboard [<module>] [--db FILE] [--port N] [--host ADDR] [--token SECRET]

Serves a live web page of a recq database: the log (head, events/s, a filterable tail),
each consumer (host state, offset, lag, actors, lease, pause and resume), the dead letters
(event, error, stack; retry and skip) and any actor (its state, context, pending timers and
history). Reads the file read-only, so it is safe while a system runs on it; its buttons
queue commands for the system running the consumer, as "recq pause" and "recq dlq retry" do.

Give the system's <module> (the one "recq run" takes; it is loaded, not started) and the
page draws each actor's statechart with its current states highlighted.

It listens on 127.0.0.1 only, unless --host names another address, which needs --token:
then open the address it prints (with ?token=...). Stop it with Ctrl-C.
`,
  flags: {
    db: { ...FLAGS.db, help: `database file (default: the module's db, else ${DEFAULT_DB})` },
    port: { type: 'string', usage: '--port N', help: `port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)` },
    host: { type: 'string', usage: '--host ADDR', help: 'address to listen on (default 127.0.0.1); beyond loopback only with --token' },
    token: { type: 'string', usage: '--token SECRET', help: 'access token every request must carry (env RECQ_DASHBOARD_TOKEN)' },
  },
  positionals: true,
  async run({ values, positionals }) {
    const [module, extra] = positionals;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, 'dashboard');
    const definition = module === undefined ? undefined : await loadDefinition(module);
    const db = values.db ?? definition?.db ?? DEFAULT_DB;
    const port = parseCount('dashboard', '--port', values.port) ?? DEFAULT_DASHBOARD_PORT;
    const token = values.token ?? process.env.RECQ_DASHBOARD_TOKEN;
    const source = fileSource(db, definition?.components ?? []);
    try {
      const dashboard = await serveSource(source, { port, ...(values.host ? { host: values.host } : {}), ...(token ? { token } : {}) });
      process.stderr.write(`recq: dashboard of ${db} at ${dashboard.url}; stop with Ctrl-C\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dashboard.close();
    } finally {
      source.close();
    }
    return 0;
  },
});
