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
}

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
  /** Events of the log on its topics and key, oldest first (the most recent ones). */
  history: DashboardEvent[];
  /** Its invoked children's journaled outcomes and its journaled timer firings, in the order they were delivered. */
  journal: DashboardEffect[];
  /** The sections this source cannot fill, and why (over NATS, timers and the journal are in the worker's file). */
  unavailable: { timers?: string; journal?: string };
}

/** One journaled input of an actor: a child's outcome (`done`, `error`, ...) or a delayed event's firing. */
export interface DashboardEffect {
  /** The journal id: `component/key/<invoking seq or timer>/invoke/<child path>/<n>`. */
  id: string;
  kind: 'child' | 'timer';
  /** The child's path (its invoke id), or the timer's name. */
  name: string;
  /** The child's logic as the machine's `setup` names it, where the dashboard has the machine. */
  src?: string;
  outcome: string;
  /** The output or error, parsed from the journal's JSON; null when there is none. */
  value: unknown;
  /** Delivered once the actor had applied this seq. */
  appliedAfter: number;
}

/** The actor after one event of its history, rebuilt by replaying the log through its machine in memory. */
export interface DashboardStep {
  event: DashboardEvent;
  value: unknown;
  context: unknown;
  status: string;
  /** Why the event failed here: the system dead-lettered it and the actor went on without it. */
  failed?: string;
  /** Journaled child outcomes and timer firings delivered right after the event, as they were the first time. */
  delivered: string[];
  /** What the replay could not reconstruct at this step. */
  gaps: string[];
}

/** An actor's history replayed: where it started, and each step after it. */
export interface DashboardReplay {
  component: string;
  key: string | undefined;
  start: { value: unknown; context: unknown; status: string };
  /** The most recent steps, oldest first. */
  steps: DashboardStep[];
  /** What holds for the whole replay: events left out, history the log no longer has, timers not fired. */
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
