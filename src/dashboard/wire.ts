// What the dashboard's server sends its page, as JSON. Types only: the page imports them too.

/** A state node of a machine, as the page draws it. */
export interface ChartNode {
  /** XState's id: `document.review.legal.pending`. */
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Id of the initial child, for a compound state. */
  initial?: string;
  history?: 'shallow' | 'deep';
  children: ChartNode[];
  transitions: ChartTransition[];
}

export interface ChartTransition {
  /** The event type as the page labels it (`after reviewDeadline`, `done`, `submit`). */
  label: string;
  targets: string[];
  guard?: string;
}

/** A component as the page lists it, with its statechart where the dashboard has its logic. */
export interface DashboardComponent {
  component: string;
  keyed: boolean | undefined;
  chart: ChartNode | undefined;
}

export interface DashboardConsumer {
  consumer: string;
  component: string;
  hostState: string;
  offset: number;
  head: number;
  /** Events after the offset the consumer still has to apply; null when unknown. */
  lag: number | null;
  /** Actors in memory; null when the dashboard reads a file. */
  activeActors: number | null;
  storedActors: number;
  leaseOwner: string | undefined;
  leaseEpoch: number | undefined;
  /** Host restarts; null when the dashboard reads a file. */
  restarts: number | null;
  lastError: string | undefined;
  deadLetters: number;
}

/** What both sources know of a consumer; the rest (actors in memory, restarts, last error) only a running system does. */
export interface ConsumerBasics {
  consumer: string;
  component: string;
  hostState: string;
  offset: number;
  lag: number | null;
  storedActors: number;
  deadLetters: number;
}

/** A consumer's row, from what a source knows of it, the log head and its lease. */
export function consumerRow(
  c: ConsumerBasics,
  head: number,
  lease: { owner: string; epoch: number } | undefined,
  running: Pick<DashboardConsumer, 'activeActors' | 'restarts' | 'lastError'>,
): DashboardConsumer {
  const { consumer, component, hostState, offset, lag, storedActors, deadLetters } = c;
  return { consumer, component, hostState, offset, head, lag, storedActors, deadLetters, leaseOwner: lease?.owner, leaseEpoch: lease?.epoch, ...running };
}

export interface DashboardDeadLetter {
  id: number;
  consumer: string;
  seq: number;
  topic: string;
  key: string | undefined;
  eventId: string;
  event: unknown;
  error: string;
  stack: string | undefined;
  attempts: number;
  status: 'parked' | 'blocking' | 'retried' | 'skipped';
  firstFailedAt: number;
  lastFailedAt: number;
}

export interface DashboardEvent {
  seq: number;
  id: string;
  topic: string;
  key: string | undefined;
  time: number;
  event: unknown;
  /** Set when the event is an input record (on `$input.<consumer>`): what it says happened to the actor. */
  input?: DashboardInput;
}

/**
 * What an input record says, as the page shows it. A consumer's host appends one on
 * `$input.<consumer>`, keyed by the actor's key, whenever something besides its subscribed
 * events changes the actor, and the actor takes it in at its seq, like any event.
 *
 * @example
 * // { type: 'recq.child.done', child: 'orders/o-1/1/invoke/0.order.pricing/0', outcome: 'done', value: '{"total":20}' } reads as
 * const input: DashboardInput = {
 *   consumer: 'orders', kind: 'done', name: '0.order.pricing', src: 'quote',
 *   effect: 'orders/o-1/1/invoke/0.order.pricing/0', value: { total: 20 },
 * };
 */
export interface DashboardInput {
  /** The consumer whose actor it is for (today, its component's name). */
  consumer: string;
  /**
   * `timer`: a delayed event fell due; `done` or `error`: an invoked child's outcome; `event`:
   * an event a callback child sent back; `value`: a value an observable child emitted.
   */
  kind: 'timer' | 'done' | 'error' | 'event' | 'value';
  /** The timer's delayed event (`xstate.after.<delay>.<state id>`, or a delayed send's id), or the child's path (its invoke id). */
  name: string;
  /** The child's effect id (`component/key/<tag>/invoke/<path>/<n>`, also its idempotency key), or the timer's tag (`timer/<seq>/<id>`). */
  effect: string;
  /** The child's logic as the machine's `setup` names it, where the dashboard has the machine. */
  src?: string;
  /** For `event` and `value`: which of the child's events or values, from 0. */
  n?: number;
  /** The child's output or error, the event it sent, or the value, parsed from the record; null for a timer, or when there is none. */
  value: unknown;
}

/** An input record of an actor, as its effects list shows it. */
export type DashboardEffect = DashboardEvent & { input: DashboardInput };

/** The head of the log at one instant of the dashboard's clock: the chart of events/s is drawn from these. */
export interface HeadSample {
  at: number;
  head: number;
}

/** Everything the page's panels show but the actor view, pushed whenever it changes. */
export interface DashboardOverview {
  /** Where the dashboard reads: a running system, or a file. */
  source: string;
  /** Whether writes take effect at once (a running system) or are queued in the file for the system that runs the consumer. */
  writes: 'direct' | 'queued';
  head: number;
  supervisor: string | undefined;
  consumers: DashboardConsumer[];
  deadLetters: DashboardDeadLetter[];
  samples: HeadSample[];
  /** What this source cannot list, and why (over NATS: a worker out of reach, or letters beyond the newest a reply holds). */
  unavailable?: { deadLetters?: string };
}

export interface DashboardTimer {
  id: string;
  event: unknown;
  due: number;
}

/** One actor: its state, what it waits for, and the events of the log that reached it. */
export interface DashboardActor {
  component: string;
  key: string | undefined;
  value: unknown;
  context: unknown;
  status: string;
  /** Seq of the last event it applied. */
  seq: number;
  /** Its pending delayed events, as of its last checkpoint. */
  timers: DashboardTimer[];
  /** Events of the log on its topics and key, and its input records, oldest first (the most recent ones). */
  history: DashboardEvent[];
  /** Its input records in the log (timers fired, children's outcomes, events and values), in seq order (the most recent ones). */
  effects: DashboardEffect[];
  /** The sections this source cannot fill, and why (over NATS, pending timers are in the worker's file). */
  unavailable: { timers?: string };
}

/** The actor after one event or input record of its history, rebuilt by replaying the log through its machine in memory. */
export interface DashboardStep {
  /** The event or input record (then with `input`) taken in at this step. */
  event: DashboardEvent;
  value: unknown;
  context: unknown;
  status: string;
  /** Why the event failed here: the system dead-lettered it and the actor went on without it. */
  failed?: string;
  /** What else is true at this step: an input record that changed nothing (its timer was no longer pending, its child had stopped). */
  notes: string[];
}

/** An actor's history replayed: where it started, and each step after it. */
export interface DashboardReplay {
  component: string;
  key: string | undefined;
  start: { value: unknown; context: unknown; status: string };
  /** The most recent steps, oldest first. */
  steps: DashboardStep[];
  /** What holds for the whole replay: history the log no longer has, events left out, children and timers still pending at the end. */
  notes: string[];
}

/** What the page's stream carries: `overview`, `events` (new tail), `actor` (the watched one), `actor-error`. */
export type StreamMessage =
  | { type: 'overview'; overview: DashboardOverview }
  | { type: 'events'; events: DashboardEvent[] }
  | { type: 'actor'; actor: DashboardActor }
  | { type: 'actor-error'; message: string };

/** The header every write must carry: a cross-site form cannot send it, and a cross-site script cannot without a preflight the dashboard refuses. */
export const WRITE_HEADER = 'x-recq-dashboard';
