import { assign, setup } from 'xstate';
import { type EventMeta, type Logger, PermanentError } from '../../src/index.ts';

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

/** A logger that records lines and lets a test wait for one. */
export function listeningLogger() {
  const lines: string[] = [];
  let waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const write = (message: string) => {
    lines.push(message);
    waiters = waiters.filter((w) => {
      if (!w.pattern.test(message)) return true;
      w.resolve(message);
      return false;
    });
  };
  const logger: Logger = { info: write, warn: write, error: write };
  const next = (pattern: RegExp) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve) => waiters.push({ pattern, resolve }));
  };
  /** Waits for a line not seen before this call. */
  const nextNew = (pattern: RegExp) => new Promise<string>((resolve) => waiters.push({ pattern, resolve }));
  return { logger, lines, next, nextNew };
}
