import type { Clock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import { LeaseHeldError, LeaseNotHeldError, StaleEpochError } from '../errors.ts';
import { type Lease, newLeaseToken, presentsHolder, publicLease } from '../lease.ts';
import { ownerIsGone } from '../owner.ts';
import { createLeasesTable, expireLease, extendLease, listLeases, readLease, storeLease } from './tables/leases.ts';

/**
 * Leases with epochs, stored next to the log. A resource (the log itself, or one consumer)
 * has at most one live owner; each acquisition raises the epoch and draws a new secret token,
 * and writes carrying an older epoch are refused with `StaleEpochError`, those carrying the
 * current epoch without its owner and token with `LeaseNotHeldError`.
 */
export class LeaseTable {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  readonly #acquire: (resource: string, owner: string, ttlMs: number) => Lease;

  /**
   * `onTakeOver` hears of each unexpired lease taken from an owner whose process is gone (it
   * ran on this machine and crashed): such a lease is taken at once instead of waited out.
   */
  constructor(db: SqliteDatabase, clock: Clock, onTakeOver: (held: Lease) => void = () => {}) {
    this.#db = db;
    this.#clock = clock;
    createLeasesTable(db);
    this.#acquire = db.transaction((resource: string, owner: string, ttlMs: number) => {
      const now = this.#clock.now();
      const held = readLease(db, resource);
      if (held && held.owner !== owner && held.expiresAt > now) {
        if (!ownerIsGone(held.owner)) throw new LeaseHeldError(resource, held.owner, held.expiresAt);
        onTakeOver(held);
      }
      const lease: Lease = { resource, owner, epoch: (held?.epoch ?? 0) + 1, expiresAt: now + ttlMs, token: newLeaseToken() };
      storeLease(db, lease);
      return lease;
    }).immediate;
  }

  /**
   * Takes the lease on `resource` for `ttlMs`, raising its epoch; the lease returned carries
   * its new token. Throws `LeaseHeldError` while another owner's lease is unexpired, unless
   * that owner's process is gone.
   */
  acquire(resource: string, owner: string, ttlMs: number): Lease {
    return this.#acquire(resource, owner, ttlMs);
  }

  /**
   * Takes the lease again for an owner that still holds `current` (same epoch, owner and
   * token): it is renewed without raising the epoch. Otherwise it is acquired as usual.
   */
  reacquire(current: Lease, ttlMs: number): Lease {
    const held = readLease(this.#db, current.resource);
    if (held && held.epoch === current.epoch && presentsHolder(held, current)) {
      this.renew(current, ttlMs);
      return current;
    }
    return this.acquire(current.resource, current.owner, ttlMs);
  }

  /**
   * Extends a held lease. Throws `StaleEpochError` if another owner has taken it since, and
   * `LeaseNotHeldError` if `lease` names the current epoch without its owner and token.
   */
  renew(lease: Lease, ttlMs: number): void {
    this.assertCurrent(lease);
    const expiresAt = this.#clock.now() + ttlMs;
    if (!extendLease(this.#db, lease.resource, lease.epoch, expiresAt)) this.#stale(lease);
    lease.expiresAt = expiresAt;
  }

  /** Throws unless `lease` is the current epoch of its resource, presented by its holder (owner and token). */
  assertCurrent(lease: Lease): void {
    const held = readLease(this.#db, lease.resource);
    if (held?.epoch !== lease.epoch) this.#stale(lease);
    if (!presentsHolder(held, lease)) throw new LeaseNotHeldError(lease.resource, lease.epoch, lease.owner);
  }

  /** Gives the lease up so another owner may take it at once; refused, as `assertCurrent` is, unless its holder asks. */
  release(lease: Lease): void {
    const held = readLease(this.#db, lease.resource);
    if (held?.epoch !== lease.epoch) return;
    if (!presentsHolder(held, lease)) throw new LeaseNotHeldError(lease.resource, lease.epoch, lease.owner);
    expireLease(this.#db, lease.resource, lease.epoch);
  }

  /**
   * Resolves once `lease`, as granted, would survive this supervisor: at once here, where the
   * grant is in the file next to the log, written in the transaction that took it.
   */
  whenDurable(_lease: Lease): Promise<void> {
    return Promise.resolve();
  }

  /** Every lease, for status views: without their tokens. */
  list(): Lease[] {
    return listLeases(this.#db).map(publicLease);
  }

  #stale(lease: Lease): never {
    throw new StaleEpochError(lease.resource, lease.epoch, readLease(this.#db, lease.resource)?.epoch ?? 0);
  }
}
