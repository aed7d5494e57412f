import { assign, fromCallback, fromPromise, type SnapshotFrom, sendTo, setup } from 'xstate';
import type { Envelope } from '../src/envelope.ts';
import { type RunnerInput, type RunnerState, runnerMachine } from './runner.machine.ts';

/**
 * What the supervisor machine drives: the log (SSS) under its lease, and the router.
 * `src/sss/log-node.ts` (or `src/sss/jetstream/stream-node.ts`) implements it; the machine decides when each step runs.
 */
export interface SupervisorWork {
  /** Opens the log and takes its lease (`LeaseHeldError` while another process holds it). */
  open(): Promise<void>;
  /**
   * After `open` failed: how long to wait before trying again and why, or undefined to give
   * up (e.g. a held lease, where this process may not wait for it).
   */
  retryOpenAfter(error: unknown): { ms: number; why: string } | undefined;
  /** Starts serving the log to other processes (request/reply over NATS); embedded, nothing. */
  serve(): Promise<void>;
  /** The log: `onCommit` calls `committed` with each group commit, in seq order (and returns a function that stops); `flush` commits every queued append now. */
  readonly log: { onCommit(committed: (envelopes: readonly Envelope[]) => void): () => void; flush(): void };
  /** Delivers committed envelopes to the consumers whose patterns match, and announces them. */
  readonly router: { route(envelopes: readonly Envelope[]): void };
  /** Renews the log's lease. Throws `StaleEpochError` once another process has taken it. */
  renew(): void;
  isLeaseLost(error: unknown): boolean;
  /** Milliseconds between renewals: a third of the lease's time-to-live. */
  readonly renewEveryMs: number;
  /** Commits what is queued, stops serving, gives the lease up. */
  close(): Promise<void>;
  /**
   * Where several supervisors share the log (a JetStream stream): resolves once this process
   * leads, having won an epoch; until then it stands by. Without it a process leads once the
   * log is open.
   */
  lead?(): Promise<void>;
  /** Calls `deposed` when a newer epoch refused this leader's append; returns a function that stops. */
  onDeposed?(deposed: (error: unknown) => void): () => void;
  /** After being deposed: stops serving and routing, so that another supervisor's hosts are not misled. */
  stepDown?(): Promise<void>;
}

/** The states of the supervisor, as `status()` and `recq status` show them. */
export type SupervisorState =
  | 'opening'
  | 'waiting-for-lease'
  | 'standby'
  | 'serving'
  | 'starting'
  | 'leading'
  | 'degraded'
  | 'deposed'
  | 'stopping'
  | 'stopped'
  | 'failed';

/** What the supervisor tells the outside world as it goes. */
export interface SupervisorReport {
  level: 'info' | 'warn' | 'error';
  message: string;
  error?: unknown;
}

export interface SupervisorInput {
  work: SupervisorWork;
  /** The hosts this process runs (none for a distributed supervisor): the supervisor's child. */
  runner: RunnerInput;
  /** Clock for lease renewals (the machine's own delays use the actor's clock). */
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (id: unknown) => void;
  report: (report: SupervisorReport) => void;
}

interface SupervisorContext extends SupervisorInput {
  runnerState: RunnerState;
  /** Set while renewals fail for a reason other than a lost lease (e.g. a locked file). */
  renewalFailing: boolean;
  retryOpenMs: number;
  waitedForLease: boolean;
  error: unknown;
}

type SupervisorEvent =
  | { type: 'lease.renewed' }
  | { type: 'lease.renewFailed'; error: unknown }
  | { type: 'lease.lost'; error: unknown }
  | { type: 'log.deposed'; error: unknown }
  | { type: 'stop' };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Routes every group commit of the log, in seq order, for as long as it is invoked: while the supervisor is open. */
const routing = fromCallback<SupervisorEvent, { work: SupervisorWork }>(({ input }) =>
  input.work.log.onCommit((envelopes) => input.work.router.route(envelopes)),
);

/** Tells the supervisor when a newer epoch refused its append (a shared log); nothing otherwise. */
const deposals = fromCallback<SupervisorEvent, { work: SupervisorWork }>(
  ({ input, sendBack }) => input.work.onDeposed?.((error) => sendBack({ type: 'log.deposed', error })) ?? (() => {}),
);

/** Renews the log's lease every third of its time-to-live and says how each renewal went. */
const leaseRenewal = fromCallback<SupervisorEvent, Pick<SupervisorInput, 'work' | 'setTimeout' | 'clearTimeout'>>(({ input, sendBack }) => {
  const { work } = input;
  let timer: unknown;
  let running = true;
  const tick = () => {
    if (!running) return;
    try {
      work.renew();
      sendBack({ type: 'lease.renewed' });
    } catch (error) {
      if (work.isLeaseLost(error)) {
        sendBack({ type: 'lease.lost', error });
        return;
      }
      sendBack({ type: 'lease.renewFailed', error });
    }
    timer = input.setTimeout(tick, work.renewEveryMs);
  };
  timer = input.setTimeout(tick, work.renewEveryMs);
  return () => {
    running = false;
    input.clearTimeout(timer);
  };
});

/** Commits and closes the log, gives the lease up, then stops. */
const closeLog = {
  invoke: {
    src: 'close',
    input: ({ context }: { context: SupervisorContext }) => ({ work: context.work }),
    onDone: '#supervisor.stopped',
    onError: { target: '#supervisor.stopped', actions: 'recordError' },
  },
} as const;

/**
 * The supervisor owns the log (SSS): opening (⇄ waiting for a predecessor's lease) → running
 * serving → running (open: starting → leading ⇄ degraded → draining; then closing) → stopped;
 * or failed.
 *
 * While open it renews the log's lease, routes each group commit to the consumers that
 * subscribe to it, serves the log over NATS (distributed), and runs the process's hosts as
 * its child, the runner. It is degraded while the runner is (a host restarting or given up)
 * or while renewals fail. A lost lease (another process took the log) drains it: the hosts
 * stop, the log closes. On `stop` it stops the hosts first, then commits and closes the log,
 * so the hosts' last checkpoints still reach it.
 *
 * Where several supervisors share the log (a JetStream stream), an opened supervisor stands
 * by (`standby`: it tails the log) until it wins an epoch, and only then serves and leads. A
 * leader whose append a newer epoch refused is `deposed`: it stops serving and routing, and
 * stands by again.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as SupervisorEvent,
  },
  actors: {
    open: fromPromise<void, { work: SupervisorWork }>(({ input }) => input.work.open()),
    serve: fromPromise<void, { work: SupervisorWork }>(({ input }) => input.work.serve()),
    close: fromPromise<void, { work: SupervisorWork }>(({ input }) => input.work.close()),
    lead: fromPromise<void, { work: SupervisorWork }>(({ input }) => input.work.lead?.() ?? Promise.resolve()),
    stepDown: fromPromise<void, { work: SupervisorWork }>(({ input }) => input.work.stepDown?.() ?? Promise.resolve()),
    routing,
    deposals,
    leaseRenewal,
    runner: runnerMachine,
  },
  guards: {
    sharesLog: ({ context }) => context.work.lead !== undefined,
    mayRetryOpen: ({ context, event }) => context.work.retryOpenAfter((event as { error?: unknown }).error) !== undefined,
    runnerUp: ({ context }) => context.runnerState === 'running' || context.runnerState === 'degraded',
    healthy: ({ context }) => context.runnerState === 'running' && !context.renewalFailing,
    unhealthy: ({ context }) => context.runnerState !== 'running' || context.renewalFailing,
    runnerDone: ({ context }) => context.runnerState === 'stopped',
  },
  delays: {
    retryOpen: ({ context }) => context.retryOpenMs,
  },
  actions: {
    recordError: assign({ error: ({ event }) => (event as { error?: unknown }).error }),
    planRetry: assign(({ context, event }) => {
      const error = (event as { error?: unknown }).error;
      const wait = context.work.retryOpenAfter(error) ?? { ms: 0, why: message(error) };
      if (!context.waitedForLease) context.report({ level: 'warn', message: `${wait.why}; waiting ${wait.ms} ms for it` });
      return { retryOpenMs: wait.ms, waitedForLease: true };
    }),
    trackRunner: assign({
      runnerState: ({ event }) => (event as unknown as { snapshot: SnapshotFrom<typeof runnerMachine> }).snapshot.value as RunnerState,
    }),
    renewalFailed: assign(({ context, event }) => {
      if (event.type !== 'lease.renewFailed') return {};
      context.report({ level: 'warn', message: 'could not renew the lease on the log; retrying', error: event.error });
      return { renewalFailing: true };
    }),
    renewalOk: assign({ renewalFailing: false }),
    lostLease: assign(({ context, event }) => {
      if (event.type !== 'lease.lost') return {};
      context.report({ level: 'error', message: 'this process lost the lease on the log; stopping', error: event.error });
      return { error: event.error };
    }),
    wasDeposed: assign(({ context, event }) => {
      if (event.type !== 'log.deposed') return {};
      context.report({
        level: 'warn',
        message: `an append was refused, so another supervisor leads the log: stepping down (${message(event.error)})`,
        error: event.error,
      });
      return { error: event.error };
    }),
    // Before the hosts take their last checkpoints.
    flushLog: ({ context }) => context.work.log.flush(),
    stopRunner: sendTo('runner', { type: 'stop' }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({ ...input, runnerState: 'starting', renewalFailing: false, retryOpenMs: 0, waitedForLease: false, error: undefined }),
  initial: 'opening',
  states: {
    opening: {
      invoke: {
        src: 'open',
        input: ({ context }) => ({ work: context.work }),
        onDone: [{ guard: 'sharesLog', target: 'standby' }, { target: 'serving' }],
        onError: [
          { guard: 'mayRetryOpen', target: 'waitingForLease', actions: 'planRetry' },
          { target: 'failed', actions: 'recordError' },
        ],
      },
      on: { stop: 'stopped' },
    },
    waitingForLease: {
      after: { retryOpen: 'opening' },
      on: { stop: 'stopped' },
    },
    // A shared log: tail it until this process wins an epoch; then it serves and leads.
    standby: {
      invoke: { src: 'lead', input: ({ context }) => ({ work: context.work }), onDone: 'serving', onError: { target: 'closing', actions: 'recordError' } },
      on: { stop: 'closing' },
    },
    // Another supervisor took the log: stop serving and routing, then stand by again.
    deposed: {
      invoke: { src: 'stepDown', input: ({ context }) => ({ work: context.work }), onDone: 'standby', onError: { target: 'closing', actions: 'recordError' } },
      on: { stop: 'closing' },
    },
    // Distributed, the hosts reach the log through the service: it listens before they start.
    serving: {
      invoke: { src: 'serve', input: ({ context }) => ({ work: context.work }), onDone: 'running', onError: { target: 'closing', actions: 'recordError' } },
      on: { stop: 'closing' },
    },
    // The runner lives through closing, so the hosts' last messages reach it before it stops.
    running: {
      invoke: { src: 'runner', id: 'runner', systemId: 'runner', input: ({ context }) => context.runner, onSnapshot: { actions: 'trackRunner' } },
      initial: 'open',
      states: {
        open: {
          invoke: [
            { src: 'routing', input: ({ context }) => ({ work: context.work }) },
            { src: 'leaseRenewal', input: ({ context }) => ({ work: context.work, setTimeout: context.setTimeout, clearTimeout: context.clearTimeout }) },
            { src: 'deposals', input: ({ context }) => ({ work: context.work }) },
          ],
          on: {
            'lease.renewed': { actions: 'renewalOk' },
            'lease.renewFailed': { actions: 'renewalFailed' },
            'lease.lost': { target: '.draining', actions: 'lostLease' },
            'log.deposed': { target: '#supervisor.deposed', actions: 'wasDeposed' },
            stop: '.draining',
          },
          initial: 'starting',
          states: {
            starting: { always: { guard: 'runnerUp', target: 'leading' } },
            leading: { always: { guard: 'unhealthy', target: 'degraded' } },
            degraded: { always: { guard: 'healthy', target: 'leading' } },
            draining: {
              entry: ['flushLog', 'stopRunner'],
              always: { guard: 'runnerDone', target: '#supervisor.running.closing' },
              on: { stop: {}, 'lease.lost': {}, 'log.deposed': {} },
            },
          },
        },
        closing: closeLog,
      },
    },
    closing: closeLog,
    // Not final: the owner stops the actor once it is here, as with the runner.
    stopped: {},
    failed: {},
  },
});

/** The state the supervisor's snapshot value names, flattened for status views. */
export function supervisorStateOf(value: unknown): SupervisorState {
  if (value === 'waitingForLease') return 'waiting-for-lease';
  if (value === 'closing') return 'stopping';
  if (typeof value === 'string') return value as SupervisorState;
  const running = (value as { running?: string | { open?: string } }).running;
  if (running === undefined || typeof running === 'string') return 'stopping';
  return running.open === 'draining' || running.open === undefined ? 'stopping' : (running.open as SupervisorState);
}
