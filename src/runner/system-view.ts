import { createStore } from '@xstate/store';
import type { RunnerState } from '../../actors/runner.machine.ts';
import type { SupervisorState } from '../../actors/supervisor.machine.ts';
import type { HostState } from '../css/consumer-store.ts';

/** One consumer as the live view shows it. */
export interface ConsumerView {
  consumer: string;
  hostState: HostState;
  offset: number;
  committedOffset: number;
  /** Events routed to the consumer and not yet applied. */
  lag: number;
  activeActors: number;
  deadLetters: number;
  restarts: number;
  lastError: string | undefined;
}

export interface SystemViewContext {
  /** The supervisor's state, where this process runs it. */
  supervisor: SupervisorState | undefined;
  /** The runner's state (the hosts of this process), where it runs any. */
  runner: RunnerState | undefined;
  head: number;
  consumers: Record<string, ConsumerView>;
}

/**
 * The supervisor's live view of the system (`@xstate/store`): what `recq status`, dashboards
 * and tests subscribe to. It is updated per batch and per checkpoint, never per event.
 *
 * @example
 * system.view.subscribe((snapshot) => render(snapshot.context.consumers));
 */
export function createSystemView() {
  return createStore({
    context: { supervisor: undefined, runner: undefined, head: 0, consumers: {} } as SystemViewContext,
    on: {
      supervisor: (context, event: { state: SupervisorState }) => ({ ...context, supervisor: event.state }),
      runner: (context, event: { state: RunnerState }) => ({ ...context, runner: event.state }),
      consumer: (context, event: { head: number; view: ConsumerView }) => ({
        ...context,
        head: Math.max(context.head, event.head),
        consumers: { ...context.consumers, [event.view.consumer]: event.view },
      }),
    },
  });
}

export type SystemView = ReturnType<typeof createSystemView>;
