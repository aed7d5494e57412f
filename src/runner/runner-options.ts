import type { RestartPolicy } from '../../actors/runner.machine.ts';
import type { Clock } from '../clock.ts';
import type { CheckpointPolicy, Component } from '../component/component.ts';
import type { RetryPolicy } from '../component/retry-policy.ts';
import type { CommandQueue } from '../css/commands.ts';
import type { ConsumerStore } from '../css/consumer-store.ts';
import type { Outbox } from '../css/outbox.ts';
import type { InspectionListener } from '../inspect/inspect-option.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { Probe } from '../metrics/probe.ts';
import type { LogAccess } from '../sss/log-access.ts';
import type { Transport } from '../transport/transport.ts';

/** The system's settings a runner and its hosts run with (the resolved `SystemOptions` satisfy them). */
export interface RunnerSettings {
  components: readonly Component[];
  clock: Clock;
  random: () => number;
  logger: Logger;
  inspect: InspectionListener | undefined;
  /** This process's name in leases. */
  owner: string;
  maxPayloadBytes: number;
  checkpoint: CheckpointPolicy;
  passivateAfterMs: number;
  leaseTtlMs: number;
  restart: RestartPolicy;
  retry: RetryPolicy;
  readPageSize: number;
  /** What hosts report to (the metrics). */
  probe: Probe;
}

/** What a runner runs its hosts with: the options, the consumer store, how they reach the log, and what fences their checkpoints. */
export interface RunnerOptions {
  options: RunnerSettings;
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
