import type { Envelope } from '../envelope.ts';
import type { EventLog, ReadQuery } from '../sss/event-log.ts';
import type { LogAccess, Registration } from '../sss/log-access.ts';
import type { Lease, LeaseTable } from './leases.ts';
import type { Router } from './router.ts';

/** The embedded deployment's log access: direct calls into the supervisor's log, leases and router. */
export class LocalLogAccess implements LogAccess {
  readonly #log: EventLog;
  readonly #leases: LeaseTable;
  readonly #router: Router;
  readonly #leaseTtlMs: number;

  constructor(log: EventLog, leases: LeaseTable, router: Router, leaseTtlMs: number) {
    this.#log = log;
    this.#leases = leases;
    this.#router = router;
    this.#leaseTtlMs = leaseTtlMs;
  }

  async read(query: ReadQuery): Promise<Envelope[]> {
    return this.#log.read(query);
  }

  async head(): Promise<number> {
    return this.#log.head();
  }

  async register(consumer: string, patterns: readonly string[], owner: string): Promise<Registration> {
    const lease = this.#leases.acquire(consumerResource(consumer), owner, this.#leaseTtlMs);
    const watermark = this.#log.head();
    this.#router.register(consumer, patterns, watermark);
    return { lease, watermark };
  }

  async heartbeat(lease: Lease): Promise<number> {
    this.#leases.renew(lease, this.#leaseTtlMs);
    return this.#router.lastRouted(consumerOf(lease)) ?? 0;
  }

  async unregister(lease: Lease): Promise<void> {
    // A stale owner must not remove the route of the one that took over.
    this.#leases.assertCurrent(lease);
    this.#router.unregister(consumerOf(lease));
    this.#leases.release(lease);
  }
}

/** The lease resource name of a consumer. */
export const consumerResource = (consumer: string): string => `consumer:${consumer}`;
const consumerOf = (lease: Lease): string => lease.resource.slice('consumer:'.length);
