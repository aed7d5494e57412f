import type { Clock } from '../../clock.ts';
import type { SqliteDatabase } from '../../db.ts';
import { NotLeadingError } from '../../errors.ts';
import { type Lease, leaseProof } from '../../lease.ts';
import { LeaseTable } from '../lease-table.ts';
import { readLease, storeLease } from '../tables/leases.ts';
import type { LeaseEntry } from './stream-record.ts';

/** Consumer lease epochs a term gives to a consumer the stream has no lease of start here, above every epoch an earlier term could have given. */
const EPOCHS_PER_TERM = 2 ** 20;

/** How a term writes its consumers' leases into the log's stream: resolves once the record is acknowledged. */
export type LeaseJournal = (entry: LeaseEntry) => Promise<unknown>;

/**
 * The consumers' leases as a leader of a shared stream holds them. Every grant and every
 * release is a lease record in the stream (owner, epoch and a proof of the token), and a
 * grant is answered only once its record is acknowledged, so a new leader knows every lease
 * the previous ones gave: it starts its term from them (`beginTerm`), giving each holder one
 * time-to-live to renew with it. A lease the stream does not hold is refused, never adopted,
 * and an epoch never goes back. Only a leader grants: between terms `acquire` refuses with
 * `NotLeadingError`.
 */
export class TermLeaseTable extends LeaseTable {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  #epochBase = 0;
  #journal: LeaseJournal | undefined;
  #term = 0;
  /** Per consumer, the record of its newest grant while it is not acknowledged yet. */
  readonly #pending = new Map<string, Promise<unknown>>();

  constructor(db: SqliteDatabase, clock: Clock) {
    super(db, clock);
    this.#db = db;
    this.#clock = clock;
  }

  /**
   * Starts the term of the leader at `epoch`: the consumers' leases are the stream's
   * (`restored`), each held for `graceMs` more, and every grant or release from now on is
   * written with `journal`.
   */
  beginTerm(epoch: number, graceMs: number, restored: readonly LeaseEntry[], journal: LeaseJournal): void {
    const expiresAt = this.#clock.now() + graceMs;
    this.#db.transaction(() => {
      this.#db.prepare("DELETE FROM leases WHERE resource LIKE 'consumer:%'").run();
      for (const entry of restored) {
        storeLease(this.#db, {
          resource: entry.resource,
          owner: entry.owner,
          epoch: entry.epoch,
          expiresAt: entry.released ? 0 : expiresAt,
          token: entry.proof,
        });
      }
    })();
    this.#term = epoch;
    this.#epochBase = epoch * EPOCHS_PER_TERM;
    this.#journal = journal;
    this.#pending.clear();
  }

  /** The term ended (this leader was deposed or stopped): nothing is granted until the next one. */
  endTerm(): void {
    this.#journal = undefined;
    this.#pending.clear();
  }

  override acquire(resource: string, owner: string, ttlMs: number): Lease {
    const journal = this.#journal;
    if (!journal) throw new NotLeadingError(`grant the lease on ${resource}`, this.#term, 'it stands by');
    if (!readLease(this.#db, resource)) storeLease(this.#db, { resource, owner: '', epoch: this.#epochBase, expiresAt: 0 });
    const lease = super.acquire(resource, owner, ttlMs);
    const written = journal({ resource, owner, epoch: lease.epoch, proof: leaseProof(lease.token), released: false, time: this.#clock.now() });
    this.#pending.set(resource, written);
    const settle = () => {
      if (this.#pending.get(resource) === written) this.#pending.delete(resource);
    };
    written.then(settle, settle);
    return lease;
  }

  /** Resolves once the stream holds the grant of `lease` (or a later one of its consumer); rejects if it could not be written. */
  override async whenDurable(lease: Lease): Promise<void> {
    await this.#pending.get(lease.resource);
  }

  override release(lease: Lease): void {
    const held = readLease(this.#db, lease.resource);
    super.release(lease);
    if (!held || held.epoch !== lease.epoch || !this.#journal) return;
    // Not waited for: a release the stream missed costs the next owner one time-to-live, nothing more.
    this.#journal({
      resource: lease.resource,
      owner: lease.owner,
      epoch: lease.epoch,
      proof: leaseProof(lease.token),
      released: true,
      time: this.#clock.now(),
    }).catch(() => {});
  }
}
