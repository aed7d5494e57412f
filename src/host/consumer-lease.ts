import type { Clock } from '../clock.ts';
import { LeaseExpiredError, LeaseHeldError, type RecqError, StaleEpochError, SupervisorUnreachableError } from '../errors.ts';
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
  /** Another owner has the consumer now (`StaleEpochError`), or may have (`LeaseExpiredError`: not renewed in time). */
  onLost: (error: StaleEpochError | LeaseExpiredError) => void;
  /**
   * Give the consumer up as soon as the lease may have expired without a renewal, rather than
   * at the next checkpoint: where the lease table is in another process (a worker), nothing
   * else would stop a host that cannot reach it from applying events no one else may apply.
   */
  watchdog?: boolean;
  /**
   * The lease an earlier host of this process held on the consumer (it gave the consumer up, or
   * failed): presented at the first registration, so the consumer comes back at its epoch when no
   * other owner took it meanwhile (a new supervisor term adopts it too).
   */
  previous?: Lease | undefined;
}

/**
 * A host's hold on its consumer: it registers (taking the lease and the route), renews the
 * lease every third of its time-to-live, and knows until when, by the local clock, the lease
 * is surely still held: renewals count from when they were sent. One loop of renewals runs
 * from a registration until the release, whatever re-registrations replace the lease on the
 * way; with `watchdog`, a lease not renewed by then is given up (`onLost`).
 */
export class ConsumerLease {
  readonly #o: ConsumerLeaseOptions;
  #lease: Lease | undefined;
  #validUntil = Number.POSITIVE_INFINITY;
  #timer: unknown;
  #watchdog: unknown;
  /** Which loop of renewals is the current one: a release, or a new registration, ends the one before. */
  #loop = 0;
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
      registration = await log.register(consumer, this.#o.patterns, this.#o.owner, this.#o.previous);
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
    this.#o.clock.clearTimeout(this.#timer);
    this.#schedule(++this.#loop);
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
    throw new LeaseExpiredError(this.#o.consumer);
  }

  /** Stops renewing; returns the lease that was held. */
  release(): Lease | undefined {
    this.#loop++;
    this.#o.clock.clearTimeout(this.#timer);
    this.#o.clock.clearTimeout(this.#watchdog);
    const lease = this.#lease;
    this.#lease = undefined;
    return lease;
  }

  #held(lease: Lease, sentAt: number): void {
    this.#lease = lease;
    this.#validUntil = sentAt + this.#o.leaseTtlMs;
    this.#arm();
  }

  /** With `watchdog`: when the lease may lapse unrenewed, it is given up. */
  #arm(): void {
    if (!this.#o.watchdog) return;
    const { clock } = this.#o;
    clock.clearTimeout(this.#watchdog);
    this.#watchdog = clock.setTimeout(
      () => {
        if (!this.#lease) return;
        // A timer may fire a moment before the clock reaches its due time: look again then.
        if (clock.now() < this.#validUntil) return this.#arm();
        this.#o.logger.warn(`consumer ${this.#o.consumer} could not renew its lease within its time-to-live; it stops applying and stands by`, {
          consumer: this.#o.consumer,
        });
        this.#o.onLost(new LeaseExpiredError(this.#o.consumer));
      },
      Math.max(1, this.#validUntil - clock.now()),
    );
  }

  /** The next renewal of loop `loop`, a third of a time-to-live from now. */
  #schedule(loop: number): void {
    this.#timer = this.#o.clock.setTimeout(() => void this.#renew(loop), Math.max(1, Math.floor(this.#o.leaseTtlMs / 3)));
  }

  async #renew(loop: number): Promise<void> {
    const { clock, log, leaseTtlMs, logger, consumer } = this.#o;
    const lease = this.#lease;
    if (!lease || loop !== this.#loop) return;
    const sentAt = clock.now();
    try {
      const lastRouted = await log.heartbeat(lease);
      // A re-registration replaced the lease meanwhile: it renews from here on, this answer is stale.
      if (this.#lease === lease) {
        this.#validUntil = sentAt + leaseTtlMs;
        this.#arm();
        this.#o.onRenewed(lastRouted);
      }
    } catch (error) {
      if (this.#lease === lease && error instanceof StaleEpochError) {
        this.#o.onLost(error);
        return;
      }
      if (this.#lease === lease) logger.warn(`consumer ${consumer} could not renew its lease; retrying`, { consumer, error: error as RecqError });
    }
    if (loop === this.#loop && this.#lease) this.#schedule(loop);
  }
}
