import type { RestartPolicy } from '../../actors/runner.machine.ts';
import type { Clock } from '../clock.ts';
import type { CheckpointPolicy, Component } from '../component/component.ts';
import type { RetryPolicy } from '../component/retry-policy.ts';
import type { CommandQueue } from '../css/commands.ts';
import type { ConsumerStore } from '../css/consumer-store.ts';
import type { CommitPort } from '../host/commit-port.ts';
import type { InspectionListener } from '../inspect/inspect-option.ts';
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

/** What a runner runs its hosts with: the settings, the consumer store, how they reach the log, and where their checkpoints go. */
export interface RunnerOptions {
  options: RunnerSettings;
  store: ConsumerStore;
  log: LogAccess;
  transport: Transport;
  /** Where the hosts' checkpoints go: the deployment's emit sink, fence and relay. */
  commits: CommitPort;
  commands?: CommandQueue;
  /** Commits appends waiting in the log's group commit (embedded), so `settled` sees them. */
  flushLog?: () => void;
}
