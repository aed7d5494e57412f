import { assign, fromPromise, sendParent, setup } from 'xstate';

/** The coarse states a host records for `recq status` in other processes. */
export type HostPhase = 'restoring' | 'standby' | 'catching-up' | 'live' | 'retrying' | 'blocked' | 'paused' | 'failed' | 'fenced' | 'stopped';

/** What wakes a host machine: new work (deliveries, timers, commands) or a due checkpoint. */
export type HostSignal = { type: 'work' } | { type: 'commit.due' };

/**
 * What the host machine drives. `src/host/component-host.ts` implements it; the machine
 * decides when each step runs.
 */
export interface HostWork {
  readonly consumer: string;
  /** Gives the work a way to wake the machine. */
  attach(send: (event: HostSignal) => void): void;
  /** Takes the lease, registers the route, opens the CSS record, restores the actors. */
  restore(): Promise<void>;
  /** Queues everything between the restored offset and the registration watermark. */
  catchUp(): Promise<void>;
  /** Applies the work waiting in the inbox, filling any gap from the log. */
  processBatch(): Promise<void>;
  /** Writes offset, dirty snapshots, dead letters and emitted events in one transaction. */
  commit(): Promise<void>;
  /** Forgets the consumer's actors and rebuilds it from the log (an operator's replay). */
  replayRequested(): boolean;
  replay(): Promise<void>;
  /** Stops the actors and releases the route and lease. */
  shutDown(): Promise<void>;
  hasInbox(): boolean;
  commitDue(): boolean;
  /** After another owner's lease refused the restore: how long to wait before trying again. */
  standbyDelay(): number;
  isLeaseHeld(error: unknown): boolean;
  /** Milliseconds until a failed event is tried again, if one is waiting. */
  retryDelay(): number | undefined;
  isBlocked(): boolean;
  isPaused(): boolean;
  entered(state: HostPhase): void;
  isFencing(error: unknown): boolean;
}

export interface HostContext {
  work: HostWork;
  stopRequested: boolean;
  error: unknown;
}

/** Events a host reports to its supervisor. */
export type HostReport =
  | { type: 'host.live'; consumer: string }
  | { type: 'host.standby'; consumer: string }
  | { type: 'host.failed'; consumer: string; error: unknown }
  | { type: 'host.fenced'; consumer: string; error: unknown }
  | { type: 'host.stopped'; consumer: string };

type HostEvent = HostSignal | { type: 'stop' };

const step = (run: (work: HostWork) => Promise<void>) => fromPromise<void, { work: HostWork }>(({ input }) => run(input.work));
const withWork = ({ context }: { context: HostContext }) => ({ work: context.work });
const enter =
  (phase: HostPhase) =>
  ({ context }: { context: HostContext }) =>
    context.work.entered(phase);

/**
 * A state that commits what was applied, then waits until `released` (an operator's
 * retry, skip or resume), a replay, or a stop.
 */
const holdUntil = (phase: 'blocked' | 'paused', released: 'unblocked' | 'resumed') =>
  ({
    entry: enter(phase),
    initial: 'saving',
    states: {
      saving: {
        invoke: { src: 'commit', input: withWork, onDone: 'holding', onError: { target: '#host.failing', actions: 'recordError' } },
      },
      holding: {
        always: [
          { guard: 'stopRequested', target: '#host.stopping' },
          { guard: 'replayRequested', target: '#host.live.replaying' },
          { guard: released, target: '#host.live.idle' },
        ],
        on: { work: { target: 'holding', reenter: true }, 'commit.due': 'saving', stop: '#host.stopping' },
      },
    },
  }) as const;

/**
 * The component host lifecycle:
 * restoring (⇄ standby while another worker owns the consumer) → catching up → live (idle ⇄ processing → committing; retrying; blocked; paused;
 * replaying), until stopped or failed.
 *
 * - A failed event waits in `retrying` for its backoff, after what came before it is committed.
 * - Under the `block` policy, a consumer that gave up on an event waits in `blocked` until an
 *   operator retries or skips the dead letter.
 * - A paused consumer commits what it applied and waits in `paused` until resumed.
 * - A host that fails reports `host.failed` and ends; its supervisor decides whether to start a
 *   new one. A host whose lease was taken over reports `host.fenced` and ends.
 */
export const hostMachine = setup({
  types: {
    context: {} as HostContext,
    input: {} as { work: HostWork },
    events: {} as HostEvent,
  },
  actors: {
    restore: step((work) => work.restore()),
    catchUp: step((work) => work.catchUp()),
    processBatch: step((work) => work.processBatch()),
    commit: step((work) => work.commit()),
    replay: step((work) => work.replay()),
    shutDown: step((work) => work.shutDown()),
  },
  guards: {
    hasInbox: ({ context }) => context.work.hasInbox(),
    commitDue: ({ context }) => context.work.commitDue(),
    retryScheduled: ({ context }) => context.work.retryDelay() !== undefined,
    blocked: ({ context }) => context.work.isBlocked(),
    unblocked: ({ context }) => !context.work.isBlocked(),
    paused: ({ context }) => context.work.isPaused(),
    resumed: ({ context }) => !context.work.isPaused(),
    replayRequested: ({ context }) => context.work.replayRequested(),
    stopRequested: ({ context }) => context.stopRequested,
    fenced: ({ context }) => context.work.isFencing(context.error),
    leaseHeld: ({ context, event }) => context.work.isLeaseHeld((event as { error?: unknown }).error),
  },
  delays: {
    retryDelay: ({ context }) => context.work.retryDelay() ?? 0,
    standbyDelay: ({ context }) => context.work.standbyDelay(),
  },
  actions: {
    requestStop: assign({ stopRequested: true }),
    // Runs on invoke errors (`xstate.error.actor.*`), which carry the thrown value.
    recordError: assign({ error: ({ event }) => (event as { error?: unknown }).error }),
  },
}).createMachine({
  id: 'host',
  context: ({ input, self }) => {
    input.work.attach((event) => self.send(event));
    return { work: input.work, stopRequested: false, error: undefined };
  },
  initial: 'restoring',
  on: { stop: { actions: 'requestStop' } },
  states: {
    restoring: {
      entry: enter('restoring'),
      invoke: {
        src: 'restore',
        input: withWork,
        onDone: 'catchingUp',
        onError: [
          { guard: 'leaseHeld', target: 'standby' },
          { target: 'failing', actions: 'recordError' },
        ],
      },
    },
    // Another worker owns the consumer; take over when its lease expires.
    standby: {
      entry: [enter('standby'), sendParent(({ context }): HostReport => ({ type: 'host.standby', consumer: context.work.consumer }))],
      after: { standbyDelay: 'restoring' },
      on: { stop: 'stopped' },
    },
    catchingUp: {
      entry: enter('catching-up'),
      invoke: {
        src: 'catchUp',
        input: withWork,
        onDone: {
          target: 'live',
          actions: sendParent(({ context }): HostReport => ({ type: 'host.live', consumer: context.work.consumer })),
        },
        onError: { target: 'failing', actions: 'recordError' },
      },
    },
    live: {
      initial: 'idle',
      states: {
        idle: {
          entry: enter('live'),
          always: [
            { guard: 'stopRequested', target: '#host.stopping' },
            { guard: 'replayRequested', target: 'replaying' },
            { guard: 'paused', target: 'paused' },
            { guard: 'blocked', target: 'blocked' },
            { guard: 'hasInbox', target: 'processing' },
            { guard: 'commitDue', target: 'committing' },
          ],
          on: {
            work: { target: 'idle', reenter: true },
            'commit.due': { target: 'idle', reenter: true },
            stop: { target: '#host.stopping' },
          },
        },
        processing: {
          invoke: {
            src: 'processBatch',
            input: withWork,
            onDone: [
              { guard: 'retryScheduled', target: 'retrying' },
              { guard: 'blocked', target: 'blocked' },
              { guard: 'commitDue', target: 'committing' },
              { target: 'idle' },
            ],
            onError: { target: '#host.failing', actions: 'recordError' },
          },
        },
        committing: {
          invoke: { src: 'commit', input: withWork, onDone: 'idle', onError: { target: '#host.failing', actions: 'recordError' } },
        },
        retrying: {
          entry: enter('retrying'),
          initial: 'saving',
          states: {
            saving: {
              invoke: { src: 'commit', input: withWork, onDone: 'waiting', onError: { target: '#host.failing', actions: 'recordError' } },
            },
            waiting: {
              // A stop that came while the failed batch was still running was only noted.
              always: { guard: 'stopRequested', target: '#host.stopping' },
              after: { retryDelay: '#host.live.idle' },
              on: { stop: '#host.stopping' },
            },
          },
        },
        blocked: holdUntil('blocked', 'unblocked'),
        paused: holdUntil('paused', 'resumed'),
        replaying: {
          invoke: { src: 'replay', input: withWork, onDone: 'idle', onError: { target: '#host.failing', actions: 'recordError' } },
        },
      },
    },
    stopping: {
      invoke: { src: 'commit', input: withWork, onDone: 'shuttingDown', onError: { target: 'failing', actions: 'recordError' } },
    },
    shuttingDown: {
      invoke: { src: 'shutDown', input: withWork, onDone: 'stopped', onError: 'stopped' },
    },
    stopped: {
      type: 'final',
      entry: [enter('stopped'), sendParent(({ context }): HostReport => ({ type: 'host.stopped', consumer: context.work.consumer }))],
    },
    failing: {
      invoke: { src: 'shutDown', input: withWork, onDone: 'ended', onError: 'ended' },
    },
    ended: {
      always: [{ guard: 'fenced', target: 'fenced' }, { target: 'failed' }],
    },
    fenced: {
      type: 'final',
      entry: [enter('fenced'), sendParent(({ context }): HostReport => ({ type: 'host.fenced', consumer: context.work.consumer, error: context.error }))],
    },
    failed: {
      type: 'final',
      entry: [enter('failed'), sendParent(({ context }): HostReport => ({ type: 'host.failed', consumer: context.work.consumer, error: context.error }))],
    },
  },
});
