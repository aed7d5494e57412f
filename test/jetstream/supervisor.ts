/**
 * A supervisor of a log kept in JetStream: `node --import tsx test/jetstream/supervisor.ts '<config as JSON>'`.
 * It prints `ready` as soon as it is connected: a standby's `startSupervisor` resolves only
 * once it leads, so its commands wait until then. What it does (leads, stands by, steps down)
 * arrives as log lines.
 */
import { type ReadQuery, startSupervisor } from '../../src/index.ts';
import { connectNats, watchConnection } from '../../src/public/nats.ts';
import { emit, lineLogger, readConfig, run, serve } from '../distributed/child.ts';
import type { StreamSupervisorConfig } from './stream-cluster.ts';

run(async () => {
  const config = readConfig() as unknown as StreamSupervisorConfig;
  const nc = await connectNats(config.url.split(','));
  watchConnection(nc, (event) => emit({ type: 'nats', event: event.type }), lineLogger);
  const starting = startSupervisor({
    db: config.db,
    nats: { connection: nc, jetstream: { replicas: config.replicas, livenessTtlMs: config.livenessTtlMs } },
    owner: config.owner,
    leaseTtlMs: config.leaseTtlMs,
    logger: lineLogger,
  });
  starting.catch(() => {});
  const end = (how: 'stop' | 'halt') => async () => {
    const system = await starting;
    await system[how]();
    await nc.close();
  };
  serve(
    {
      head: async () => (await starting).head(),
      routes: async () => (await starting).routes(),
      events: async (args) => (await starting).events(args as ReadQuery),
      status: async () => (await starting).status(),
    },
    end('stop'),
    end('halt'),
  );
  emit({ type: 'ready', name: config.name, pid: process.pid, components: [] });
});
