import { type Actor, createActor, waitFor } from 'xstate';
import type { RunnerInput } from '../../../actors/runner.machine.ts';
import { type SupervisorState, supervisorMachine, supervisorStateOf } from '../../../actors/supervisor.machine.ts';
import { CommandQueue } from '../../css/commands.ts';
import { ConsumerStore } from '../../css/consumer-store.ts';
import { NotStartedError, StartFailedError } from '../../errors.ts';
import { ComponentRunner } from '../../runner/runner.ts';
import { logLifecycle } from '../lifecycle-lines.ts';
import type { ResolvedOptions } from '../system-options.ts';
import type { Deployment } from './deployment.ts';
import type { Machines } from './machines.ts';

export type { Machines } from './machines.ts';

// A standby is started: it leads once the leader's liveness lapses.
const SETTLED_STATES: readonly SupervisorState[] = ['leading', 'standby', 'degraded', 'stopping', 'stopped', 'failed'];
const ENDED_STATES: readonly SupervisorState[] = ['stopped', 'failed'];

/** The supervisor's state now, flattened. */
export const supervisorState = (supervisor: Actor<typeof supervisorMachine>): SupervisorState => supervisorStateOf(supervisor.getSnapshot().value);

/**
 * Builds this process's machines on a deployment: the runner for the components (with their
 * stores in the deployment's file), and the supervisor if the deployment leads the log here.
 * Embedded, the supervisor runs the runner as its child; in a worker the runner runs alone.
 */
export function buildMachines(deployment: Deployment, o: ResolvedOptions): Machines {
  const { db, node } = deployment;
  let runner: ComponentRunner | undefined;
  const { commits } = deployment;
  if (commits) {
    const embedded = deployment.role === 'embedded';
    runner = new ComponentRunner({
      options: o,
      store: new ConsumerStore(db, commits.sink, o.clock),
      log: deployment.hostLog,
      transport: deployment.transport,
      commits,
      commands: new CommandQueue(db, o.clock),
      // Embedded, `settled` commits the appends waiting in the log's group commit first.
      ...(embedded && node ? { flushLog: () => node.log.flush() } : {}),
    });
  }
  const supervisor = node
    ? createActor(supervisorMachine, {
        clock: o.clock,
        input: {
          work: node,
          runner: runner?.input ?? noHosts(o),
          setTimeout: (fn, ms) => o.clock.setTimeout(fn, ms),
          clearTimeout: (id) => o.clock.clearTimeout(id),
          report: (report) => o.logger[report.level](report.message, report.error === undefined ? {} : { error: report.error }),
        },
      })
    : undefined;
  return { supervisor, runner };
}

/**
 * Starts the machines and resolves once every consumer is live (or standing by). Rejects with
 * the reason the log could not be opened, or the first host's start error.
 */
export async function startMachines(
  { supervisor, runner }: Machines,
  deployment: Deployment,
  o: ResolvedOptions,
  onSupervisor: (state: SupervisorState) => void,
): Promise<void> {
  if (!supervisor) {
    await runner?.start(o.clock);
    if (runner) runner.onState(logLifecycle(deployment.role, o));
    return;
  }
  let last: SupervisorState | undefined;
  let lifecycle: ((state: string) => void) | undefined;
  supervisor.subscribe({
    // Every group commit is an event of the supervisor: report only the changes of state.
    next: (snapshot) => {
      const state = supervisorStateOf(snapshot.value);
      if (state === last) return;
      last = state;
      deployment.node?.recordState(state);
      onSupervisor(state);
      lifecycle?.(state);
    },
    error: () => {},
  });
  supervisor.start();
  await waitFor(supervisor, (snapshot) => SETTLED_STATES.includes(supervisorStateOf(snapshot.value)));
  const state = supervisorState(supervisor);
  if (state === 'failed' || state === 'stopped') {
    const error = supervisor.getSnapshot().context.error;
    if (error instanceof Error) throw error;
    throw new StartFailedError('the supervisor', error);
  }
  await runner?.started();
  lifecycle = logLifecycle(deployment.role, o);
}

/** Stops the machines gracefully: the hosts take their last checkpoints, then the log closes. */
export async function stopMachines({ supervisor, runner }: Machines): Promise<void> {
  if (!supervisor) {
    await runner?.stop();
    return;
  }
  if (supervisor.getSnapshot().status === 'active') {
    supervisor.send({ type: 'stop' });
    await waitFor(supervisor, (snapshot) => ENDED_STATES.includes(supervisorStateOf(snapshot.value))).catch(() => {});
  }
  supervisor.stop();
}

/** Stops at once, committing nothing, as a crash would. */
export async function haltMachines({ supervisor, runner }: Machines, deployment: Deployment): Promise<void> {
  runner?.halt();
  supervisor?.stop();
  await deployment.node?.halt();
}

/** A distributed supervisor runs no components: its runner has no hosts. */
function noHosts(o: ResolvedOptions): RunnerInput {
  return {
    consumers: [],
    policy: o.restart,
    now: () => o.clock.now(),
    random: o.random,
    createWork: (consumer) => {
      throw new NotStartedError(`the host of ${consumer}`, 'this process runs no components');
    },
    report: () => {},
  };
}
