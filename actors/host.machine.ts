import { assign, fromPromise, sendParent, setup } from 'xstate';

/** The coarse states a host records for `recq status` in other processes. */
export type HostPhase = 'restoring' | 'standby' | 'catching-up' | 'live' | 'retrying' | 'blocked' | 'paused' | 'failed' | 'fenced' | 'stopped';

/** What wakes a host machine: new work in the inbox (deliveries, timers, a parked letter's retry) or a due checkpoint. */
export type HostSignal = { type: 'work' } | { type: 'commit.due' };

/**
 * What the machine knows of a dead letter: which event it is about. The work's letters carry
 * more (the CSS's `DeadLetter`); the machine holds them and hands them back as they came.
 */
export interface HeldLetter {
  readonly eventId: string;
}

/** An operator's request to rebuild the consumer from `from`; `settle` is told how it ended. */
export interface ReplayRequest {
  from: number;
  settle: (error?: unknown) => void;
}

/** What an operator, the lease or the checkpoint tells a host machine. */
export type HostCommand<Letter extends HeldLetter = HeldLetter> =
  | { type: 'pause' }
  | { type: 'resume' }
  /** Try the event of the letter the host is blocked on again. */
  | { type: 'deadLetter.retry'; letter: Letter }
  /** Go on past the event of the letter the host is blocked on. */
  | { type: 'deadLetter.skip'; letter: Letter }
  | ({ type: 'replay' } & ReplayRequest)
  /** Another owner holds the consumer now. */
  | { type: 'fenced'; error: unknown };

/** How `restore` ended: restored (paused or not, as the CSS says), or refused while another owner's lease lasts. */
export type Restored = { restored: true; paused: boolean } | { restored: false; standbyMs: number };

/** How a batch ended: done, waiting `delayMs` to try a failed event again, or blocked on a dead letter. */
export type BatchOutcome<Letter extends HeldLetter = HeldLetter> =
  | { outcome: 'done' }
  | { outcome: 'retry'; delayMs: number }
  | { outcome: 'blocked'; letter: Letter };

/** What the machine holds that its work reads back (to refuse a second replay, to drop deliveries while paused). */
export interface HostView<Letter extends HeldLetter = HeldLetter> {
  paused: boolean;
  blockedOn: Letter | undefined;
  replaying: boolean;
}

/**
 * What the host machine drives. `src/host/component-host.ts` implements it; the machine
 * decides when each step runs, and holds which state the host is in.
 */
export interface HostWork<Letter extends HeldLetter = HeldLetter> {
  readonly consumer: string;
  /** Gives the work a way to wake and command the machine, and to read what it holds. */
  attach(send: (event: HostSignal | HostCommand<Letter>) => void, view: () => HostView<Letter>): void;
  /** Takes the lease, registers the route, opens the CSS record, restores the actors. */
  restore(): Promise<Restored>;
  /** Queues everything between the restored offset and the registration watermark. */
  catchUp(): Promise<void>;
  /** Applies the work waiting in the inbox, filling any gap from the log. */
  processBatch(): Promise<BatchOutcome<Letter>>;
  /** Writes offset, dirty snapshots, dead letters and emitted events in one transaction. */
  commit(): Promise<void>;
  /** Forgets the consumer's actors and rebuilds it from the log from `from` (an operator's replay). */
  replay(from: number): Promise<void>;
  /** Stops the actors and releases the route and lease. */
  shutDown(): Promise<void>;
  /** The blocked letter's event is tried again with the next batch. */
  retryLetter(letter: Letter): void;
  /** The blocked letter is marked skipped and the offset moves past its event. */
  skipLetter(letter: Letter): void;
  /** Records the phase for status readers in other processes. */
  entered(phase: HostPhase): void;
  /** A query: deliveries and timers fill the inbox outside the machine, between its steps. */
  hasInbox(): boolean;
  /** A query: the batch size, the checkpoint timer and what is uncommitted are counted as work is applied. */
  commitDue(): boolean;
  /** A query: only the work knows which of its errors mean another owner holds the consumer. */
  isFencing(error: unknown): boolean;
}

export interface HostContext {
  work: HostWork;
  /** An operator paused the consumer (restored from the CSS on restart). */
  paused: boolean;
  /** The dead letter a blocked host waits on. */
  blockedOn: HeldLetter | undefined;
  stopRequested: boolean;
  error: unknown;
  /** The fence the host learnt of by event; it ends as fenced at the next step boundary. */
  fencedBy: unknown;
  retryInMs: number;
  standbyMs: number;
  replay: ReplayRequest | undefined;
}

/** Events a host reports to its supervisor. */
export type HostReport =
  | { type: 'host.live'; consumer: string }
  | { type: 'host.standby'; consumer: string }
  | { type: 'host.failed'; consumer: string; error: unknown }
  | { type: 'host.fenced'; consumer: string; error: unknown }
  | { type: 'host.stopped'; consumer: string };

type HostEvent = HostSignal | HostCommand | { type: 'stop' };

const step = <I, O>(run: (work: HostWork, input: I) => Promise<O>) => fromPromise<O, { work: HostWork } & I>(({ input }) => run(input.work, input));
const withWork = ({ context }: { context: HostContext }) => ({ work: context.work });
const enter =
  (phase: HostPhase) =>
  ({ context }: { context: HostContext }) =>
    context.work.entered(phase);
const failOnError = { target: '#host.failing', actions: 'recordError' } as const;

/** Between batches, the first of these that holds decides where a waiting host goes. */
const leaveHold = [
  { guard: 'stopRequested', target: '#host.stopping' },
  { guard: 'fenced', target: '#host.failing', actions: 'failWithFence' },
  { guard: 'replayRequested', target: '#host.live.replaying' },
] as const;

/**
 * The component host lifecycle:
 * restoring (⇄ standby while another worker owns the consumer) → catching up → live (idle ⇄
 * processing → committing; retrying; blocked; paused; replaying), until stopped, failed or fenced.
 *
 * - A batch that ends on a failed event waits in `retrying` for its backoff, after what came
 *   before it is committed.
 * - Under the `block` policy, a consumer that gave up on an event commits and waits in `blocked`
 *   until an operator's `deadLetter.retry` or `deadLetter.skip` of that letter.
 * - An operator's `pause` takes the host to `paused` after the current batch, where it commits
 *   and waits for `resume`; the paused flag survives restarts (`restore` returns it).
 * - An operator's `replay` runs between batches, or while blocked or paused.
 * - A host that fails reports `host.failed` and ends; its supervisor decides whether to start a
 *   new one. A host told `fenced` (or failing on a fencing error) reports `host.fenced` and ends.
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
    replay: step((work, input: { from: number }) => work.replay(input.from)),
    shutDown: step((work) => work.shutDown()),
  },
  guards: {
    hasInbox: ({ context }) => context.work.hasInbox(),
    commitDue: ({ context }) => context.work.commitDue(),
    stopRequested: ({ context }) => context.stopRequested,
    fenced: ({ context }) => context.fencedBy !== undefined,
    paused: ({ context }) => context.paused,
    resumed: ({ context }) => !context.paused,
    unblocked: ({ context }) => context.blockedOn === undefined,
    replayRequested: ({ context }) => context.replay !== undefined,
    endsFenced: ({ context }) => context.fencedBy !== undefined || context.work.isFencing(context.error),
    blockedOnLetter: ({ context, event }) => 'letter' in event && event.letter.eventId === context.blockedOn?.eventId,
  },
  delays: {
    retryDelay: ({ context }) => context.retryInMs,
    standbyDelay: ({ context }) => context.standbyMs,
  },
  actions: {
    requestStop: assign({ stopRequested: true }),
    // Runs on invoke errors (`xstate.error.actor.*`), which carry the thrown value.
    recordError: assign({ error: ({ event }) => (event as { error?: unknown }).error }),
    recordFence: assign({ fencedBy: ({ context, event }) => context.fencedBy ?? (event.type === 'fenced' ? event.error : undefined) }),
    failWithFence: assign({ error: ({ context }) => context.error ?? context.fencedBy }),
    pause: assign({ paused: true }),
    resume: assign({ paused: false }),
    // The work refuses a second request while one is pending (it reads `replaying`), so the first stands.
    requestReplay: assign({
      replay: ({ context, event }) => context.replay ?? (event.type === 'replay' ? { from: event.from, settle: event.settle } : undefined),
    }),
    retryLetter: ({ context, event }) => {
      if (event.type === 'deadLetter.retry') context.work.retryLetter(event.letter);
    },
    skipLetter: ({ context, event }) => {
      if (event.type === 'deadLetter.skip') context.work.skipLetter(event.letter);
    },
    unblock: assign({ blockedOn: undefined }),
    // Runs on the replay step's done or error event; an error is passed on to the requester.
    settleReplay: ({ context, event }) => context.replay?.settle('error' in event ? (event.error ?? new Error('replay failed')) : undefined),
    clearReplay: assign({ replay: undefined }),
  },
}).createMachine({
  id: 'host',
  context: ({ input, self }) => {
    input.work.attach(
      (event) => self.send(event),
      () => {
        const { paused, blockedOn, replay } = self.getSnapshot().context;
        return { paused, blockedOn, replaying: replay !== undefined };
      },
    );
    return {
      work: input.work,
      stopRequested: false,
      error: undefined,
      fencedBy: undefined,
      paused: false,
      blockedOn: undefined,
      retryInMs: 0,
      standbyMs: 0,
      replay: undefined,
    };
  },
  initial: 'restoring',
  on: {
    stop: { actions: 'requestStop' },
    fenced: { actions: 'recordFence' },
    pause: { actions: 'pause' },
    resume: { actions: 'resume' },
    replay: { actions: 'requestReplay' },
  },
  states: {
    restoring: {
      entry: enter('restoring'),
      invoke: {
        src: 'restore',
        input: withWork,
        onDone: [
          {
            guard: ({ event }) => !event.output.restored,
            target: 'standby',
            actions: assign({ standbyMs: ({ event }) => (event.output.restored ? 0 : event.output.standbyMs) }),
          },
          { target: 'catchingUp', actions: assign({ paused: ({ event }) => event.output.restored && event.output.paused }) },
        ],
        onError: failOnError,
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
        onError: failOnError,
      },
    },
    live: {
      initial: 'idle',
      states: {
        idle: {
          entry: enter('live'),
          always: [
            ...leaveHold,
            { guard: 'paused', target: 'paused' },
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
              {
                guard: ({ event }) => event.output.outcome === 'retry',
                target: 'retrying',
                actions: assign({ retryInMs: ({ event }) => (event.output.outcome === 'retry' ? event.output.delayMs : 0) }),
              },
              {
                guard: ({ event }) => event.output.outcome === 'blocked',
                target: 'blocked',
                actions: assign({ blockedOn: ({ event }) => (event.output.outcome === 'blocked' ? event.output.letter : undefined) }),
              },
              { guard: 'commitDue', target: 'committing' },
              { target: 'idle' },
            ],
            onError: failOnError,
          },
        },
        committing: {
          invoke: { src: 'commit', input: withWork, onDone: 'idle', onError: failOnError },
        },
        retrying: {
          entry: enter('retrying'),
          initial: 'saving',
          states: {
            saving: {
              invoke: { src: 'commit', input: withWork, onDone: 'waiting', onError: failOnError },
            },
            waiting: {
              // A stop or fence that came while the failed batch was still running was only noted.
              always: [leaveHold[0], leaveHold[1]],
              after: { retryDelay: '#host.live.idle' },
              on: { stop: '#host.stopping' },
            },
          },
        },
        // The operator's answer is accepted while the commit runs too; `holding` leaves once it has come.
        blocked: {
          entry: enter('blocked'),
          initial: 'saving',
          on: {
            'deadLetter.retry': { guard: 'blockedOnLetter', actions: ['retryLetter', 'unblock'] },
            'deadLetter.skip': { guard: 'blockedOnLetter', actions: ['skipLetter', 'unblock'] },
          },
          states: {
            saving: {
              invoke: { src: 'commit', input: withWork, onDone: 'holding', onError: failOnError },
            },
            holding: {
              always: [...leaveHold, { guard: 'unblocked', target: '#host.live.idle' }],
              on: { 'commit.due': 'saving' },
            },
          },
        },
        paused: {
          entry: enter('paused'),
          initial: 'saving',
          states: {
            saving: {
              invoke: { src: 'commit', input: withWork, onDone: 'holding', onError: failOnError },
            },
            holding: {
              always: [...leaveHold, { guard: 'resumed', target: '#host.live.idle' }],
              on: { 'commit.due': 'saving' },
            },
          },
        },
        replaying: {
          // A replay starts over from the log: the letter it was blocked on is met again.
          entry: 'unblock',
          invoke: {
            src: 'replay',
            input: ({ context }) => ({ work: context.work, from: context.replay?.from ?? 1 }),
            onDone: { target: 'idle', actions: ['settleReplay', 'clearReplay'] },
            onError: { target: '#host.failing', actions: ['recordError', 'settleReplay', 'clearReplay'] },
          },
        },
      },
    },
    stopping: {
      invoke: { src: 'commit', input: withWork, onDone: 'shuttingDown', onError: failOnError },
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
      always: [{ guard: 'endsFenced', target: 'fenced' }, { target: 'failed' }],
    },
    fenced: {
      type: 'final',
      entry: [
        enter('fenced'),
        sendParent(({ context }): HostReport => ({ type: 'host.fenced', consumer: context.work.consumer, error: context.error ?? context.fencedBy })),
      ],
    },
    failed: {
      type: 'final',
      entry: [enter('failed'), sendParent(({ context }): HostReport => ({ type: 'host.failed', consumer: context.work.consumer, error: context.error }))],
    },
  },
});
