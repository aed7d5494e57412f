import { RecqError } from './recq-error.ts';

/**
 * This supervisor does not lead the log (it stands by, or a newer epoch took over): the
 * append was not written. Safe to retry: the leading supervisor answers on the same subjects.
 */
export class NotLeadingError extends RecqError {
  constructor(
    readonly action: string,
    readonly epoch: number,
    reason: string,
    cause?: unknown,
  ) {
    // A retryable code: a client treats it as a supervisor that did not answer, and asks again.
    super(
      'SUPERVISOR_UNREACHABLE',
      `Cannot ${action}: this supervisor no longer leads the log (its epoch was ${epoch}; ${reason}). Retry: the leading supervisor answers.`,
      {
        cause,
      },
    );
  }
}

/** The JetStream stream (or liveness bucket) exists with a configuration recq cannot use. */
export class StreamConfigError extends RecqError {
  constructor(
    readonly stream: string,
    readonly field: string,
    readonly found: unknown,
    readonly wanted: unknown,
  ) {
    super(
      'STREAM_CONFIG',
      `JetStream stream "${stream}" has ${field} ${JSON.stringify(found)}, but this supervisor needs ${JSON.stringify(wanted)}. Give the same jetstream options to every supervisor, or change the stream with the nats CLI (nats stream edit ${stream}).`,
    );
  }
}

/** A record in the stream that no recq supervisor wrote (or that a newer recq wrote): the log cannot be read past it. */
export class UnreadableRecordError extends RecqError {
  constructor(
    readonly stream: string,
    readonly seq: number,
    reason: string,
  ) {
    super(
      'MALFORMED_MESSAGE',
      `Record seq ${seq} of JetStream stream "${stream}" is not a recq record (${reason}). Only recq supervisors may publish to the log's subject.`,
    );
  }
}
