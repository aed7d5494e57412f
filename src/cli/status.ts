import { type ClusterStatus, readClusterStatus, WORKER_REPLY_WINDOW_MS } from '../operator/cluster-status.ts';
import { connectTo, type NatsTarget } from '../operator/nats-target.ts';
import { type LeaseState, StoreReader, type StoreStatus } from '../operator/store-reader.ts';
import { formatClusterStatus } from './cluster-status-text.ts';
import { defineCommand } from './command.ts';
import { DEFAULT_DB, dbOrNatsFlags, FLAGS } from './flags.ts';
import { formatTable, isoTime } from './format.ts';
import { parseNatsInsteadOfDb } from './nats-target.ts';

export const statusCommand = defineCommand({
  name: 'status',
  summary: 'consumers, offsets, lag, dead letters and leases (read-only); --nats: of a running cluster',
  about: `Usage: recq status [--db FILE | --nats URL [--namespace NS]] [--json]

Shows each consumer's progress and the leases of a recq database. Opens it read-only, so it
is safe to run while a system is running on the same file.

Per consumer: component, offset (last checkpointed seq), head (last seq in the log), lag
(events after the offset on topics the consumer subscribes to), stored actors, the host state
last recorded, and dead letters waiting for an operator (parked or blocking).

With --nats, asks a running distributed system instead of reading a file: the supervisor
for the log head, each consumer's last routed seq and its lease (owner, epoch, time left),
and every worker (for ${WORKER_REPLY_WINDOW_MS} ms) for its consumers' offsets, host states and
actors, and its NATS connection (connected, reconnecting or disconnected; since when; how
many reconnects). Lag is the last routed seq minus the offset of the worker that owns the lease.
With the log on JetStream, also the leader and its epoch, every supervisor (leading or standing
by, and how far its index is behind the stream), the stream's servers (leader, followers'
current, lag and last activity), and what an acknowledged append means.
`,
  flags: {
    ...dbOrNatsFlags('ask the supervisor and workers that meet on this NATS server', 'their namespace (default recq); only with --nats'),
    json: FLAGS.json,
  },
  async run({ values }) {
    const nats = parseNatsInsteadOfDb('status', values);
    if (nats) {
      const status = await clusterStatus(nats);
      process.stdout.write(values.json ? `${JSON.stringify(status)}\n` : formatClusterStatus(status));
    } else {
      const status = fileStatus(values.db ?? DEFAULT_DB);
      process.stdout.write(values.json ? `${JSON.stringify(status)}\n` : formatStatus(status));
    }
    return 0;
  },
});

function fileStatus(db: string): StoreStatus {
  const reader = StoreReader.open(db);
  try {
    return reader.status(Date.now());
  } finally {
    reader.close();
  }
}

async function clusterStatus(target: NatsTarget): Promise<ClusterStatus> {
  const nc = await connectTo(target);
  try {
    return await readClusterStatus(nc, target);
  } finally {
    await nc.close().catch(() => {});
  }
}

function formatStatus(status: StoreStatus): string {
  const consumers =
    status.consumers.length === 0
      ? 'No consumers: no system has run on this database yet.'
      : formatTable(
          [
            { header: 'consumer' },
            { header: 'component' },
            { header: 'offset', align: 'right' },
            { header: 'head', align: 'right' },
            { header: 'lag', align: 'right' },
            { header: 'actors', align: 'right' },
            { header: 'host' },
            { header: 'dead letters', align: 'right' },
          ],
          status.consumers.map((c) => [
            c.consumer,
            c.component,
            String(c.offset),
            String(c.head),
            c.lag === null ? '?' : String(c.lag),
            String(c.storedActors),
            c.hostState,
            String(c.deadLetters),
          ]),
        );
  const leases =
    status.leases.length === 0
      ? 'No leases.'
      : formatTable(
          [{ header: 'lease' }, { header: 'owner' }, { header: 'epoch', align: 'right' }, { header: 'expires' }],
          status.leases.map((l) => [l.resource, l.owner, String(l.epoch), leaseExpiry(l)]),
        );
  const supervisor = status.supervisor ? `\nsupervisor ${status.supervisor.owner}: ${status.supervisor.state} since ${isoTime(status.supervisor.since)}` : '';
  return `database  ${status.db}\nhead      ${status.head}${supervisor}\n\n${consumers}\n\n${leases}\n`;
}

/** Releasing a lease zeroes its expiry, which reads better as a word than as 1970. */
function leaseExpiry(lease: LeaseState): string {
  if (lease.expiresAt <= 0) return 'released';
  return lease.expired ? `${isoTime(lease.expiresAt)} (expired)` : isoTime(lease.expiresAt);
}
