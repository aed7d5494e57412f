import type { EmitSink } from '../css/records.ts';
import type { StaleEpochError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Relay } from './relay.ts';

/** The lease a host holds on its consumer, as a fence checks it. */
export interface HeldLease {
  /** The lease, while the host holds one. */
  readonly current: Lease | undefined;
  /** Throws unless the lease is surely still held by the local clock (renewals count from when they were sent). */
  assertValid(): void;
}

/** What a host's relay tells it. */
export interface RelayHooks {
  /** The log refused the relay's lease: another owner has the consumer now. */
  onFenced: (error: StaleEpochError) => void;
  /** The outbox is empty, so waiters can look again. */
  onDrained: () => void;
}

/**
 * Where a host's checkpoints go, as its deployment gives it. Embedded, what a checkpoint emits
 * goes into the log itself, and the fence checks the lease table in the same file and
 * transaction. Distributed, it goes into the worker's outbox, which a relay moves to the log
 * under the lease, and the fence can only ask whether the lease may have expired unrenewed.
 */
export interface CommitPort {
  /** Takes a checkpoint's emitted events inside the checkpoint's own transaction. */
  readonly sink: EmitSink;
  /** The check every checkpoint (and a replay's reset) of the host holding `held` runs first inside its transaction: it throws unless the consumer is still the host's. */
  fence(held: HeldLease): () => void;
  /** The relay that moves `consumer`'s emitted events from the outbox to the log; absent where the sink is the log. */
  relay?(consumer: string, hooks: RelayHooks): Relay;
  /** Emitted events of `consumer` committed but not yet in the log; absent where the sink is the log. */
  pending?(consumer: string): number;
  /**
   * True where the lease table is in another process: a host then gives its consumer up (and
   * stands by) as soon as its lease may have lapsed unrenewed, instead of at its next checkpoint.
   */
  readonly leaseWatchdog?: boolean;
}
