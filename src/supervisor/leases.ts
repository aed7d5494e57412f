import type { Statement } from 'better-sqlite3';
import type { Clock } from '../clock.ts';
import type { SqliteDatabase } from '../db.ts';
import { LeaseHeldError, StaleEpochError } from '../errors.ts';
import type { Lease } from '../lease.ts';

interface LeaseRow {
  owner: string;
  epoch: number;
  expires_at: number;
}

/**
 * Leases with epochs, stored next to the log. A resource (the log itself, or one consumer)
 * has at most one live owner; each acquisition raises the epoch, and writes carrying an
 * older epoch are refused with `StaleEpochError`.
 */
export class LeaseTable {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  readonly #get: Statement;
  readonly #upsert: Statement;
  readonly #renew: Statement;
  readonly #release: Statement;

  constructor(db: SqliteDatabase, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    db.exec(`
      CREATE TABLE IF NOT EXISTS leases (
        resource TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `);
    this.#get = db.prepare('SELECT owner, epoch, expires_at FROM leases WHERE resource = ?');
    this.#upsert = db.prepare(
      'INSERT INTO leases (resource, owner, epoch, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, expires_at = excluded.expires_at',
    );
    this.#renew = db.prepare('UPDATE leases SET expires_at = ? WHERE resource = ? AND epoch = ?');
    this.#release = db.prepare('UPDATE leases SET expires_at = 0 WHERE resource = ? AND epoch = ?');
  }

  /**
   * Takes the lease on `resource` for `ttlMs`, raising its epoch. Throws `LeaseHeldError`
   * while another owner's lease is unexpired.
   */
  acquire(resource: string, owner: string, ttlMs: number): Lease {
    return this.#db
      .transaction(() => {
        const now = this.#clock.now();
        const row = this.#get.get(resource) as LeaseRow | undefined;
        if (row && row.owner !== owner && row.expires_at > now) throw new LeaseHeldError(resource, row.owner, row.expires_at);
        const lease: Lease = { resource, owner, epoch: (row?.epoch ?? 0) + 1, expiresAt: now + ttlMs };
        this.#upsert.run(resource, owner, lease.epoch, lease.expiresAt);
        return lease;
      })
      .immediate();
  }

  /**
   * Takes the lease again for an owner that still holds `current` (same epoch): it is renewed
   * without raising the epoch. Otherwise it is acquired as usual.
   */
  reacquire(current: Lease, ttlMs: number): Lease {
    const row = this.#get.get(current.resource) as LeaseRow | undefined;
    if (row && row.epoch === current.epoch && row.owner === current.owner) {
      this.renew(current, ttlMs);
      return current;
    }
    return this.acquire(current.resource, current.owner, ttlMs);
  }

  /** Extends a held lease. Throws `StaleEpochError` if another owner has taken it since. */
  renew(lease: Lease, ttlMs: number): void {
    const expiresAt = this.#clock.now() + ttlMs;
    if (this.#renew.run(expiresAt, lease.resource, lease.epoch).changes === 0) this.#stale(lease);
    lease.expiresAt = expiresAt;
  }

  /** Throws `StaleEpochError` unless `lease` is still the current epoch of its resource. */
  assertCurrent(lease: Lease): void {
    const row = this.#get.get(lease.resource) as LeaseRow | undefined;
    if (!row || row.epoch !== lease.epoch) this.#stale(lease);
  }

  /** Gives the lease up so another owner may take it at once. */
  release(lease: Lease): void {
    this.#release.run(lease.resource, lease.epoch);
  }

  /** Every lease, for status views. */
  list(): Lease[] {
    return (this.#db.prepare('SELECT resource, owner, epoch, expires_at FROM leases ORDER BY resource').all() as (LeaseRow & { resource: string })[]).map(
      (row) => ({ resource: row.resource, owner: row.owner, epoch: row.epoch, expiresAt: row.expires_at }),
    );
  }

  #stale(lease: Lease): never {
    const row = this.#get.get(lease.resource) as LeaseRow | undefined;
    throw new StaleEpochError(lease.resource, lease.epoch, row?.epoch ?? 0);
  }
}
