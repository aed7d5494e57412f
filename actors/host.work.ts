/**
 * What the host machine (`host.machine.ts`) drives and hears: the work of one consumer it
 * steps through, the commands it takes, what it reports to its runner, and the view the work
 * reads back. `src/host/component-host.ts` implements `HostWork`.
 */

/**
 * The states of a host, as `status()`, `recq status` and the CSS show them: the name of the
 * state the machine is in (`hostStateOf`), where live work between batches (`idle`,
 * `processing`, `committing`) is `live`.
 */
export type HostState =
  | 'restoring'
  | 'standby'
  | 'catchingUp'
  | 'live'
  | 'retrying'
  | 'blocked'
  | 'paused'
  | 'replaying'
  | 'stopping'
  | 'failing'
  | 'stopped'
  | 'failed'
  | 'fenced';

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
  | { type: 'fenced'; error: unknown }
  /** A checkpoint is due (its timer fired, or one was asked for). */
  | { type: 'commit.due' };

/** How registering ended: the lease and the route are this host's, or another owner's lease lasts `standbyMs` more. */
export type Registered = { registered: true } | { registered: false; standbyMs: number };

/** How a batch ended: done, waiting `delayMs` to try a failed event again, or blocked on a dead letter. */
export type BatchOutcome<Letter extends HeldLetter = HeldLetter> =
  | { outcome: 'done' }
  | { outcome: 'retry'; delayMs: number }
  | { outcome: 'blocked'; letter: Letter };

/** What the work reads of its machine: the state, and what the operator's commands need to know. */
export interface HostView<Letter extends HeldLetter = HeldLetter> {
  state: HostState;
  /** An operator paused the consumer: deliveries are not queued, what they carried is read from the log on resume. */
  paused: boolean;
  /** The dead letter a blocked host waits on. */
  blockedOn: Letter | undefined;
  /** A replay is asked for or running: a second one is refused. */
  replaying: boolean;
}

/** How the work reaches the machine that drives it. */
export interface HostLink<Letter extends HeldLetter = HeldLetter> {
  send(event: HostCommand<Letter>): void;
  /** Calls `listener` with the machine's view now and after each step; returns a function that stops. */
  observe(listener: (view: HostView<Letter>) => void): () => void;
}

/**
 * What the host machine drives. `src/host/component-host.ts` implements it; the machine
 * decides when each step runs, and is the state the host is in.
 */
export interface HostWork<Letter extends HeldLetter = HeldLetter> {
  readonly consumer: string;
  /** Gives the work its machine: to send it what happens outside (a fence, a due checkpoint, a command), and to follow its view. */
  attach(link: HostLink<Letter>): void;
  /** Takes the lease and registers the route. */
  register(): Promise<Registered>;
  /** Applies the replays an operator queued while the consumer was down, before any snapshot is read. */
  replayQueued(): Promise<void>;
  /** Opens the CSS record and restores the actors; says whether an operator left the consumer paused. */
  restore(): Promise<{ paused: boolean }>;
  /** Queues everything between the restored offset and the registration watermark. */
  catchUp(): Promise<void>;
  /** Calls `ready` once the inbox holds work (deliveries, due timers, a letter's retry), at once if it does; returns a function that stops. */
  awaitWork(ready: () => void): () => void;
  /** Applies the work waiting in the inbox, filling any gap from the log; says whether a checkpoint is due after it. */
  processBatch(): Promise<BatchOutcome<Letter> & { commitDue: boolean }>;
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
  /** Only the work knows which of its errors mean another owner holds the consumer. */
  isFencing(error: unknown): boolean;
}

export interface HostContext {
  work: HostWork;
  /** The dead letter a blocked host waits on. */
  blockedOn: HeldLetter | undefined;
  /** Why the host ends failed or fenced: a step's error, or the fence it was told of. */
  error: unknown;
  retryInMs: number;
  standbyMs: number;
  /** The replay asked for, until it has run. */
  replay: ReplayRequest | undefined;
}

/** Events a host reports to its supervisor. */
export type HostReport =
  | { type: 'host.live'; consumer: string }
  | { type: 'host.standby'; consumer: string }
  | { type: 'host.failed'; consumer: string; error: unknown }
  | { type: 'host.fenced'; consumer: string; error: unknown }
  | { type: 'host.stopped'; consumer: string };
