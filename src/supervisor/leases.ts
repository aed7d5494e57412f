import type { Clock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import { LeaseHeldError, StaleEpochError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import { ownerIsGone } from '../owner.ts';
import { createLeasesTable, expireLease, extendLease, listLeases, readLease, storeLease } from '../sss/tables/leases.ts';

/**
 * Leases with epochs, stored next to the log. A resource (the log itself, or one consumer)
 * has at most one live owner; each acquisition raises the epoch, and writes carrying an
 * older epoch are refused with `StaleEpochError`.
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
      const lease: Lease = { resource, owner, epoch: (held?.epoch ?? 0) + 1, expiresAt: now + ttlMs };
      storeLease(db, lease);
      return lease;
    }).immediate;
  }

  /**
   * Takes the lease on `resource` for `ttlMs`, raising its epoch. Throws `LeaseHeldError`
   * while another owner's lease is unexpired, unless that owner's process is gone.
   */
  acquire(resource: string, owner: string, ttlMs: number): Lease {
    return this.#acquire(resource, owner, ttlMs);
  }

  /**
   * Takes the lease again for an owner that still holds `current` (same epoch): it is renewed
   * without raising the epoch. Otherwise it is acquired as usual.
   */
  reacquire(current: Lease, ttlMs: number): Lease {
    const held = readLease(this.#db, current.resource);
    if (held && held.epoch === current.epoch && held.owner === current.owner) {
      this.renew(current, ttlMs);
      return current;
    }
    return this.acquire(current.resource, current.owner, ttlMs);
  }

  /** Extends a held lease. Throws `StaleEpochError` if another owner has taken it since. */
  renew(lease: Lease, ttlMs: number): void {
    const expiresAt = this.#clock.now() + ttlMs;
    if (!extendLease(this.#db, lease.resource, lease.epoch, expiresAt)) this.#stale(lease);
    lease.expiresAt = expiresAt;
  }

  /** Throws `StaleEpochError` unless `lease` is still the current epoch of its resource. */
  assertCurrent(lease: Lease): void {
    if (readLease(this.#db, lease.resource)?.epoch !== lease.epoch) this.#stale(lease);
  }

  /** Gives the lease up so another owner may take it at once. */
  release(lease: Lease): void {
    expireLease(this.#db, lease.resource, lease.epoch);
  }

  /** Every lease, for status views. */
  list(): Lease[] {
    return listLeases(this.#db);
  }

  #stale(lease: Lease): never {
    throw new StaleEpochError(lease.resource, lease.epoch, readLease(this.#db, lease.resource)?.epoch ?? 0);
  }
}
