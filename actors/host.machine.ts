import { assign, fromPromise, sendParent, setup } from 'xstate';

/**
 * What the host machine drives. `src/host/component-host.ts` implements it; the machine
 * decides when each step runs.
 */
export interface HostWork {
  readonly consumer: string;
  /** Gives the work a way to wake the machine (new deliveries, a due checkpoint). */
  attach(send: (event: { type: 'work' } | { type: 'commit.due' }) => void): void;
  /** Opens the CSS record, takes the lease, registers the route, restores the actors. */
  restore(): Promise<void>;
  /** Processes what the log holds between the restored offset and the registration watermark. */
  catchUp(): Promise<void>;
  /** Processes the routed deliveries waiting in the inbox, filling any gap from the log. */
  processBatch(): Promise<void>;
  /** Writes offset, dirty snapshots, dead letters and emitted events in one transaction. */
  commit(): Promise<void>;
  /** Stops the actors and releases the route and lease. */
  shutDown(): Promise<void>;
  hasInbox(): boolean;
  commitDue(): boolean;
  /** Records the coarse state for `recq status` in other processes. */
  entered(state: 'restoring' | 'catching-up' | 'live' | 'failed' | 'fenced' | 'stopped'): void;
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
  | { type: 'host.failed'; consumer: string; error: unknown }
  | { type: 'host.fenced'; consumer: string; error: unknown }
  | { type: 'host.stopped'; consumer: string };

type HostEvent = { type: 'work' } | { type: 'commit.due' } | { type: 'stop' };

const step = (run: (work: HostWork) => Promise<void>) => fromPromise<void, { work: HostWork }>(({ input }) => run(input.work));
const withWork = ({ context }: { context: HostContext }) => ({ work: context.work });

/**
 * The component host lifecycle:
 * restoring → catching up → live ⇄ processing → committing, until stopped or failed.
 *
 * A host that fails reports `host.failed` and ends; its supervisor decides whether to start a
 * new one. A host whose lease was taken over reports `host.fenced` and ends without retrying.
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
    shutDown: step((work) => work.shutDown()),
  },
  guards: {
    hasInbox: ({ context }) => context.work.hasInbox(),
    commitDue: ({ context }) => context.work.commitDue(),
    stopRequested: ({ context }) => context.stopRequested,
    fenced: ({ context }) => context.work.isFencing(context.error),
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
      entry: ({ context }) => context.work.entered('restoring'),
      invoke: {
        src: 'restore',
        input: withWork,
        onDone: 'catchingUp',
        onError: { target: 'failing', actions: 'recordError' },
      },
    },
    catchingUp: {
      entry: ({ context }) => context.work.entered('catching-up'),
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
      entry: ({ context }) => context.work.entered('live'),
      initial: 'idle',
      states: {
        idle: {
          always: [
            { guard: 'stopRequested', target: '#host.stopping' },
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
            onDone: [{ guard: 'commitDue', target: 'committing' }, { target: 'idle' }],
            onError: { target: '#host.failing', actions: 'recordError' },
          },
        },
        committing: {
          invoke: {
            src: 'commit',
            input: withWork,
            onDone: 'idle',
            onError: { target: '#host.failing', actions: 'recordError' },
          },
        },
      },
    },
    stopping: {
      invoke: {
        src: 'commit',
        input: withWork,
        onDone: 'shuttingDown',
        onError: { target: 'failing', actions: 'recordError' },
      },
    },
    shuttingDown: {
      invoke: { src: 'shutDown', input: withWork, onDone: 'stopped', onError: 'stopped' },
    },
    stopped: {
      type: 'final',
      entry: [
        ({ context }) => context.work.entered('stopped'),
        sendParent(({ context }): HostReport => ({ type: 'host.stopped', consumer: context.work.consumer })),
      ],
    },
    failing: {
      invoke: { src: 'shutDown', input: withWork, onDone: 'ended', onError: 'ended' },
    },
    ended: {
      always: [{ guard: 'fenced', target: 'fenced' }, { target: 'failed' }],
    },
    fenced: {
      type: 'final',
      entry: [
        ({ context }) => context.work.entered('fenced'),
        sendParent(({ context }): HostReport => ({ type: 'host.fenced', consumer: context.work.consumer, error: context.error })),
      ],
    },
    failed: {
      type: 'final',
      entry: [
        ({ context }) => context.work.entered('failed'),
        sendParent(({ context }): HostReport => ({ type: 'host.failed', consumer: context.work.consumer, error: context.error })),
      ],
    },
  },
});
