import type { AnyStateMachine, EventObject } from 'xstate';

/** One step of a case: an event sent to the machine, or the clock moved on. */
export type Step = { send: EventObject } | { advance: number };

/** A machine and what happens to it; both runs must end in the same snapshot. */
export interface ConformanceCase {
  name: string;
  machine: AnyStateMachine;
  steps: readonly Step[];
}

/** What the two runs compare: the root actor's state value, context and status. */
export interface Outcome {
  value: unknown;
  context: unknown;
  status: string;
}

/** Builds a case; steps are events, or `{ advance: ms }`. */
export function conformance(
  name: string,
  machine: AnyStateMachine,
  ...steps: (EventObject | { advance: number } | Record<string, unknown>)[]
): ConformanceCase {
  return {
    name,
    machine,
    steps: steps.map((step) => ('advance' in step && typeof step.advance === 'number' ? { advance: step.advance } : { send: step as EventObject })),
  };
}
