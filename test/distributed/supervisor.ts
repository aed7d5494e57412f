/**
 * A supervisor process: `node --import tsx test/distributed/supervisor.ts '<NodeConfig as JSON>'`.
 * Owns the log in its SQLite file and serves it over NATS; answers read-only commands on stdin.
 */
import { type ReadQuery, startSupervisor } from '../../src/index.ts';
import { connectWatched, emit, lineLogger, readConfig, run, serve } from './child.ts';

run(async () => {
  const config = readConfig();
  const nc = await connectWatched(config.url);
  const system = await startSupervisor({
    db: config.db,
    nats: { connection: nc, ...(config.namespace === undefined ? {} : { namespace: config.namespace }) },
    owner: config.owner,
    leaseTtlMs: config.leaseTtlMs,
    logger: lineLogger,
    ...(config.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: config.maxPayloadBytes }),
  });
  const end = (how: 'stop' | 'halt') => async () => {
    await system[how]();
    await nc.close();
  };
  serve(
    {
      head: () => system.head(),
      routes: () => system.routes(),
      events: (args) => system.events(args as ReadQuery),
      status: () => system.status(),
    },
    end('stop'),
    end('halt'),
  );
  emit({ type: 'ready', name: config.name, pid: process.pid, components: [] });
});
