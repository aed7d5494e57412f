import type { Clock } from '../clock.ts';
import { LeaseHeldError, RecqError, StaleEpochError, SupervisorUnreachableError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess, Registration } from '../sss/log-access.ts';

export interface ConsumerLeaseOptions {
  consumer: string;
  patterns: readonly string[];
  owner: string;
  log: LogAccess;
  clock: Clock;
  logger: Logger;
  leaseTtlMs: number;
  /** Each renewal reports the last seq routed to the consumer; the tick is also when queued commands run. */
  onRenewed: (lastRouted: number) => void;
  /** Another owner has the consumer now. */
  onLost: (error: StaleEpochError) => void;
}

/**
 * A host's hold on its consumer: it registers (taking the lease and the route), renews the
 * lease every third of its time-to-live, and knows until when, by the local clock, the lease
 * is surely still held: renewals count from when they were sent.
 */
export class ConsumerLease {
  readonly #o: ConsumerLeaseOptions;
  #lease: Lease | undefined;
  #validUntil = Number.POSITIVE_INFINITY;
  #timer: unknown;
  /** Registrations refused in a row because the supervisor did not answer. */
  #unreachable = 0;

  constructor(options: ConsumerLeaseOptions) {
    this.#o = options;
  }

  get current(): Lease | undefined {
    return this.#lease;
  }

  /**
   * Takes the lease and the route, and starts renewing. While another owner's lease lasts, or
   * the supervisor does not answer (it is down, or not started yet), it says how long to stand
   * by before trying again: the rest of that lease, or a backoff doubling up to a lease's
   * time-to-live, said once per outage.
   */
  async register(): Promise<Registration | { standbyMs: number }> {
    const { log, clock, leaseTtlMs, logger, consumer } = this.#o;
    const sentAt = clock.now();
    let registration: Registration;
    try {
      registration = await log.register(consumer, this.#o.patterns, this.#o.owner);
    } catch (error) {
      // Another worker owns the consumer: wait as a standby until its lease may have expired.
      if (error instanceof LeaseHeldError) return { standbyMs: Math.min(leaseTtlMs, Math.max(100, error.expiresAt - clock.now())) };
      if (!(error instanceof SupervisorUnreachableError)) throw error;
      this.#unreachable++;
      if (this.#unreachable === 1)
        logger.warn(`consumer ${consumer} waits for the supervisor, trying again with backoff: ${error.message}`, { consumer, error });
      return { standbyMs: Math.min(leaseTtlMs, 250 * 2 ** Math.min(this.#unreachable - 1, 10)) };
    }
    if (this.#unreachable > 0) logger.info(`consumer ${consumer} reached the supervisor`, { consumer });
    this.#unreachable = 0;
    this.#held(registration.lease, sentAt);
    this.#schedule();
    return registration;
  }

  /**
   * Registers again, keeping the lease at its epoch (after the supervisor restarted and lost its
   * routes). Returns the registration, or undefined if the lease was lost meanwhile.
   */
  async reregister(): Promise<Registration | undefined> {
    const lease = this.#lease;
    if (!lease) return undefined;
    const sentAt = this.#o.clock.now();
    const registration = await this.#o.log.register(this.#o.consumer, this.#o.patterns, this.#o.owner, lease);
    if (registration.lease.epoch !== lease.epoch) {
      this.#o.onLost(new StaleEpochError(lease.resource, lease.epoch, registration.lease.epoch));
      return undefined;
    }
    this.#held(registration.lease, sentAt);
    return registration;
  }

  /** Throws unless the lease is surely still held by the local clock (for a CSS the lease table cannot fence). */
  assertValid(): void {
    if (this.#o.clock.now() < this.#validUntil) return;
    throw new RecqError(
      'LEASE_EXPIRED',
      `consumer ${this.#o.consumer} could not renew its lease in time, so another worker may own it now; it stops writing and registers again`,
    );
  }

  /** Stops renewing; returns the lease that was held. */
  release(): Lease | undefined {
    this.#o.clock.clearTimeout(this.#timer);
    const lease = this.#lease;
    this.#lease = undefined;
    return lease;
  }

  #held(lease: Lease, sentAt: number): void {
    this.#lease = lease;
    this.#validUntil = sentAt + this.#o.leaseTtlMs;
  }

  #schedule(): void {
    const { clock, log, leaseTtlMs, logger } = this.#o;
    this.#timer = clock.setTimeout(
      () => {
        const lease = this.#lease;
        if (!lease) return;
        const sentAt = clock.now();
        log.heartbeat(lease).then(
          (lastRouted) => {
            if (this.#lease !== lease) return;
            this.#validUntil = sentAt + leaseTtlMs;
            this.#schedule();
            this.#o.onRenewed(lastRouted);
          },
          (error: unknown) => {
            if (this.#lease !== lease) return;
            if (error instanceof StaleEpochError) {
              this.#o.onLost(error);
              return;
            }
            logger.warn(`consumer ${this.#o.consumer} could not renew its lease; retrying`, { consumer: this.#o.consumer, error });
            this.#schedule();
          },
        );
      },
      Math.max(1, Math.floor(leaseTtlMs / 3)),
    );
  }
}
