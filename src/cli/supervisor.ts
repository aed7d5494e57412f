import { startSupervisor } from '../system/system.ts';
import { defineCommand, parseCount, UsageError } from './command.ts';
import { FLAGS, NATS_AUTH_FLAGS } from './flags.ts';
import { requireNatsTarget } from './nats-target.ts';
import { PROCESS_FLAGS, parseProcessFlags, processOptions } from './process-flags.ts';
import { serveUntilSignal } from './serve.ts';

export const supervisorCommand = defineCommand({
  name: 'supervisor',
  summary: 'serve the event log and route it to workers over NATS (distributed deployment)',
  about: `Usage: recq supervisor --nats URL --db FILE [--owner NAME] [--namespace NS] [--lease-ttl MS]

Runs the supervisor of a distributed system: the event log (the SSS) in FILE, the router that
delivers each committed event to the consumers subscribed to its topic, and the request/reply
service that workers, producers, "recq status --nats" and "recq events --nats" reach over
NATS. It runs no components: start those with "recq worker". Run one supervisor per system.

Prints one line to stderr once it serves, then runs until Ctrl-C (SIGINT) or SIGTERM, stops
cleanly (every acknowledged event is already committed) and exits 0. A second signal exits at
once (130 or 143).
`,
  flags: {
    nats: FLAGS.nats,
    namespace: FLAGS.namespace,
    ...NATS_AUTH_FLAGS,
    ...PROCESS_FLAGS,
    db: { ...FLAGS.db, help: 'the SQLite file of the log; created if missing' },
    owner: { ...FLAGS.owner, help: 'this supervisor\'s name in its lease on the log and in "recq status --nats"\n(default host:pid:random)' },
    jetstream: { type: 'boolean', usage: '--jetstream', help: 'keep the log in a JetStream stream, so several supervisors can fail over' },
    replicas: { type: 'string', usage: '--replicas N', help: "with --jetstream: the stream's replicas (default 1; 3 on a cluster)" },
    'lease-ttl': {
      type: 'string',
      usage: '--lease-ttl MS',
      help: 'how long a worker keeps a consumer without renewing it, so how soon a\nstandby takes over from a worker that died (default 15000)',
    },
  },
  async run({ values }) {
    const target = requireNatsTarget('supervisor', values);
    const db = values.db;
    if (db === undefined) throw new UsageError('missing --db FILE: the SQLite file of the event log', 'supervisor');
    if (values.owner === '') throw new UsageError('--owner expects a name', 'supervisor');
    const leaseTtlMs = parseCount('supervisor', '--lease-ttl', values['lease-ttl']);
    const replicas = parseCount('supervisor', '--replicas', values.replicas);
    if (replicas !== undefined && !values.jetstream) throw new UsageError('--replicas goes with --jetstream', 'supervisor');
    const jetstream = values.jetstream ? { jetstream: replicas === undefined ? (true as const) : { replicas } } : {};
    return serveUntilSignal(
      'supervisor',
      target,
      () =>
        startSupervisor({
          ...processOptions(parseProcessFlags('supervisor', values)),
          db,
          nats: { servers: target.servers, namespace: target.namespace, ...target.credentials, ...jetstream },
          ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
          ...(values.owner === undefined ? {} : { owner: values.owner }),
        }),
      () => `supervisor${values.owner === undefined ? '' : ` ${values.owner}`} serving ${db} on ${target.url} (namespace ${target.namespace})`,
    );
  },
});
