import { assign, fromCallback, fromPromise, or, raise, type StateValue, sendParent, setup, stateIn } from 'xstate';
import type { HeldLetter, HostCommand, HostContext, HostReport, HostState, HostView, HostWork } from './host.work.ts';

type HostEvent = HostCommand | { type: 'work' } | { type: 'stop' } | { type: 'ended' };

const LIVE_BETWEEN_BATCHES = new Set(['idle', 'processing', 'committing']);

/** The host's state, from the machine's state value (see `HostState`). */
export function hostStateOf(value: StateValue): HostState {
  const lifecycle = (value as { lifecycle: StateValue }).lifecycle;
  if (typeof lifecycle === 'string') return lifecycle as HostState;
  const [top, inner] = Object.entries(lifecycle)[0] as [string, StateValue];
  if (top !== 'live') return top as HostState;
  const work = (inner as { work: StateValue }).work;
  const step = typeof work === 'string' ? work : (Object.keys(work)[0] as string);
  return (LIVE_BETWEEN_BATCHES.has(step) ? 'live' : step) as HostState;
}

const step = <I, O>(run: (work: HostWork, input: I) => Promise<O>) => fromPromise<O, { work: HostWork } & I>(({ input }) => run(input.work, input));
const withWork = ({ context }: { context: HostContext }) => ({ work: context.work });
const failOnError = { target: '#host.lifecycle.failing', actions: 'recordError' } as const;

/** After a step of restoring: a stop or a fence asked for while it ran is taken now. */
const endIfAsked = [
  { guard: 'stopAsked', target: '#host.lifecycle.stopping' },
  { guard: 'fenceAsked', target: '#host.lifecycle.failing' },
] as const;

/** Between batches, the first of these that holds decides where a waiting host goes. */
const takeAsked = [...endIfAsked, { guard: 'replayAsked', target: '#host.lifecycle.live.work.replaying' }] as const;

/** A hold: commit what was applied, then wait until `until` holds (or something asked is taken); a due checkpoint commits again. */
const holdUntil = (until: 'unblocked' | 'resumed') =>
  ({
    initial: 'saving',
    states: {
      saving: { invoke: { src: 'commit', input: withWork, onDone: 'holding', onError: failOnError } },
      holding: {
        always: [...takeAsked, { guard: until, target: '#host.lifecycle.live.work.idle' }],
        on: { 'commit.due': 'saving' },
      },
    },
  }) as const;

/**
 * The component host lifecycle, in two regions. `lifecycle`: restoring (registering → the
 * replays queued while it was down → opening the actors; ⇄ standby while another worker owns the
 * consumer) → live → stopping, or failing → failed or fenced. `asked`: what an operator, the
 * lease or the runner asked for that waits for the step under way to end (a replay, a stop, a
 * fence); the lifecycle takes it at the next step boundary.
 *
 * Live, `mode` is running or paused (an operator's pause, kept in the CSS across restarts), and
 * `work` catches up, then goes idle ⇄ processing → committing, with these holds:
 * - A batch that ends on a failed event waits in `retrying` for its backoff, after what came
 *   before it is committed.
 * - Under the `block` policy, a consumer that gave up on an event commits and waits in `blocked`
 *   until an operator's `deadLetter.retry` or `deadLetter.skip` of that letter.
 * - Paused, the host commits after the current batch and holds in `paused` until resumed.
 * - A replay runs between batches, or while blocked or paused.
 * A host that fails reports `host.failed` and ends; its runner decides whether to start a new
 * one. A host told `fenced` (or failing on a fencing error) reports `host.fenced` and ends.
 */
export const hostMachine = setup({
  types: {
    context: {} as HostContext,
    input: {} as { work: HostWork },
    events: {} as HostEvent,
  },
  actors: {
    register: step((work) => work.register()),
    replayQueued: step((work) => work.replayQueued()),
    restore: step((work) => work.restore()),
    catchUp: step((work) => work.catchUp()),
    processBatch: step((work) => work.processBatch()),
    commit: step((work) => work.commit()),
    replay: step((work, input: { from: number }) => work.replay(input.from)),
    shutDown: step((work) => work.shutDown()),
    awaitWork: fromCallback<HostEvent, { work: HostWork }>(({ input, sendBack }) => input.work.awaitWork(() => sendBack({ type: 'work' }))),
  },
  guards: {
    stopAsked: stateIn({ asked: 'stop' }),
    fenceAsked: stateIn({ asked: 'fence' }),
    replayAsked: stateIn({ asked: 'replay' }),
    replaying: stateIn({ lifecycle: { live: { work: 'replaying' } } }),
    paused: stateIn({ lifecycle: { live: { mode: 'paused' } } }),
    resumed: stateIn({ lifecycle: { live: { mode: 'running' } } }),
    unblocked: ({ context }) => context.blockedOn === undefined,
    endsFenced: or([stateIn({ asked: 'fence' }), ({ context }) => context.work.isFencing(context.error)]),
    blockedOnLetter: ({ context, event }) => 'letter' in event && event.letter.eventId === context.blockedOn?.eventId,
  },
  delays: {
    retryDelay: ({ context }) => context.retryInMs,
    standbyDelay: ({ context }) => context.standbyMs,
  },
  actions: {
    // Runs on invoke errors (`xstate.error.actor.*`), which carry the thrown value.
    recordError: assign({ error: ({ event }) => (event as { error?: unknown }).error }),
    recordFence: assign({ error: ({ context, event }) => context.error ?? (event.type === 'fenced' ? event.error : undefined) }),
    holdReplay: assign({ replay: ({ event }) => (event.type === 'replay' ? { from: event.from, settle: event.settle } : undefined) }),
    // A replay asked for while the host ends is refused at once: nothing will run it.
    refuseReplay: ({ context, event }) => {
      if (event.type === 'replay') event.settle(new Error(`consumer ${context.work.consumer} is stopping; its replay was not run`));
    },
    retryLetter: ({ context, event }) => {
      if (event.type === 'deadLetter.retry') context.work.retryLetter(event.letter);
    },
    skipLetter: ({ context, event }) => {
      if (event.type === 'deadLetter.skip') context.work.skipLetter(event.letter);
    },
    unblock: assign({ blockedOn: undefined }),
    // Runs on the replay step's done or error event; an error is passed on to the requester.
    settleReplay: assign({
      replay: ({ context, event }) => {
        context.replay?.settle('error' in event ? (event.error ?? new Error('replay failed')) : undefined);
        return undefined;
      },
    }),
    reportLive: sendParent(({ context }): HostReport => ({ type: 'host.live', consumer: context.work.consumer })),
    reportStandby: sendParent(({ context }): HostReport => ({ type: 'host.standby', consumer: context.work.consumer })),
    reportStopped: sendParent(({ context }): HostReport => ({ type: 'host.stopped', consumer: context.work.consumer })),
    reportFenced: sendParent(({ context }): HostReport => ({ type: 'host.fenced', consumer: context.work.consumer, error: context.error })),
    reportFailed: sendParent(({ context }): HostReport => ({ type: 'host.failed', consumer: context.work.consumer, error: context.error })),
    // Closes the `asked` region too, so the machine is done.
    end: raise({ type: 'ended' }),
  },
}).createMachine({
  id: 'host',
  type: 'parallel',
  context: ({ input, self }) => {
    input.work.attach({
      send: (event) => self.send(event),
      // The first view comes as the machine starts, then one after each step that changed it.
      observe: (listener) => {
        let last: HostView | undefined;
        const subscription = self.subscribe({
          next: (snapshot) => {
            const next = hostViewOf(snapshot);
            if (last && next.state === last.state && next.paused === last.paused && next.blockedOn === last.blockedOn && next.replaying === last.replaying)
              return;
            last = next;
            listener(next);
          },
          error: () => {},
        });
        return () => subscription.unsubscribe();
      },
    });
    return { work: input.work, error: undefined, blockedOn: undefined, retryInMs: 0, standbyMs: 0, replay: undefined };
  },
  states: {
    asked: {
      initial: 'nothing',
      on: { ended: '.over' },
      states: {
        nothing: {
          on: {
            replay: { target: 'replay', actions: 'holdReplay' },
            stop: 'stop',
            fenced: { target: 'fence', actions: 'recordFence' },
          },
        },
        replay: {
          // Taken: the replay runs, and the next one may be asked for.
          always: { guard: 'replaying', target: 'nothing' },
          on: { stop: 'stop', fenced: { target: 'fence', actions: 'recordFence' } },
        },
        stop: { on: { fenced: { target: 'fence', actions: 'recordFence' }, replay: { actions: 'refuseReplay' } } },
        fence: { on: { replay: { actions: 'refuseReplay' } } },
        over: { type: 'final' },
      },
    },
    lifecycle: {
      initial: 'restoring',
      states: {
        restoring: {
          initial: 'registering',
          states: {
            registering: {
              invoke: {
                src: 'register',
                input: withWork,
                onDone: [
                  {
                    guard: ({ event }) => !event.output.registered,
                    target: '#host.lifecycle.standby',
                    actions: assign({ standbyMs: ({ event }) => (event.output.registered ? 0 : event.output.standbyMs) }),
                  },
                  ...endIfAsked,
                  { target: 'replayingQueued' },
                ],
                onError: failOnError,
              },
            },
            replayingQueued: {
              invoke: { src: 'replayQueued', input: withWork, onDone: [...endIfAsked, { target: 'opening' }], onError: failOnError },
            },
            opening: {
              invoke: {
                src: 'restore',
                input: withWork,
                onDone: [
                  ...endIfAsked,
                  { guard: ({ event }) => event.output.paused, target: '#host.lifecycle.live.mode.paused' },
                  { target: '#host.lifecycle.live' },
                ],
                onError: failOnError,
              },
            },
          },
        },
        // Another worker owns the consumer; take over when its lease expires.
        standby: {
          entry: 'reportStandby',
          always: { guard: 'stopAsked', target: 'stopped' },
          after: { standbyDelay: 'restoring' },
        },
        live: {
          type: 'parallel',
          states: {
            mode: {
              initial: 'running',
              states: {
                running: { on: { pause: 'paused' } },
                paused: { on: { resume: 'running' } },
              },
            },
            work: {
              initial: 'catchingUp',
              states: {
                catchingUp: {
                  invoke: { src: 'catchUp', input: withWork, onDone: { target: 'idle', actions: 'reportLive' }, onError: failOnError },
                },
                idle: {
                  always: [...takeAsked, { guard: 'paused', target: 'paused' }],
                  invoke: { src: 'awaitWork', input: withWork },
                  on: { work: 'processing', 'commit.due': 'committing' },
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
                      { guard: ({ event }) => event.output.commitDue, target: 'committing' },
                      { target: 'idle' },
                    ],
                    onError: failOnError,
                  },
                },
                committing: {
                  invoke: { src: 'commit', input: withWork, onDone: 'idle', onError: failOnError },
                },
                retrying: {
                  initial: 'saving',
                  states: {
                    saving: {
                      invoke: { src: 'commit', input: withWork, onDone: 'waiting', onError: failOnError },
                    },
                    waiting: {
                      always: [...endIfAsked],
                      after: { retryDelay: '#host.lifecycle.live.work.idle' },
                    },
                  },
                },
                // The operator's answer is accepted while the commit runs too; `holding` leaves once it has come.
                blocked: {
                  ...holdUntil('unblocked'),
                  on: {
                    'deadLetter.retry': { guard: 'blockedOnLetter', actions: ['retryLetter', 'unblock'] },
                    'deadLetter.skip': { guard: 'blockedOnLetter', actions: ['skipLetter', 'unblock'] },
                  },
                },
                paused: holdUntil('resumed'),
                replaying: {
                  // A replay starts over from the log: the letter it was blocked on is met again.
                  entry: 'unblock',
                  invoke: {
                    src: 'replay',
                    input: ({ context }) => ({ work: context.work, from: context.replay?.from ?? 1 }),
                    onDone: { target: 'idle', actions: 'settleReplay' },
                    onError: { target: '#host.lifecycle.failing', actions: ['recordError', 'settleReplay'] },
                  },
                },
              },
            },
          },
        },
        stopping: {
          initial: 'saving',
          states: {
            saving: {
              invoke: { src: 'commit', input: withWork, onDone: 'shuttingDown', onError: failOnError },
            },
            shuttingDown: {
              invoke: { src: 'shutDown', input: withWork, onDone: '#host.lifecycle.stopped', onError: '#host.lifecycle.stopped' },
            },
          },
        },
        failing: {
          invoke: {
            src: 'shutDown',
            input: withWork,
            onDone: [{ guard: 'endsFenced', target: 'fenced' }, { target: 'failed' }],
            onError: [{ guard: 'endsFenced', target: 'fenced' }, { target: 'failed' }],
          },
        },
        stopped: {
          type: 'final',
          entry: ['reportStopped', 'end'],
        },
        fenced: {
          type: 'final',
          entry: ['reportFenced', 'end'],
        },
        failed: {
          type: 'final',
          entry: ['reportFailed', 'end'],
        },
      },
    },
  },
});

/** What the work reads of a host machine's snapshot. */
export function hostViewOf<Letter extends HeldLetter = HeldLetter>(snapshot: { value: StateValue; context: HostContext }): HostView<Letter> {
  const value = snapshot.value as { asked: string; lifecycle: StateValue };
  const state = hostStateOf(value);
  const lifecycle = value.lifecycle;
  const live = typeof lifecycle === 'object' && 'live' in lifecycle ? (lifecycle.live as { mode: string }) : undefined;
  return {
    state,
    paused: live?.mode === 'paused',
    blockedOn: snapshot.context.blockedOn as Letter | undefined,
    replaying: value.asked === 'replay' || state === 'replaying',
  };
}
