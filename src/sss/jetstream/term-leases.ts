import type { Clock } from '../../clock.ts';
import type { SqliteDatabase } from '../../db.ts';
import { LeaseHeldError } from '../../errors.ts';
import type { Lease } from '../../lease.ts';
import { LeaseTable } from '../lease-table.ts';
import { readLease, storeLease } from '../tables/leases.ts';

/** Consumer lease epochs of one leader's term start here, above every epoch an earlier term could have given. */
const EPOCHS_PER_TERM = 2 ** 20;

/**
 * The consumers' leases as a leader of a shared stream holds them. They live in this
 * supervisor's own file, so a new leader starts its term knowing none: it forgets what it
 * held in an earlier term, adopts the lease a host re-registers, renews or appends with
 * (the hosts of the previous leader keep their consumers, at their epochs), and for one lease time-to-live
 * refuses to give a consumer nobody re-registered to another host, so the host that owned it
 * can claim it back first. Epochs it gives from scratch start above any earlier term's.
 */
export class TermLeaseTable extends LeaseTable {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  #epochBase = 0;
  #graceUntil = 0;
  #graceMs = 0;

  constructor(db: SqliteDatabase, clock: Clock, onTakeOver?: (held: Lease) => void) {
    super(db, clock, onTakeOver);
    this.#db = db;
    this.#clock = clock;
  }

  /** Starts the term of the leader at `epoch`; `graceMs` is the consumers' lease time-to-live. */
  beginTerm(epoch: number, graceMs: number): void {
    this.#db.prepare("DELETE FROM leases WHERE resource LIKE 'consumer:%'").run();
    this.#epochBase = epoch * EPOCHS_PER_TERM;
    this.#graceMs = graceMs;
    // The first leader of a stream has no predecessor whose hosts could claim anything back.
    this.#graceUntil = epoch > 1 ? this.#clock.now() + graceMs : 0;
  }

  override acquire(resource: string, owner: string, ttlMs: number): Lease {
    if (!readLease(this.#db, resource)) {
      if (this.#clock.now() < this.#graceUntil) throw new LeaseHeldError(resource, 'the host that held it under the previous leader', this.#graceUntil);
      storeLease(this.#db, { resource, owner: '', epoch: this.#epochBase, expiresAt: 0 });
    }
    return super.acquire(resource, owner, ttlMs);
  }

  override reacquire(current: Lease, ttlMs: number): Lease {
    const held = readLease(this.#db, current.resource);
    // A relay's append may have adopted the epoch first, not knowing the owner.
    if (held && !(held.owner === '' && held.epoch === current.epoch)) return super.reacquire(current, ttlMs);
    return this.#adopt(current, ttlMs);
  }

  /** A heartbeat with a lease this term has not seen: the host held it under the previous leader. */
  override renew(lease: Lease, ttlMs: number): void {
    if (!readLease(this.#db, lease.resource)) {
      lease.expiresAt = this.#adopt(lease, ttlMs).expiresAt;
      return;
    }
    super.renew(lease, ttlMs);
  }

  override assertCurrent(lease: Lease): void {
    if (!readLease(this.#db, lease.resource)) this.#adopt(lease, this.#graceMs);
    else super.assertCurrent(lease);
  }

  #adopt(lease: Lease, ttlMs: number): Lease {
    const adopted: Lease = { ...lease, expiresAt: this.#clock.now() + ttlMs };
    storeLease(this.#db, adopted);
    return adopted;
  }
}
