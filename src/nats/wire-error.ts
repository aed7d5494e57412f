import {
  ExceedsMaxPayloadError,
  InvalidConsumerError,
  InvalidEnvelopeError,
  InvalidEventError,
  InvalidOptionError,
  InvalidPatternError,
  InvalidTopicError,
  LeaseHeldError,
  LeaseNotHeldError,
  LogClosedError,
  MalformedMessageError,
  PayloadTooLargeError,
  RecqError,
  type RecqErrorCode,
  StaleEpochError,
  StorageError,
  SupervisorFailedError,
  SystemStoppedError,
  type WireError,
} from '../errors.ts';

export type { WireError } from '../errors.ts';

const NOT_FIELDS = new Set(['name', 'code', 'message', 'stack', 'cause']);
const MAX_FIELD_JSON = 1024;

/**
 * A RecqError as it travels: its code, its message, and its own fields; large or non-JSON
 * fields are left out (the message still names them).
 *
 * @example
 * errorToWire(new StaleEpochError('consumer:billing', 3, 4));
 * // { code: 'STALE_EPOCH', message: 'Write to "consumer:billing" ...', resource: 'consumer:billing', epoch: 3, currentEpoch: 4 }
 */
export function errorToWire(error: RecqError): WireError {
  const wire: WireError = { code: error.code, message: error.message };
  for (const [field, value] of Object.entries(error)) {
    if (NOT_FIELDS.has(field)) continue;
    try {
      const json = JSON.stringify(value);
      if (json !== undefined && json.length <= MAX_FIELD_JSON) wire[field] = value;
    } catch {
      // A field that cannot travel stays behind; the message describes it.
    }
  }
  return wire;
}

/** The classes a supervisor's refusal can name, by code; each rebuilds itself from the wire. */
const TRAVELLING = new Map<RecqErrorCode, { fromWire(wire: WireError): RecqError }>([
  ['INVALID_TOPIC', InvalidTopicError],
  ['INVALID_PATTERN', InvalidPatternError],
  ['INVALID_EVENT', InvalidEventError],
  ['INVALID_ENVELOPE', InvalidEnvelopeError],
  ['INVALID_CONSUMER', InvalidConsumerError],
  ['INVALID_OPTION', InvalidOptionError],
  ['PAYLOAD_TOO_LARGE', PayloadTooLargeError],
  ['LEASE_HELD', LeaseHeldError],
  ['STALE_EPOCH', StaleEpochError],
  ['LEASE_NOT_HELD', LeaseNotHeldError],
  ['STORAGE', StorageError],
  ['SYSTEM_STOPPED', SystemStoppedError],
  ['LOG_CLOSED', LogClosedError],
  ['MALFORMED_MESSAGE', MalformedMessageError],
  ['EXCEEDS_MAX_PAYLOAD', ExceedsMaxPayloadError],
  ['SUPERVISOR_FAILED', SupervisorFailedError],
]);

/**
 * Turns a reply's error back into the RecqError subclass its code names, rebuilt by that
 * class with its fields and the sender's message. A code with no class here (a newer peer's)
 * becomes a plain RecqError that keeps the code and message as they came.
 *
 * @example
 * const error = errorFromWire({ code: 'STALE_EPOCH', message: '...', resource: 'consumer:billing', epoch: 3, currentEpoch: 4 });
 * error instanceof StaleEpochError; // true
 */
export function errorFromWire(wire: WireError): RecqError {
  const travelling = TRAVELLING.get(wire.code as RecqErrorCode);
  return travelling ? travelling.fromWire(wire) : new RecqError(wire.code as RecqErrorCode, wire.message);
}
