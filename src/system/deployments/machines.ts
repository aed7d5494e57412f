import type { Actor } from 'xstate';
import type { supervisorMachine } from '../../../actors/supervisor.machine.ts';
import type { ComponentRunner } from '../../runner/runner.ts';

/** The machines a system runs in this process: the supervisor (where it leads the log), the runner (where it runs hosts), or both. */
export interface Machines {
  supervisor: Actor<typeof supervisorMachine> | undefined;
  runner: ComponentRunner | undefined;
}
