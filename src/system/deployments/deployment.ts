import type { SupervisorWork } from '../../../actors/supervisor.machine.ts';
import type { SqliteDatabase } from '../../db.ts';
import type { CommitPort } from '../../host/commit-port.ts';
import type { ControlHandler } from '../../operator/worker-control.ts';
import type { ConsumerStatus } from '../../runner/runner.ts';
import type { EventLog } from '../../sss/event-log.ts';
import type { LogAccess } from '../../sss/log-access.ts';
import type { LogNodeOptions } from '../../sss/log-node.ts';
import type { Transport } from '../../transport/transport.ts';
import type { ResolvedOptions } from '../system-options.ts';

/**
 * The log and its router where this process's supervisor leads them: `LogNode` (the log in
 * the supervisor's SQLite file) or `StreamNode` (a JetStream stream shared by supervisors).
 */
export interface SupervisorNode extends SupervisorWork {
  /** The log as the System API publishes to it. */
  readonly log: EventLog;
  /** How this process's own hosts and API reach the log: direct calls. */
  readonly access: LogAccess;
  /** Records the supervisor machine's state where `recq status` reads it. */
  recordState(state: string): void;
  /** Stops at once, as a crash would. */
  halt(): Promise<void>;
}

/** What every log node of a deployment is built from: the file, the process's identity and limits, and the bus it routes on. */
export function logNodeBasics(
  db: SqliteDatabase,
  o: ResolvedOptions,
  transport: Transport,
): Pick<LogNodeOptions, 'db' | 'clock' | 'logger' | 'owner' | 'leaseTtlMs' | 'maxPayloadBytes' | 'transport'> {
  return { db, clock: o.clock, logger: o.logger, owner: o.owner, leaseTtlMs: o.leaseTtlMs, maxPayloadBytes: o.maxPayloadBytes, transport };
}

/** Which parts of a system run in this process. */
export type SystemRole = 'embedded' | 'all' | 'supervisor' | 'worker';

/** What the deployment tells the hosts of this process about the world outside it. */
export interface DeploymentEvents {
  /** The transport may have lost deliveries (a reconnect): every host looks for gaps now. */
  resync(): void;
  /** The supervisor restarted and lost its routes: every host registers again. */
  reregister(): void;
}

/** What this process's hosts offer other processes (distributed: over NATS, to `recq status`, `recq query` and operator commands). */
export interface HostServices {
  consumers(): Promise<ConsumerStatus[]>;
  control: ControlHandler;
}

/**
 * One deployment of a system, as this process sees it: where the log is and how to reach it,
 * how routed events travel, and where hosts' checkpoints go (their commit port).
 * `embedded.ts` keeps everything in one file and one process; `distributed.ts` reaches the
 * log's supervisor over NATS. The `System` and its machines are the same on both.
 */
export interface Deployment {
  readonly role: SystemRole;
  /** This process's SQLite file: the SSS and every CSS (embedded), the SSS (supervisor), or the CSS (worker). */
  readonly db: SqliteDatabase;
  /** The log and its router, where this process's supervisor leads them; undefined in a worker. */
  readonly node: SupervisorNode | undefined;
  /** How hosts reach the log: direct calls, or requests to the supervisor. */
  readonly hostLog: LogAccess;
  /** How the System API publishes to and reads the log: directly where this process leads it, else as its hosts do. */
  readonly apiLog: LogAccess;
  readonly transport: Transport;
  /** Where this process's hosts' checkpoints go (their emitted events, the fence they run); undefined where it runs no hosts. */
  readonly commits: CommitPort | undefined;
  /** Starts what the deployment serves besides the log (e.g. the workers' status responder) and wires its events to the hosts. */
  attach(events: DeploymentEvents, hosts: HostServices | undefined): void;
  /** Closes the transport, the connection and the file, once the machines have stopped. */
  close(): Promise<void>;
}
