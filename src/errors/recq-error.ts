/** Every code a `RecqError` can carry; each names one situation and stays stable across versions. */
export type RecqErrorCode =
  // Bad input, refused before anything changes.
  | 'INVALID_TOPIC'
  | 'INVALID_PATTERN'
  | 'INVALID_EVENT'
  | 'INVALID_ENVELOPE'
  | 'INVALID_CONSUMER'
  | 'INVALID_COMPONENT'
  | 'INVALID_OPTION'
  | 'PAYLOAD_TOO_LARGE'
  | 'MALFORMED_MESSAGE'
  | 'EXCEEDS_MAX_PAYLOAD'
  | 'UNKNOWN_COMPONENT'
  | 'UNKNOWN_KEY'
  | 'MISSING_KEY'
  | 'EVENT_REJECTED'
  | 'PERMANENT'
  // Snapshots.
  | 'VERSION_MISMATCH'
  | 'SNAPSHOT_RESTORE_FAILED'
  | 'SNAPSHOT_FAILED'
  // Ownership: leases and epochs.
  | 'LEASE_HELD'
  | 'STALE_EPOCH'
  | 'LEASE_EXPIRED'
  | 'LEASE_NOT_HELD'
  | 'NOT_REGISTERED'
  | 'HALTED'
  // Lifecycle of systems, consumers and the log.
  | 'SYSTEM_STOPPED'
  | 'START_FAILED'
  | 'NOT_STARTED'
  | 'CONSUMER_DOWN'
  | 'CONSUMER_BLOCKED'
  | 'CONSUMER_PAUSED'
  | 'LOG_CLOSED'
  | 'STORAGE'
  | 'INTERRUPTED'
  // Over NATS.
  | 'NATS_CONNECT'
  | 'SUPERVISOR_UNREACHABLE'
  | 'SUPERVISOR_FAILED'
  // Operators and the CLI.
  | 'USAGE'
  | 'INVALID_COMMAND'
  | 'UNKNOWN_DEAD_LETTER'
  | 'COMMAND_PENDING'
  | 'COMMAND_REFUSED'
  | 'OUTCOME_PENDING'
  | 'RETRY_FAILED'
  | 'DB_NOT_FOUND'
  | 'DB_UNREADABLE'
  | 'NOT_A_RECQ_DATABASE'
  | 'DB_IN_USE'
  | 'MODULE_NOT_FOUND'
  | 'INVALID_SYSTEM_MODULE'
  | 'NO_COMPONENTS'
  | 'STREAM_CONFIG'
  | 'WAIT_TIMEOUT'
  | 'UNKNOWN_COMMAND'
  | 'COMMAND_DONE'
  | 'LOG_IN_USE'
  | 'CONSUMER_RUNNING'
  | 'CONSUMER_NOT_RUNNING'
  | 'WORKER_UNREACHABLE'
  // The dashboard.
  | 'DASHBOARD_FORBIDDEN'
  | 'DASHBOARD_UNAUTHORIZED'
  | 'DASHBOARD_BAD_REQUEST'
  | 'DASHBOARD_NEEDS_TOKEN'
  | 'DASHBOARD_NOT_BUILT';

/**
 * An error as it travels in a reply: its code, the sender's message, and its own fields. A
 * class that can travel rebuilds itself from one with `static fromWire`.
 */
export interface WireError {
  code: string;
  message: string;
  [field: string]: unknown;
}

/**
 * Every error recq raises on purpose is a `RecqError` with a stable `code`, a message that
 * names the bad value and says what to do, and (where one exists) the underlying `cause`.
 *
 * @example
 * try {
 *   await system.publish('orders..placed', { type: 'order.placed' });
 * } catch (error) {
 *   if (error instanceof InvalidTopicError) console.error(error.code, error.topic);
 * }
 */
export class RecqError extends Error {
  readonly code: RecqErrorCode;

  constructor(code: RecqErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A wire field as text, for classes rebuilt from the wire; a missing one reads "undefined". */
export const wireText = (value: unknown): string => (typeof value === 'string' ? value : String(value));

/** A wire field as a number; a missing one is NaN, so the rebuilt error still says what it can. */
export const wireNumber = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);

/**
 * A system module may import recq from its built package while the CLI runs from source, so
 * a `RecqError` from the module can be another copy of the class: recognise it by name too.
 */
export function isRecqError(error: unknown): error is RecqError {
  if (error instanceof RecqError) return true;
  for (let proto = error === null || typeof error !== 'object' ? null : Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === 'RecqError') return true;
  }
  return false;
}
