import type { NatsConnection } from 'nats';
import type { Clock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import { StaleEpochError, SystemStoppedError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logger.ts';
import { LogService } from '../nats/log-server.ts';
import { EventLog } from '../sss/event-log.ts';
import type { Transport } from '../transport/transport.ts';
import { LeaseTable } from './leases.ts';
import { LocalLogAccess } from './local-log-access.ts';
import { Router } from './router.ts';

export interface LogNodeOptions {
  db: SqliteDatabase;
  clock: Clock;
  logger: Logger;
  owner: string;
  leaseTtlMs: number;
  maxPayloadBytes: number;
  transport: Transport;
  /** Serve the log to other processes over NATS request/reply. */
  nats?: { connection: NatsConnection; namespace?: string };
  /** Called if another process takes the log's lease: this one must stop. */
  onLostLease: (error: StaleEpochError) => void;
}

/**
 * The supervisor's side of the system: the log (SSS) under its lease, the router that turns
 * each commit into deliveries and announcements, the consumers' leases, and (distributed)
 * the request/reply service through which workers reach all of it.
 */
export class LogNode {
  readonly log: EventLog;
  readonly leases: LeaseTable;
  readonly router: Router;
  readonly access: LocalLogAccess;
  readonly service: LogService | undefined;
  readonly #lease: Lease;
  readonly #o: LogNodeOptions;
  #timer: unknown;
  #closed = false;

  /** Takes the log's lease; throws `LeaseHeldError` while another process holds it. */
  constructor(options: LogNodeOptions) {
    this.#o = options;
    this.leases = new LeaseTable(options.db, options.clock);
    const lease = this.leases.acquire('log', options.owner, options.leaseTtlMs);
    this.#lease = lease;
    this.log = new EventLog(options.db, {
      clock: options.clock,
      maxPayloadBytes: options.maxPayloadBytes,
      fence: () => this.leases.assertCurrent(lease),
      onListenerError: (error) => options.logger.error('a commit listener failed; the commit itself stands', { error }),
    });
    this.router = new Router(options.transport);
    this.log.onCommit((envelopes) => this.router.route(envelopes));
    this.access = new LocalLogAccess(this.log, this.leases, this.router, options.leaseTtlMs);
    this.service = options.nats
      ? new LogService({
          connection: options.nats.connection,
          log: this.log,
          leases: this.leases,
          router: this.router,
          leaseTtlMs: options.leaseTtlMs,
          logger: options.logger,
          ...(options.nats.namespace === undefined ? {} : { namespace: options.nats.namespace }),
        })
      : undefined;
  }

  /** Starts renewing the log's lease and serving requests. */
  async start(): Promise<void> {
    this.#scheduleRenewal();
    if (this.service) {
      this.service.start();
      await this.options.nats?.connection.flush();
    }
  }

  get options(): LogNodeOptions {
    return this.#o;
  }

  /** Commits what is queued, stops serving, and gives the lease up. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.log.close();
    await this.service?.stop();
    try {
      this.leases.release(this.#lease);
    } catch {
      // Another owner has it already; nothing to give back.
    }
  }

  /** Stops at once: queued appends are refused, the lease is left to expire. */
  async halt(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.log.abandon(new SystemStoppedError('publish (the system was halted)'));
    await this.service?.stop();
  }

  #scheduleRenewal(): void {
    const { clock, leaseTtlMs, logger } = this.#o;
    this.#timer = clock.setTimeout(
      () => {
        if (this.#closed) return;
        try {
          this.leases.renew(this.#lease, leaseTtlMs);
        } catch (error) {
          if (error instanceof StaleEpochError) {
            logger.error('this process lost the lease on the log; stopping', { error });
            this.#o.onLostLease(error);
            return;
          }
          logger.warn('could not renew the lease on the log; retrying', { error });
        }
        this.#scheduleRenewal();
      },
      Math.max(1, Math.floor(leaseTtlMs / 3)),
    );
  }
}
