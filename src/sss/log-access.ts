import type { AppendInput, AppendResult, Envelope } from '../envelope.ts';
import type { Lease } from '../lease.ts';
import type { ReadQuery } from './event-log.ts';
import type { SupervisorRecord } from './tables/supervisor-state.ts';

/** What a host gets back when it registers a consumer with the supervisor. */
export interface Registration {
  /** The consumer's lease; its epoch fences the host's commits. */
  lease: Lease;
  /** The log head when the route was registered: live deliveries start after it. */
  watermark: number;
}

/**
 * A host's access to the SSS: direct calls in the embedded deployment, request/reply to the
 * supervisor in the distributed one. Every call may be retried: reads and registrations are
 * safe to repeat, and heartbeats carry the epoch they renew.
 */
/** The log head, the last seq routed to each registered consumer, and the leases. */
export interface RouteState {
  head: number;
  routes: Record<string, number>;
  leases: Lease[];
  /** The supervisor that answered, and its state (`leading`, `degraded`, ...). */
  supervisor?: SupervisorRecord;
}

export interface LogAccess {
  /**
   * Appends events: a producer's (no lease), or a relay's from a consumer's outbox, fenced by
   * that consumer's lease (`StaleEpochError` if another owner has it now).
   */
  append(inputs: readonly AppendInput[], lease?: Lease): Promise<AppendResult[]>;
  /** Reads up to `limit` events; fewer than `limit` means the range is exhausted. */
  read(query: ReadQuery): Promise<Envelope[]>;
  head(): Promise<number>;
  routes(): Promise<RouteState>;
  /**
   * Takes the consumer's lease and starts routing its topics to it. With `current` (a lease
   * this owner still holds), the lease is kept at its epoch: a registration again after the
   * supervisor restarted.
   */
  register(consumer: string, patterns: readonly string[], owner: string, current?: Lease): Promise<Registration>;
  /**
   * Renews the lease and returns the seq of the last event routed to the consumer, so a host
   * that lost the last deliveries can tell. Rejects with `StaleEpochError` if another owner
   * has taken the lease.
   */
  heartbeat(lease: Lease): Promise<number>;
  /** Stops routing to the consumer and gives its lease up. */
  unregister(lease: Lease): Promise<void>;
}
