import type { Clock } from '../clock.ts';
import type { CheckpointPolicy, Component } from '../component/component.ts';
import type { RetryPolicy } from '../component/retry-policy.ts';
import type { CommandQueue } from '../css/commands.ts';
import type { ConsumerStore } from '../css/consumer-store.ts';
import type { InspectionListener } from '../inspect/inspect-option.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { ConsumerProbe } from '../metrics/probe.ts';
import type { LogAccess } from '../sss/log-access.ts';
import type { Transport } from '../transport/transport.ts';
import type { CommitPort } from './commit-port.ts';

/** Everything a `ComponentHost` is built from: its component and consumer, the stores and log it uses, and its policies. */
export interface HostOptions {
  component: Component;
  consumer: string;
  owner: string;
  store: ConsumerStore;
  log: LogAccess;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  checkpoint: CheckpointPolicy;
  retry: RetryPolicy;
  random: () => number;
  passivateAfterMs: number;
  leaseTtlMs: number;
  readPageSize: number;
  maxPayloadBytes: number;
  /** Where checkpoints go: the deployment's emit sink, fence and relay. */
  commits: CommitPort;
  /** The lease the previous host of this consumer in this process held, presented at registration. */
  previousLease?: Lease | undefined;
  /** Called after each batch and each checkpoint, so waiters can look again. */
  onProgress: () => void;
  /** Where every actor's inspection events go (the system's `inspect` option). */
  inspect?: InspectionListener;
  /** Operator commands queued from other processes (the CLI); run after restore and on each heartbeat. */
  commands?: CommandQueue;
  /** Hears of applied events, failures, retries, dead letters and checkpoints (the metrics). */
  probe?: ConsumerProbe;
}
