import { RecqError, type WireError, wireNumber, wireText } from './recq-error.ts';
import { reasonOf } from './shown.ts';

/** A message that does not have the shape its subject promises. It is dropped or refused; nothing else changes. */
export class MalformedMessageError extends RecqError {
  constructor(
    readonly what: string,
    readonly field: string,
    reason: string,
    wire?: WireError,
  ) {
    super('MALFORMED_MESSAGE', wire?.message ?? `Malformed ${what}: ${field} ${reason}.`);
  }

  static fromWire(wire: WireError): MalformedMessageError {
    return new MalformedMessageError(wireText(wire.what), wireText(wire.field), '', wire);
  }
}

/** A message larger than the NATS server accepts (its `max_payload`). */
export class ExceedsMaxPayloadError extends RecqError {
  constructor(
    readonly what: string,
    readonly bytes: number,
    readonly maxPayload: number,
    readonly seq?: number,
    wire?: WireError,
  ) {
    super(
      'EXCEEDS_MAX_PAYLOAD',
      wire?.message ??
        `${what} is ${bytes} bytes, over the NATS server's max_payload of ${maxPayload} bytes. Raise max_payload in the nats-server configuration (e.g. "max_payload: 8MB"), or keep events smaller than it.`,
    );
  }

  static fromWire(wire: WireError): ExceedsMaxPayloadError {
    const seq = typeof wire.seq === 'number' ? wire.seq : undefined;
    return new ExceedsMaxPayloadError(wireText(wire.what), wireNumber(wire.bytes), wireNumber(wire.maxPayload), seq, wire);
  }
}

/** What to do when nats-server cannot be reached, unless the caller knows better. */
const START_NATS = 'Start nats-server (Debian: apt-get install nats-server) or fix the URL.';

/** No NATS server answered at the URL given. */
export class NatsConnectError extends RecqError {
  /** Why the connection failed, as the NATS client said it. */
  readonly reason: string;

  constructor(
    readonly servers: string,
    cause: unknown,
    advice = START_NATS,
  ) {
    super('NATS_CONNECT', `Cannot connect to NATS at ${servers}: ${reasonOf(cause)}. ${advice}`, { cause });
    this.reason = reasonOf(cause);
  }
}

/** The supervisor did not answer: nothing listens on its subject, or no reply came in time. */
export class SupervisorUnreachableError extends RecqError {
  constructor(
    readonly op: string,
    readonly subject: string,
    reason: string,
    cause: unknown,
  ) {
    super(
      'SUPERVISOR_UNREACHABLE',
      `The supervisor did not answer ${op} on "${subject}": ${reason}. Check that it is running with the same NATS server and namespace, and not overloaded; the call is safe to retry.`,
      { cause },
    );
  }
}

/** The supervisor failed to serve a request for a reason of its own (a defect, not the request). */
export class SupervisorFailedError extends RecqError {
  constructor(
    readonly op: string,
    cause: unknown,
    wire?: WireError,
  ) {
    super('SUPERVISOR_FAILED', wire?.message ?? `The supervisor failed to serve ${op}: ${reasonOf(cause)}. See its log.`, { cause });
  }

  static fromWire(wire: WireError): SupervisorFailedError {
    return new SupervisorFailedError(wireText(wire.op), undefined, wire);
  }
}
