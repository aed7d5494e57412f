import { fileSource } from '../dashboard/file-source.ts';
import { natsSource } from '../dashboard/nats-source.ts';
import { DEFAULT_DASHBOARD_PORT } from '../dashboard/serve-dashboard.ts';
import { serveSource } from '../dashboard/server.ts';
import type { DashboardSource } from '../dashboard/source.ts';
import { connectTo } from '../operator/nats-target.ts';
import { defineCommand, parseCount, UsageError } from './command.ts';
import { DEFAULT_DB, FLAGS, NATS_AUTH_FLAGS } from './flags.ts';
import { parseNatsInsteadOfDb } from './nats-target.ts';
import { loadDefinition } from './system-module.ts';

export const dashboardCommand = defineCommand({
  name: 'dashboard',
  summary: 'a live web page of the log, consumers, dead letters and actors (with statecharts)',
  about: `Usage: recq dashboard [<module>] [--db FILE | --nats URL [--namespace NS]] [--port N] [--host ADDR] [--token SECRET]

Serves a live web page of a recq database: the log (head, events/s, a filterable tail),
each consumer (host state, offset, lag, actors, lease, pause and resume), the dead letters
(event, error, stack; retry and skip) and any actor (its state, context, pending timers,
effects and history). An actor's effects are its input records in the log (its timers'
firings, its children's outcomes, events and values), shown among its events as what they
are. Reads the file read-only, so it is safe while a system runs on it; its buttons queue
commands for the system running the consumer, as "recq pause" and "recq dlq retry" do.

Give the system's <module> (the one "recq run" takes; it is loaded, not started) and the
page draws each actor's statechart with its current states highlighted, and can step back
through an actor's history: its events and input records replayed from the log through its
machine in memory, with no child run.

With --nats, shows a running cluster instead, as "recq status --nats" and "recq events --nats"
see it: the log (with each actor's history, effects and time travel) from its supervisor, the
consumers from its workers, an actor's state from the worker running it, and each consumer's
newest dead letters from that worker; Pause, Resume, Retry and Skip go to that worker at once.
Pending timers are kept in a worker's file, which the page says rather than showing them.

It listens on 127.0.0.1 only, unless --host names another address, which needs --token:
then open the address it prints (with ?token=...). Stop it with Ctrl-C.
`,
  flags: {
    db: { ...FLAGS.db, help: `database file (default: the module's db, else ${DEFAULT_DB})` },
    nats: { ...FLAGS.nats, help: 'show the system that meets on this NATS server instead of a file' },
    namespace: { ...FLAGS.namespace, help: 'its namespace (default recq); only with --nats' },
    ...NATS_AUTH_FLAGS,
    port: { type: 'string', usage: '--port N', help: `port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)` },
    host: { type: 'string', usage: '--host ADDR', help: 'address to listen on (default 127.0.0.1); beyond loopback only with --token' },
    token: { type: 'string', usage: '--token SECRET', help: 'access token every request must carry (env RECQ_DASHBOARD_TOKEN)' },
  },
  positionals: true,
  async run({ values, positionals }) {
    const [module, extra] = positionals;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, 'dashboard');
    const nats = parseNatsInsteadOfDb('dashboard', values);
    const port = parseCount('dashboard', '--port', values.port) ?? DEFAULT_DASHBOARD_PORT;
    const definition = module === undefined ? undefined : await loadDefinition(module);
    const components = definition?.components ?? [];
    const token = values.token ?? process.env.RECQ_DASHBOARD_TOKEN;
    let source: DashboardSource;
    let shown: string;
    if (nats) {
      source = natsSource(await connectTo(nats), nats, components);
      shown = `the system on ${nats.url} (namespace ${nats.namespace})`;
    } else {
      shown = values.db ?? definition?.db ?? DEFAULT_DB;
      source = fileSource(shown, components);
    }
    try {
      const dashboard = await serveSource(source, { port, ...(values.host ? { host: values.host } : {}), ...(token ? { token } : {}) });
      process.stderr.write(`recq: dashboard of ${shown} at ${dashboard.url}; stop with Ctrl-C\n`);
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
