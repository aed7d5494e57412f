import type { CommandQueue } from '../css/commands.ts';
import type { ConsumerStore } from '../css/consumer-store.ts';
import type { Outbox } from '../css/outbox.ts';
import type { Lease } from '../lease.ts';
import type { LogAccess } from '../sss/log-access.ts';
import type { ResolvedOptions } from '../system-options.ts';
import type { Transport } from '../transport/transport.ts';

/** What a runner runs its hosts with: the options, the consumer store, how they reach the log, and what fences their checkpoints. */
export interface RunnerOptions {
  options: ResolvedOptions;
  store: ConsumerStore;
  log: LogAccess;
  transport: Transport;
  /** Distributed: emitted events wait here until a relay appends them to the log. */
  outbox?: Outbox;
  commands?: CommandQueue;
  /** A check, inside each checkpoint transaction, that a consumer's lease is still held. */
  fence: (lease: Lease) => (() => void) | undefined;
  /** Commits appends waiting in the log's group commit (embedded), so `settled` sees them. */
  flushLog?: () => void;
}
