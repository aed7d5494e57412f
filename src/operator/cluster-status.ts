import type { NatsConnection } from 'nats';
import { SupervisorUnreachableError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { ConsumerStatus } from '../runner/runner.ts';
import { readStreamLogStatus, SQLITE_DURABILITY, type StreamLogStatus } from '../sss/jetstream/stream-log-status.ts';
import { NatsLogAccess } from '../sss/nats/log-client.ts';
import type { NatsTarget } from './nats-target.ts';
import { collectWorkerStatus, type WorkerStatus } from './worker-status.ts';

/** How long `recq status --nats` collects workers' replies. */
export const WORKER_REPLY_WINDOW_MS = 500;

/** A lease as the supervisor holds it, with how long it has left by this machine's clock. */
export interface LeaseView {
  owner: string;
  epoch: number;
  expiresAt: number;
  /** Negative once expired. */
  expiresInMs: number;
  expired: boolean;
}

/** One consumer: what the supervisor knows of it, and what the worker running it reports. */
export interface ClusterConsumer {
  consumer: string;
  /** The last seq routed to it; null if it is not registered with this supervisor. */
  lastRouted: number | null;
  lease: LeaseView | null;
  /** The worker whose report fills the fields below: the lease owner's, else a standby's; null if none replied. */
  reportedBy: string | null;
  offset: number | null;
  /** lastRouted − offset: routed to it and not yet applied. */
  lag: number | null;
  hostState: string | null;
  /** Actors in the worker's memory, and actors with a stored snapshot. */
  activeActors: number | null;
  storedActors: number | null;
  /** Dead letters waiting for an operator (parked or blocking), in the reporting worker's file. */
  deadLetters: number | null;
}

/** What `recq status --nats` reports. */
export interface ClusterStatus {
  nats: string;
  namespace: string;
  head: number;
  /** The supervisor's lease on the log. */
  log: LeaseView | null;
  /** The state of the supervisor that answered (`leading`, `degraded`, ...); null if it did not say. */
  supervisor: string | null;
  consumers: ClusterConsumer[];
  workers: WorkerStatus[];
  /** The log's JetStream stream, its supervisors and replicas; null when the log is the supervisor's SQLite file. */
  jetstream: StreamLogStatus | null;
  /** What an acknowledged append means. */
  durability: string;
  /** Why no supervisor answered (a JetStream log between two leaders); null when one did. */
  unanswered: string | null;
  /** Why JetStream could not be read (a user without $JS.API permissions, a server down); null if it could, or has no such stream. */
  jetstreamUnreadable: string | null;
}

/**
 * Asks the supervisor for the head, routes and leases, then every worker for its consumers and
 * connection; with the log on JetStream, also reads the stream and every supervisor's report,
 * which still show while no supervisor answers (one has died, another has not taken over yet).
 */
export async function readClusterStatus(nc: NatsConnection, target: NatsTarget, now: () => number = Date.now): Promise<ClusterStatus> {
  const access = new NatsLogAccess({ connection: nc, namespace: target.namespace });
  let jetstreamUnreadable: string | null = null;
  const jetstream =
    (await readStreamLogStatus(nc, target.namespace, now).catch((error: unknown) => {
      jetstreamUnreadable = error instanceof Error ? error.message : String(error);
      return undefined;
    })) ?? null;
  let unanswered: string | null = null;
  const { head, routes, leases, supervisor } = await access.routes().catch((error: unknown) => {
    if (!jetstream || !(error instanceof SupervisorUnreachableError)) throw error;
    unanswered = error.message;
    return { head: jetstream.lastSeq, routes: {} as Record<string, number>, leases: [] as Lease[], supervisor: undefined };
  });
  const { workers } = await collectWorkerStatus(nc, target.namespace, WORKER_REPLY_WINDOW_MS);
  const at = now();
  const leaseOf = new Map(leases.map((lease) => [lease.resource, leaseView(lease, at)]));
  const names = new Set([
    ...Object.keys(routes),
    ...leases.filter((l) => l.resource.startsWith('consumer:')).map((l) => l.resource.slice('consumer:'.length)),
    ...workers.flatMap((w) => w.consumers.map((c) => c.consumer)),
  ]);
  const consumers = [...names].sort().map((consumer): ClusterConsumer => {
    const lease = leaseOf.get(`consumer:${consumer}`) ?? null;
    const lastRouted = routes[consumer] ?? null;
    const report = reportFor(consumer, lease, workers);
    return {
      consumer,
      lastRouted,
      lease,
      reportedBy: report?.owner ?? null,
      offset: report?.status.offset ?? null,
      lag: report && lastRouted !== null ? Math.max(0, lastRouted - report.status.offset) : null,
      hostState: report?.status.hostState ?? null,
      activeActors: report?.status.activeActors ?? null,
      storedActors: report?.status.storedActors ?? null,
      deadLetters: report?.status.deadLetters ?? null,
    };
  });
  return {
    nats: target.url,
    namespace: target.namespace,
    head,
    log: leaseOf.get('log') ?? null,
    supervisor: supervisor?.state ?? null,
    consumers,
    workers,
    jetstream,
    durability: jetstream?.durability ?? SQLITE_DURABILITY,
    unanswered,
    jetstreamUnreadable,
  };
}

/** The lease owner's report on `consumer`; failing that, any other worker's (a standby's). */
function reportFor(consumer: string, lease: LeaseView | null, workers: readonly WorkerStatus[]): { owner: string; status: ConsumerStatus } | undefined {
  const reports = workers.flatMap((w) => w.consumers.filter((c) => c.consumer === consumer).map((status) => ({ owner: w.owner, status })));
  return reports.find((r) => lease && !lease.expired && r.owner === lease.owner) ?? reports.find((r) => r.status.hostState !== 'standby') ?? reports[0];
}

function leaseView(lease: Lease, now: number): LeaseView {
  return { owner: lease.owner, epoch: lease.epoch, expiresAt: lease.expiresAt, expiresInMs: lease.expiresAt - now, expired: lease.expiresAt <= now };
}
