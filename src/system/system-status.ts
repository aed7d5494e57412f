import type { RunnerState } from '../../actors/runner.machine.ts';
import type { SupervisorState } from '../../actors/supervisor.machine.ts';
import type { ConsumerStatus } from '../runner/runner.ts';

/** What runs in this process and how far each consumer got. */
export interface SystemStatus {
  /** The supervisor's state, where this process runs it (it leads the log): `leading`, `degraded`, ... */
  supervisor: SupervisorState | undefined;
  /** The runner's state, where this process runs hosts: `running`, `degraded`, ... */
  runner: RunnerState | undefined;
  head: number;
  consumers: ConsumerStatus[];
}
