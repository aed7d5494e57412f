import type { AppendInput, AppendResult, Envelope } from '../envelope.ts';
import { consumerOf, consumerResource, type Lease } from '../lease.ts';
import { assertAppendable } from '../topic.ts';
import type { EventLog, ReadQuery } from './event-log.ts';
import type { LeaseTable } from './lease-table.ts';
import type { LogAccess, Registration, RouteState } from './log-access.ts';
import type { Router } from './router.ts';
import type { SupervisorRecord } from './tables/supervisor-state.ts';

/**
 * Direct calls into the supervisor's log, leases and router: how hosts in the supervisor's
 * process reach the log, and what its log service answers other processes' requests with.
 */
export class LocalLogAccess implements LogAccess {
  readonly #log: EventLog;
  readonly #leases: LeaseTable;
  readonly #router: Router;
  readonly #leaseTtlMs: number;

  readonly #supervisor: () => SupervisorRecord | undefined;

  /** `supervisor` tells which process serves the log and its state, for status views. */
  constructor(log: EventLog, leases: LeaseTable, router: Router, leaseTtlMs: number, supervisor: () => SupervisorRecord | undefined = () => undefined) {
    this.#supervisor = supervisor;
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

  async routes(): Promise<RouteState> {
    const supervisor = this.#supervisor();
    return { head: this.#log.head(), routes: this.#router.routes(), leases: this.#leases.list(), ...(supervisor ? { supervisor } : {}) };
  }

  async append(inputs: readonly AppendInput[], lease?: Lease): Promise<AppendResult[]> {
    const appender = lease && consumerOf(lease.resource);
    for (const input of inputs) {
      const topic = (input as { topic?: unknown } | null)?.topic;
      if (typeof topic === 'string') assertAppendable(topic, appender);
    }
    if (!lease) return this.#log.appendMany(inputs);
    // A relay's or a host's appends are fenced by its lease, checked in the transaction that inserts them.
    return this.#log.appendMany(inputs, () => this.#leases.assertCurrent(lease));
  }

  async register(consumer: string, patterns: readonly string[], owner: string, current?: Lease): Promise<Registration> {
    const resource = consumerResource(consumer);
    const lease =
      current && current.resource === resource && current.owner === owner
        ? this.#leases.reacquire(current, this.#leaseTtlMs)
        : this.#leases.acquire(resource, owner, this.#leaseTtlMs);
    // Answered only once the grant would outlive this supervisor: its successor knows the lease.
    await this.#leases.whenDurable(lease);
    const watermark = this.#log.head();
    this.#router.register(consumer, patterns, watermark);
    return { lease, watermark };
  }

  async heartbeat(lease: Lease): Promise<number> {
    this.#leases.renew(lease, this.#leaseTtlMs);
    return this.#router.lastRouted(consumerOf(lease.resource) ?? '') ?? 0;
  }

  async unregister(lease: Lease): Promise<void> {
    // A stale owner must not remove the route of the one that took over.
    this.#leases.assertCurrent(lease);
    this.#router.unregister(consumerOf(lease.resource) ?? '');
    this.#leases.release(lease);
  }
}
