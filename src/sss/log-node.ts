import type { SupervisorWork } from '../../actors/supervisor.machine.ts';
import type { Clock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import { LeaseHeldError, NotRegisteredError, StaleEpochError, SystemStoppedError } from '../errors.ts';
import { consumerOf, type Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { Transport } from '../transport/transport.ts';
import { EventLog } from './event-log.ts';
import { LeaseTable } from './lease-table.ts';
import { LocalLogAccess } from './local-log-access.ts';
import { type LogService, type LogServiceOptions, serveLog } from './nats/log-service.ts';
import { Router } from './router.ts';
import { createSupervisorTable, type SupervisorRecord, storeSupervisorState } from './tables/supervisor-state.ts';

export interface LogNodeOptions {
  db: SqliteDatabase;
  clock: Clock;
  logger: Logger;
  owner: string;
  leaseTtlMs: number;
  maxPayloadBytes: number;
  transport: Transport;
  /** Serve the log to other processes over NATS request/reply, as the incarnation `trust` tells this process's transport. */
  nats?: Pick<LogServiceOptions, 'connection' | 'namespace' | 'trust'>;
  /** Wait out another process's lease on the log instead of refusing to open (a restarted supervisor). */
  waitForLease: boolean;
}

/**
 * What the supervisor machine drives: the log (SSS) under its lease, the router that turns
 * each commit into deliveries and announcements, the consumers' leases, and (distributed)
 * the request/reply service through which workers reach all of it.
 */
export class LogNode implements SupervisorWork {
  readonly log: EventLog;
  readonly leases: LeaseTable;
  readonly router: Router;
  /** How this process's own hosts and API reach the log: direct calls. */
  readonly access: LocalLogAccess;
  readonly renewEveryMs: number;
  readonly #o: LogNodeOptions;
  #service: LogService | undefined;
  #lease: Lease | undefined;
  #state: SupervisorRecord | undefined;
  #closed = false;

  constructor(options: LogNodeOptions) {
    this.#o = options;
    this.renewEveryMs = Math.max(1, Math.floor(options.leaseTtlMs / 3));
    this.leases = new LeaseTable(options.db, options.clock, (held) =>
      options.logger.warn(`took over the lease on ${held.resource} from ${held.owner}, whose process is gone`, {
        resource: held.resource,
        consumer: consumerOf(held.resource),
        previousOwner: held.owner,
        epoch: held.epoch + 1,
      }),
    );
    this.log = new EventLog(options.db, {
      clock: options.clock,
      maxPayloadBytes: options.maxPayloadBytes,
      fence: () => this.assertLeading(),
      onListenerError: (error) => options.logger.error('a commit listener failed; the commit itself stands', { error }),
    });
    this.router = new Router(options.transport);
    createSupervisorTable(options.db);
    this.access = new LocalLogAccess(this.log, this.leases, this.router, options.leaseTtlMs, () => this.#state);
  }

  /**
   * Records the supervisor machine's state next to the log, so `recq status` in another process
   * sees it. Only while this process holds (or held) the log's lease: a process refused the
   * lease writes nothing.
   */
  recordState(state: string): void {
    if (!this.#lease) return;
    this.#state = { owner: this.#o.owner, state, since: this.#o.clock.now() };
    try {
      storeSupervisorState(this.#o.db, this.#state);
    } catch (error) {
      // Status is advisory; a locked or full disk must not stop the supervisor.
      this.#o.logger.warn('could not record the supervisor state', { state, error });
    }
  }

  /** Throws unless this process holds the current epoch of the log's lease. */
  assertLeading(): void {
    if (!this.#lease) throw new NotRegisteredError(undefined, 'write the log');
    this.leases.assertCurrent(this.#lease);
  }

  async open(): Promise<void> {
    this.#lease = this.leases.acquire('log', this.#o.owner, this.#o.leaseTtlMs);
  }

  retryOpenAfter(error: unknown): { ms: number; why: string } | undefined {
    if (!this.#o.waitForLease || !(error instanceof LeaseHeldError)) return undefined;
    return {
      ms: Math.max(50, error.expiresAt - this.#o.clock.now() + 50),
      why: `the log is leased to ${error.owner} until ${new Date(error.expiresAt).toISOString()}`,
    };
  }

  async serve(): Promise<void> {
    const nats = this.#o.nats;
    if (!nats) return;
    this.#service = await serveLog({ ...nats, access: this.access, logger: this.#o.logger });
  }

  renew(): void {
    if (this.#lease && !this.#closed) this.leases.renew(this.#lease, this.#o.leaseTtlMs);
  }

  isLeaseLost(error: unknown): boolean {
    return error instanceof StaleEpochError;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.log.close();
    await this.#service?.stop();
    const lease = this.#lease;
    if (!lease) return;
    try {
      this.leases.release(lease);
    } catch {
      // Another owner has it already; nothing to give back.
    }
  }

  /** Stops at once: queued appends are refused, the lease is left to expire. */
  async halt(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.log.abandon(new SystemStoppedError('publish (the system was halted)'));
    await this.#service?.stop();
  }
}
