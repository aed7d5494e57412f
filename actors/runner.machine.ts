import { type ActorRefFrom, assign, enqueueActions, raise, type StateValue, setup } from 'xstate';
import { hostMachine } from './host.machine.ts';
import type { HostReport, HostState, HostWork } from './host.work.ts';

/** How the runner restarts failed hosts. */
export interface RestartPolicy {
  /** First restart delay (doubles with each failure, with jitter). */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Failures within `windowMs` after which the host is given up on. */
  maxRestarts: number;
  windowMs: number;
}

/**
 * A host as its runner knows it, from what the host reported: in the host's own words
 * (`restoring` until it reports; `live` from then on, whatever it does live), or `restarting`
 * between a failed host and the next.
 */
export type HostStatus = Extract<HostState, 'restoring' | 'standby' | 'live' | 'failed' | 'fenced' | 'stopped'> | 'restarting';

export interface HostRecord {
  status: HostStatus;
  generation: number;
  /** Clock times of recent failures, for the restart window. */
  failures: number[];
  lastError: string | undefined;
}

/** What the runner tells the outside world as it decides. */
export interface RunnerReport {
  level: 'info' | 'warn' | 'error';
  message: string;
  consumer?: string;
  error?: unknown;
}

export interface RunnerInput {
  consumers: readonly string[];
  policy: RestartPolicy;
  now: () => number;
  random: () => number;
  /** Builds the work object for a fresh host of `consumer`. */
  createWork: (consumer: string) => HostWork;
  report: (report: RunnerReport) => void;
  /** Hears of the runner actor as it is created, whoever runs it (the supervisor, or a worker on its own). */
  attached?: (runner: RunnerActor) => void;
}

/** What the runner actor offers whoever follows it: its snapshots (state and host records) and its events. */
export interface RunnerActor {
  getSnapshot(): RunnerSnapshot;
  subscribe(observer: { next?: (snapshot: RunnerSnapshot) => void; error?: (error: unknown) => void; complete?: () => void }): { unsubscribe(): void };
  send(event: RunnerEvent): void;
}

/** A snapshot of the runner, as `RunnerActor` gives it. */
export interface RunnerSnapshot {
  /** A `RunnerState`. */
  value: StateValue;
  status: 'active' | 'done' | 'error' | 'stopped';
  context: { hosts: Record<string, HostRecord> };
}

export interface RunnerContext extends Omit<RunnerInput, 'consumers'> {
  hosts: Record<string, HostRecord>;
  children: Record<string, ActorRefFrom<typeof hostMachine>>;
}

export type RunnerEvent =
  | HostReport
  | { type: 'restart'; consumer: string }
  /** An operator queued a replay for a failed host: start it again, and the replay runs before its actors are restored. */
  | { type: 'revive'; consumer: string }
  | { type: 'stop' };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** An error that says retrying cannot heal it (a snapshot that no longer fits the machine, a version mismatch). */
export const isPermanent = (error: unknown): boolean => typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;

/** Exponential backoff with full jitter on the upper half: delay ∈ [d/2, d]. */
export function restartDelay(policy: RestartPolicy, failures: number, random: () => number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base / 2 + (base / 2) * random());
}

/** The states of a runner, as `status()` reports them. */
export type RunnerState = 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped';

/**
 * The runner: the hosts of one process's components, starting → running ⇄ degraded →
 * stopping → stopped. Embedded, the supervisor runs it as its child; in a worker it is the
 * top actor.
 *
 * It spawns one host per consumer, restarts a failed host after an exponential backoff, and
 * gives up on a host (marking it failed, with the reason) after `maxRestarts` failures within
 * `windowMs`, or at once when its error is `permanent` (restarting cannot fix it). An operator's
 * replay (`revive`) starts a failed host again. A fenced host (its lease taken by another owner,
 * or not renewed in time) starts again too, after the first restart delay: it stands by while
 * another owner holds the consumer, and takes it back otherwise.
 */
export const runnerMachine = setup({
  types: {
    context: {} as RunnerContext,
    input: {} as RunnerInput,
    events: {} as RunnerEvent,
  },
  actors: { host: hostMachine },
  guards: {
    // A standby host (another worker owns its consumer) is healthy: it takes over when needed.
    allLive: ({ context }) => Object.values(context.hosts).every((h) => h.status === 'live' || h.status === 'standby'),
    // A host reports its end from its final state's entry; it is done only once XState has told
    // this machine so, and whoever stops the runner must not cut that message off.
    allEnded: ({ context }) =>
      Object.values(context.hosts).every((h) => h.status === 'stopped' || h.status === 'failed' || h.status === 'fenced') &&
      Object.values(context.children).every((child) => child.getSnapshot().status !== 'active'),
  },
  actions: {
    spawnAll: enqueueActions(({ context, enqueue }) => {
      for (const consumer of Object.keys(context.hosts)) enqueue.raise({ type: 'restart', consumer });
    }),
    spawnHost: assign(({ context, event, spawn }) => {
      if (event.type !== 'restart') return {};
      const record = context.hosts[event.consumer];
      if (!record || record.status === 'failed' || record.status === 'fenced' || record.status === 'stopped') return {};
      const generation = record.generation + 1;
      const child = spawn('host', { id: `${event.consumer}#${generation}`, input: { work: context.createWork(event.consumer) } });
      return {
        hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'restoring' as const, generation } },
        children: { ...context.children, [event.consumer]: child },
      };
    }),
    markLive: assign(({ context, event }) => {
      if (event.type !== 'host.live') return {};
      const record = context.hosts[event.consumer];
      return record ? { hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'live' as const } } } : {};
    }),
    markStandby: assign(({ context, event }) => {
      if (event.type !== 'host.standby') return {};
      const record = context.hosts[event.consumer];
      return record ? { hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'standby' as const } } } : {};
    }),
    markStopped: assign(({ context, event }) => {
      if (event.type !== 'host.stopped') return {};
      const record = context.hosts[event.consumer];
      return record ? { hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'stopped' as const } } } : {};
    }),
    markFenced: assign(({ context, event }) => {
      if (event.type !== 'host.fenced') return {};
      const record = context.hosts[event.consumer];
      context.report({ level: 'error', consumer: event.consumer, message: `host ${event.consumer} lost its lease and stopped: ${message(event.error)}` });
      return record ? { hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'fenced' as const, lastError: message(event.error) } } } : {};
    }),
    // Another owner may hold the consumer, or the lease could not be renewed in time: the host
    // starts again, and stands by while another owner's lease lasts. A fence is never final.
    restartFenced: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'host.fenced') return;
      const record = context.hosts[event.consumer];
      if (!record) return;
      const lastError = message(event.error);
      const delay = restartDelay(context.policy, 1, context.random);
      context.report({
        level: 'warn',
        consumer: event.consumer,
        error: event.error,
        message: `host ${event.consumer} gave its consumer up (${lastError}); it starts again in ${delay} ms, and stands by while another owner holds it`,
      });
      enqueue.assign({ hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'restarting', lastError } } });
      enqueue(raise({ type: 'restart', consumer: event.consumer }, { delay }));
    }),
    recordFailure: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'host.failed') return;
      const record = context.hosts[event.consumer];
      if (!record) return;
      const now = context.now();
      const failures = [...record.failures.filter((t) => now - t < context.policy.windowMs), now];
      const lastError = message(event.error);
      if (isPermanent(event.error)) {
        // A restart would meet the same snapshot or version again: say so once, and what to do.
        context.report({
          level: 'error',
          consumer: event.consumer,
          error: event.error,
          message: `host ${event.consumer} failed with an error that restarting cannot fix, so it is not restarted: ${lastError} To rebuild it from the log, run "recq replay ${event.consumer}" (it is applied before its actors are restored), or fix the component and start the system again.`,
        });
        enqueue.assign({ hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'failed', failures, lastError } } });
        return;
      }
      if (failures.length > context.policy.maxRestarts) {
        context.report({
          level: 'error',
          consumer: event.consumer,
          error: event.error,
          message: `host ${event.consumer} failed ${failures.length} times within ${context.policy.windowMs} ms; giving up on it: ${lastError}`,
        });
        enqueue.assign({ hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'failed', failures, lastError } } });
        return;
      }
      const delay = restartDelay(context.policy, failures.length, context.random);
      context.report({
        level: 'warn',
        consumer: event.consumer,
        error: event.error,
        message: `host ${event.consumer} failed (${lastError}); restarting in ${delay} ms (failure ${failures.length} of ${context.policy.maxRestarts} allowed within ${context.policy.windowMs} ms)`,
      });
      enqueue.assign({ hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'restarting', failures, lastError } } });
      enqueue(raise({ type: 'restart', consumer: event.consumer }, { delay }));
    }),
    reviveHost: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'revive') return;
      const record = context.hosts[event.consumer];
      if (record?.status !== 'failed') return;
      context.report({ level: 'info', consumer: event.consumer, message: `host ${event.consumer} starts again for an operator's replay` });
      enqueue.assign({ hosts: { ...context.hosts, [event.consumer]: { ...record, status: 'restarting', failures: [] } } });
      enqueue.raise({ type: 'restart', consumer: event.consumer });
    }),
    stopChildren: ({ context }) => {
      for (const [consumer, child] of Object.entries(context.children)) {
        const status = context.hosts[consumer]?.status;
        if (status === 'restoring' || status === 'live' || status === 'standby') child.send({ type: 'stop' });
      }
    },
    markRestartsStopped: assign(({ context }) => ({
      hosts: Object.fromEntries(
        Object.entries(context.hosts).map(([consumer, record]) => [
          consumer,
          record.status === 'restarting' ? { ...record, status: 'stopped' as const } : record,
        ]),
      ),
    })),
  },
}).createMachine({
  id: 'runner',
  context: ({ input, self }) => {
    input.attached?.(self);
    return {
      policy: input.policy,
      now: input.now,
      random: input.random,
      createWork: input.createWork,
      report: input.report,
      hosts: Object.fromEntries(
        input.consumers.map((c) => [c, { status: 'restoring', generation: 0, failures: [], lastError: undefined } satisfies HostRecord]),
      ),
      children: {},
    };
  },
  initial: 'starting',
  on: {
    restart: { actions: 'spawnHost' },
    'host.fenced': { target: '.degraded', actions: 'restartFenced' },
    'host.standby': { actions: 'markStandby' },
    stop: { target: '.stopping' },
  },
  states: {
    starting: {
      entry: 'spawnAll',
      always: { guard: 'allLive', target: 'running' },
      on: {
        'host.live': { actions: 'markLive' },
        'host.failed': { target: 'degraded', actions: 'recordFailure' },
      },
    },
    running: {
      on: {
        // A standby host that took over.
        'host.live': { actions: 'markLive' },
        'host.failed': { target: 'degraded', actions: 'recordFailure' },
      },
    },
    degraded: {
      always: { guard: 'allLive', target: 'running' },
      on: {
        'host.live': { actions: 'markLive' },
        'host.failed': { actions: 'recordFailure' },
        revive: { actions: 'reviveHost' },
      },
    },
    stopping: {
      entry: ['markRestartsStopped', 'stopChildren'],
      always: { guard: 'allEnded', target: 'stopped' },
      on: {
        restart: {},
        'host.fenced': { actions: 'markFenced' },
        'host.stopped': { actions: 'markStopped' },
        'host.failed': {
          actions: assign(({ context, event }) => ({
            hosts: {
              ...context.hosts,
              [event.consumer]: { ...(context.hosts[event.consumer] as HostRecord), status: 'failed' as const, lastError: message(event.error) },
            },
          })),
        },
      },
    },
    // Not final: hosts report their end before XState's own done events reach the parent,
    // and a final parent would refuse those. The owner stops the actor once it is here.
    stopped: {},
  },
});
