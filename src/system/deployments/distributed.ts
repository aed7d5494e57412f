import type { NatsConnection } from 'nats';
import { Outbox } from '../../css/outbox.ts';
import { openDatabase, type SqliteDatabase } from '../../db.ts';
import { createRelay } from '../../host/relay.ts';
import { connectNats } from '../../nats/connection.ts';
import { SupervisorTrust } from '../../nats/supervisor-trust.ts';
import { serveWorkerControl } from '../../operator/worker-control.ts';
import { ConnectionTracker, serveWorkerStatus } from '../../operator/worker-status.ts';
import { StreamNode } from '../../sss/jetstream/stream-node.ts';
import { resolveStreamPlace } from '../../sss/jetstream/stream-place.ts';
import type { LogAccess } from '../../sss/log-access.ts';
import { LogNode } from '../../sss/log-node.ts';
import { NatsLogAccess } from '../../sss/nats/log-client.ts';
import { NatsTransport } from '../../transport/nats-transport.ts';
import type { Transport } from '../../transport/transport.ts';
import type { NatsOptions, ResolvedOptions } from '../system-options.ts';
import { type Deployment, type DeploymentEvents, logNodeBasics, type SupervisorNode } from './deployment.ts';

/**
 * The distributed deployment, as one process of it sees it: a `supervisor` leads the log in
 * its file and serves it over NATS; a `worker` runs hosts whose stores, and whose outbox of
 * emitted events, are in its own file, and reaches the log by request/reply; `all` is both in
 * one process, talking over NATS as separate processes would. Routed deliveries travel on
 * NATS core; whatever they lose, hosts read back from the log.
 *
 * With `nats.jetstream`, the log is a JetStream stream instead, shared by every supervisor
 * of the system: one leads it, the others stand by (`StreamNode`); the supervisor's file
 * holds its local index of the stream. Workers are the same either way.
 *
 * @example
 * const deployment = await distributedDeployment('worker', resolveOptions(options), { servers: 'nats://127.0.0.1:4222' });
 */
export async function distributedDeployment(
  role: 'all' | 'supervisor' | 'worker',
  o: ResolvedOptions,
  nats: NatsOptions,
  transport?: Transport,
): Promise<Deployment> {
  const nc = nats.connection ?? (await connectNats(nats.servers ?? 'nats://127.0.0.1:4222', nats));
  const ownsConnection = !nats.connection;
  const namespace = nats.namespace === undefined ? {} : { namespace: nats.namespace };
  // One for the process: what its log service serves as, its log client hears, and its transport trusts.
  const trust = new SupervisorTrust();
  const tracker = new ConnectionTracker(o.clock);
  let events: DeploymentEvents | undefined;
  let stopServing = () => {};
  let bus: Transport | undefined;
  let db: SqliteDatabase | undefined;
  // Checked before anything connects or opens, so a bad option changes nothing.
  const place = nats.jetstream === undefined || role === 'worker' ? undefined : resolveStreamPlace(nats.jetstream, nats.namespace, o.leaseTtlMs);
  try {
    bus =
      transport ??
      new NatsTransport({
        connection: nc,
        trust,
        logger: o.logger,
        ...namespace,
        onConnectionEvent: (event) => {
          // Logged once per outage, however many attempts reconnecting takes.
          if (tracker.see(event)) {
            if (event.type === 'disconnect') o.logger.warn('NATS disconnected; reconnecting', { server: event.server });
            if (event.type === 'reconnect') o.logger.warn('NATS reconnected', { server: event.server });
          }
          if (event.type === 'reconnect') events?.resync();
        },
      });
    db = openDatabase(o.db, o.durability, { busyTimeoutMs: o.busyTimeoutMs });
    const node: SupervisorNode | undefined =
      role === 'worker'
        ? undefined
        : place
          ? new StreamNode({ ...logNodeBasics(db, o, bus), nats: { connection: nc, trust, ...namespace }, place })
          : new LogNode({
              ...logNodeBasics(db, o, bus),
              nats: { connection: nc, trust, ...namespace },
              // A supervisor restarted after a crash finds its predecessor's lease: it waits it out.
              waitForLease: role === 'supervisor' || o.waitForLease,
            });
    const remote: LogAccess | undefined =
      role === 'supervisor'
        ? undefined
        : new NatsLogAccess({
            connection: nc,
            trust,
            // A heartbeat that waits longer than a third of the lease cannot renew it in time.
            timeoutMs: Math.max(100, Math.min(nats.requestTimeoutMs ?? 5000, Math.floor(o.leaseTtlMs / 3))),
            ...namespace,
            onIncarnationChange: () => events?.reregister(),
          });
    const hostLog = (remote ?? node?.access) as LogAccess;
    const outbox = role === 'supervisor' ? undefined : new Outbox(db);
    const file = db;
    const closingBus = bus;
    return {
      role,
      db: file,
      node,
      hostLog,
      // Where this process leads the log, the API publishes and reads there directly.
      apiLog: node?.access ?? hostLog,
      transport: closingBus,
      commits: outbox && {
        sink: outbox,
        // The lease table is in the supervisor's file: no checkpoint transaction here can see it, so
        // a checkpoint is refused once the lease may have expired without a renewal.
        fence: (held) => () => held.assertValid(),
        relay: (consumer, hooks) => createRelay({ consumer, outbox, log: hostLog, clock: o.clock, logger: o.logger, ...hooks }),
        pending: (consumer) => outbox.size(consumer),
        leaseWatchdog: true,
      },
      attach(deploymentEvents, hosts) {
        events = deploymentEvents;
        // A producer (a worker with no components) runs no hosts and has nothing to report.
        if (!hosts || o.components.length === 0) return;
        const stopStatus = serveWorkerStatus({ connection: nc, ...namespace, owner: o.owner, tracker, consumers: hosts.consumers, logger: o.logger });
        const stopControl = serveWorkerControl(nc, { ...namespace, owner: o.owner, handler: hosts.control, logger: o.logger });
        stopServing = () => {
          stopControl();
          stopStatus();
        };
      },
      async close() {
        stopServing();
        await closingBus.close();
        file.close();
        if (ownsConnection) await nc.close().catch(() => {});
      },
    };
  } catch (error) {
    await bus?.close().catch(() => {});
    db?.close();
    if (ownsConnection) await (nc as NatsConnection).close().catch(() => {});
    throw error;
  }
}
