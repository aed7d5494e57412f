import type { HostState } from '../../actors/host.work.ts';
import type { AppendInput, PreparedAppend } from '../envelope.ts';

// The records of the Consumer State Store, apart from the tables and classes that store them,
// so each table's module and its class can share them without importing each other.

/**
 * Where a checkpoint's emitted events go, inside the checkpoint's own transaction: the log
 * itself in the embedded deployment, a local outbox in the distributed one.
 */
export interface EmitSink {
  transaction<T>(work: () => T): T;
  appendWithinTransaction(prepared: readonly PreparedAppend[], consumer: string): unknown;
}

/** A consumer's durable position. */
export interface ConsumerRecord {
  consumer: string;
  component: string;
  offset: number;
  version: string;
  patterns: string[];
}

/** One actor's persisted snapshot, as JSON, with the logic version that wrote it. */
export interface StoredSnapshot {
  key: string;
  version: string;
  /** Seq of the last event the actor had processed when this snapshot was taken. */
  seq: number;
  snapshot: string;
  /** The actor's pending delayed events (JSON list of `StoredTimer`), or null. */
  timers: string | null;
}

/**
 * - `parked`: failed for good; the consumer went on without it.
 * - `blocking`: failed for good under the `block` policy; the consumer waits for an operator.
 * - `retried`: an operator retried it and it was applied.
 * - `skipped`: an operator skipped it.
 */
export type DeadLetterStatus = 'parked' | 'blocking' | 'retried' | 'skipped';

/** An event (or fired timer) that could not be applied, kept with its error. */
export interface DeadLetter {
  /** Assigned when first committed; what operators name it by. */
  id?: number;
  consumer: string;
  seq: number;
  /** The envelope id, or `timer/<seq>/<timer id>` for a fired timer. */
  eventId: string;
  key: string | undefined;
  topic: string;
  /** The event as JSON. */
  event: string;
  error: string;
  stack: string | undefined;
  attempts: number;
  firstFailedAt: number;
  lastFailedAt: number;
  status: DeadLetterStatus;
}

/**
 * How an invoked child ended, as the journal keeps it:
 * - `done`, `error`: it settled, and its output (or error) was delivered to its parent.
 * - `stopped`: its parent stopped it before it settled (it left the state that invoked it).
 * - `parked`: delivering its outcome failed; the outcome went to a dead letter instead.
 * - `fired`: no child, a delayed event of the actor's that fell due and was applied (id `component/key/timer/<cause>/<timer id>/fired`).
 */
export type JournalOutcome = 'done' | 'error' | 'stopped' | 'parked' | 'fired';

/** One invoked child's outcome, under its deterministic id; restore and replay deliver it instead of invoking again. */
export interface JournalEntry {
  /** `component/key/<invoking event seq, or timer>/invoke/<child path>/<n>`: also the child's idempotency key. */
  id: string;
  /** The actor's key ('' for a singleton). */
  key: string;
  outcome: JournalOutcome;
  /** The output (done) or error (error, parked) as JSON; null when there is none. */
  value: string | null;
  /** Seq of the last event the actor had processed when the outcome was delivered: a replay delivers it at the same point. */
  appliedAfter: number;
  /** How many outcomes and timer firings the actor had been given since that event: the order a replay delivers them in. */
  position?: number;
}

/** Everything a consumer commits at once. */
export interface Checkpoint {
  offset: number;
  snapshots: readonly StoredSnapshot[];
  emitted: readonly PreparedAppend[];
  deadLetters: readonly DeadLetter[];
}

/** The coarse lifecycle state a host records for `recq status` in other processes. */
export type { HostState };

/**
 * What an operator can ask of a consumer from outside the process that runs it:
 * - `pause`, `resume`: stop applying events after the current batch, and go on again.
 * - `retry`, `skip`: retry or skip a dead letter (`arg`: its id).
 * - `replay`: forget the consumer's actors and rebuild them from the log (`arg`: the seq to start from).
 */
export type ConsumerCommandName = 'pause' | 'resume' | 'retry' | 'skip' | 'replay';

export const CONSUMER_COMMANDS: readonly ConsumerCommandName[] = ['pause', 'resume', 'retry', 'skip', 'replay'];

/** One queued operator command and, once the consumer's host has run it, how that ended. */
export interface ConsumerCommand {
  id: number;
  consumer: string;
  command: ConsumerCommandName;
  /** The dead letter id for `retry` and `skip`, the seq to replay from for `replay`. */
  arg: string | undefined;
  requestedAt: number;
  /** When the host ran it; undefined while it is queued. */
  doneAt: number | undefined;
  /** What running it did, in words. */
  outcome: string | undefined;
  /** Why it was refused; a refused command changed nothing. */
  error: string | undefined;
}

/** How a command ended: what it did, or why it was refused. */
export type CommandResult = { outcome: string } | { error: string };

/** An emitted event waiting in the outbox, with its place in the consumer's order. */
export interface OutboxEntry {
  position: number;
  input: AppendInput;
}
