import { RecqError, type WireError, wireText } from './recq-error.ts';
import { reasonOf } from './shown.ts';

/** The system was used after `stop()`. */
export class SystemStoppedError extends RecqError {
  constructor(action: string, wire?: WireError) {
    super('SYSTEM_STOPPED', wire?.message ?? `Cannot ${action}: the system has stopped. Create a new system to continue.`);
  }

  static fromWire(wire: WireError): SystemStoppedError {
    return new SystemStoppedError('', wire);
  }
}

/** A served system (`recq run`, `recq supervisor`, `recq worker`) stopped without being asked, e.g. after losing its lease on the log. */
export class StoppedOnItsOwnError extends RecqError {
  constructor(readonly what: string) {
    super('SYSTEM_STOPPED', `The ${what} stopped on its own; the log above says why.`);
  }
}

/**
 * A system, the supervisor or a consumer could not start; the cause says why.
 *
 * @example
 * throw new StartFailedError('consumer billing', error); // consumer billing failed to start: ...
 */
export class StartFailedError extends RecqError {
  constructor(
    readonly what: string,
    cause: unknown,
  ) {
    super('START_FAILED', `${what} failed to start: ${reasonOf(cause)}`, { cause });
  }
}

/**
 * A call that needs something this process has not started: a component's host, or the runner.
 * `why`, when given, says why it never will.
 *
 * @example
 * throw new NotStartedError('component billing'); // component billing has not started
 */
export class NotStartedError extends RecqError {
  constructor(
    readonly what: string,
    why?: string,
  ) {
    super('NOT_STARTED', why === undefined ? `${what} has not started` : `${what} has not started: ${why}`);
  }
}

/** Why a consumer will not settle: it is down (failed or fenced), blocked on a dead letter, or paused. */
export type ConsumerUnavailability =
  | { reason: 'down'; status: string; error: string | undefined }
  | { reason: 'blocked'; seq: number; error: string }
  | { reason: 'paused' };

const UNAVAILABLE_CODES = { down: 'CONSUMER_DOWN', blocked: 'CONSUMER_BLOCKED', paused: 'CONSUMER_PAUSED' } as const;

/**
 * Waiting for the system to settle cannot end: a consumer is down, blocked or paused. The code
 * says which (CONSUMER_DOWN, CONSUMER_BLOCKED, CONSUMER_PAUSED).
 *
 * @example
 * throw new ConsumerUnavailableError('billing', { reason: 'blocked', seq: 7, error: 'card declined' });
 */
export class ConsumerUnavailableError extends RecqError {
  readonly reason: ConsumerUnavailability['reason'];

  constructor(
    readonly consumer: string,
    why: ConsumerUnavailability,
  ) {
    super(UNAVAILABLE_CODES[why.reason], unavailableMessage(consumer, why));
    this.reason = why.reason;
  }
}

function unavailableMessage(consumer: string, why: ConsumerUnavailability): string {
  switch (why.reason) {
    case 'down':
      return `consumer ${consumer} is ${why.status} and will not settle: ${why.error ?? 'no error recorded'}`;
    case 'blocked':
      return `consumer ${consumer} is blocked on seq ${why.seq} and will not settle: ${why.error}. Retry or skip the dead letter.`;
    case 'paused':
      return `consumer ${consumer} is paused and will not settle until it is resumed`;
  }
}

/** An append after the event log was closed. */
export class LogClosedError extends RecqError {
  constructor(wire?: WireError) {
    super('LOG_CLOSED', wire?.message ?? 'The event log is closed; no more appends are accepted.');
  }

  static fromWire(wire: WireError): LogClosedError {
    return new LogClosedError(wire);
  }
}

/** SQLite refused a read or write (disk full, database locked, corrupt file). Nothing was committed. */
export class StorageError extends RecqError {
  constructor(
    readonly operation: string,
    cause: unknown,
    advice = 'Nothing from this operation was committed; it is retried once the cause is fixed.',
    wire?: WireError,
  ) {
    const sqliteCode = (cause as { code?: unknown })?.code;
    super(
      'STORAGE',
      wire?.message ?? `SQLite failed to ${operation}${typeof sqliteCode === 'string' ? ` (${sqliteCode})` : ''}: ${reasonOf(cause)}. ${advice}`,
      { cause },
    );
  }

  static fromWire(wire: WireError): StorageError {
    return new StorageError(wireText(wire.operation), new Error(wire.message), undefined, wire);
  }
}

/** `recq run` received SIGINT or SIGTERM: main's signal is aborted with this. */
export class InterruptedError extends RecqError {
  constructor(readonly signal: string) {
    super('INTERRUPTED', `recq run received ${signal}`);
  }
}
