import { assign, setup } from 'xstate';
import { type EventMeta, PermanentError } from '../../src/index.ts';

/**
 * How often each event id has been tried, and how many of those tries must fail. Shared with
 * the machine below, so a test decides which events fail and for how long.
 */
export class FailurePlan {
  readonly tries = new Map<string, number>();
  readonly failFirst = new Map<string, number>();
  permanent = new Set<string>();

  /** Called by the machine for each attempt; throws while the plan says so. */
  attempt(id: string): void {
    const tries = (this.tries.get(id) ?? 0) + 1;
    this.tries.set(id, tries);
    if (this.permanent.has(id)) throw new PermanentError(`event ${id} can never be applied`);
    if (tries <= (this.failFirst.get(id) ?? 0)) throw new Error(`event ${id} failed on try ${tries}`);
  }
}

type Apply = { type: 'apply'; name: string; meta: EventMeta };

/** Appends the name of each event it applies; `plan` decides which attempts throw. */
export function applierMachine(plan: FailurePlan) {
  return setup({
    types: {} as { context: { applied: string[] }; events: Apply },
    actions: {
      record: assign({ applied: ({ context, event }) => [...context.applied, event.name] }),
    },
  }).createMachine({
    id: 'applier',
    context: { applied: [] },
    on: {
      apply: {
        actions: [({ event }) => plan.attempt(event.name), 'record'],
      },
    },
  });
}

export { listeningLogger } from '../support/listening-logger.ts';
