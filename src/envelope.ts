import { randomBytes } from 'node:crypto';
import { InvalidEnvelopeError, InvalidEventError, NonJsonValueError, PayloadTooLargeError } from './errors.ts';
import { jsonProblem } from './json-value.ts';
import { assertTopic } from './topic.ts';
import { storedTraceContext, type TraceContext, traceContextProblem } from './trace-context.ts';

export type { TraceContext } from './trace-context.ts';

/** An XState-style event: an object with a string `type` and any JSON-serializable fields. */
export interface EventObject {
  type: string;
}

/** An event read back from the log: its fields are known only at run time. */
export interface StoredEvent extends EventObject {
  [field: string]: unknown;
}

/** What the SSS stores for every committed event. */
export interface Envelope<TEvent extends EventObject = StoredEvent> {
  /** Global position in the log: 1-based, gap-free, assigned at commit. */
  seq: number;
  /** Idempotency key: appending an id that exists returns the existing seq. */
  id: string;
  topic: string;
  key?: string;
  /** Commit time, in milliseconds since the epoch (from the system clock). */
  time: number;
  event: TEvent;
  /** Id of the event whose processing emitted this one. */
  causation?: string;
  correlationId?: string;
  /** W3C trace context of the span that published or emitted the event; absent when no tracer recorded one. */
  trace?: TraceContext;
}

/** The envelope fields that travel with an event into an actor, as `event.meta`. */
export interface EventMeta {
  seq: number;
  id: string;
  topic: string;
  key?: string;
  time: number;
}

/** An event as a component's actor receives it: the published object plus `meta`. */
export type DeliveredEvent<TEvent extends EventObject = StoredEvent> = TEvent & { meta: EventMeta };

/** What a producer hands to the SSS. */
export interface AppendInput<TEvent extends EventObject = EventObject> {
  topic: string;
  event: TEvent;
  key?: string;
  id?: string;
  causation?: string;
  correlationId?: string;
  /**
   * W3C trace context to store with the event. `publish` sets it to its span's context; one
   * given here (e.g. received from another system) becomes that span's parent. A malformed one
   * is refused with `InvalidEnvelopeError`. Not compared when the id is a duplicate.
   */
  trace?: TraceContext;
}

/** The outcome of one append. */
export interface AppendResult {
  seq: number;
  id: string;
  /** True when an event with this id was already in the log; nothing was appended. */
  duplicate: boolean;
  /**
   * Set on a duplicate whose topic, key or event (as JSON) is not the one the log holds under
   * that id: the id was reused for another event, which was not appended.
   */
  differs?: true;
}

/** An append that passed validation, with its event already serialized. */
export interface PreparedAppend {
  id: string;
  topic: string;
  key: string | null;
  json: string;
  causation: string | null;
  correlationId: string | null;
  /** Absent when the event carries no trace context. */
  trace?: TraceContext;
}

// Default ids are a per-process random prefix plus a counter: unique across processes, and
// increasing within one, so the log's id index grows at its right edge instead of at random.
const idPrefix = `${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
let idCounter = 0;

/** A new event id, unique across processes. */
export function newEventId(): string {
  idCounter++;
  return `${idPrefix}-${idCounter.toString(36).padStart(8, '0')}`;
}

/** Default limit on an event's JSON size. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
const MAX_ID_LENGTH = 512;

function optionalString(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0) throw new InvalidEnvelopeError(field, value, 'expected a non-empty string');
  if (value.length > MAX_ID_LENGTH) throw new InvalidEnvelopeError(field, value, `it is longer than ${MAX_ID_LENGTH} characters`);
  return value;
}

/**
 * Validates one append and serializes its event. Throws a typed error naming the bad value;
 * nothing is written until every append of a call has passed.
 */
export function prepareAppend(input: unknown, maxPayloadBytes: number): PreparedAppend {
  if (typeof input !== 'object' || input === null) throw new InvalidEnvelopeError('input', input, 'expected { topic, event, key?, id? }');
  const { topic, event, key, id, causation, correlationId, trace } = input as Record<string, unknown>;
  assertTopic(topic);
  assertEvent(event);
  const unstorable = jsonProblem(event, 'event');
  if (unstorable) throw new NonJsonValueError(event, unstorable.path, unstorable.problem);
  let json: string;
  try {
    json = JSON.stringify(event);
  } catch (error) {
    throw new InvalidEventError(event, `it cannot be stored as JSON (${(error as Error).message})`);
  }
  // Most payloads are far below the limit; only count bytes when the string could be near it.
  if (json.length * 3 > maxPayloadBytes) {
    const bytes = Buffer.byteLength(json);
    if (bytes > maxPayloadBytes) throw new PayloadTooLargeError(topic, bytes, maxPayloadBytes);
  }
  const prepared: PreparedAppend = {
    id: optionalString('id', id) ?? newEventId(),
    topic,
    key: optionalString('key', key),
    json,
    causation: optionalString('causation', causation),
    correlationId: optionalString('correlationId', correlationId),
  };
  if (trace !== undefined && trace !== null) {
    const problem = traceContextProblem(trace);
    if (problem) throw new InvalidEnvelopeError('trace', trace, `${problem}; pass a W3C trace context or leave trace out`);
    prepared.trace = storedTraceContext(trace as TraceContext);
  }
  return prepared;
}

/** The envelope of a prepared append stored at `seq` and `time`. */
export function envelopeOfPrepared(prepared: PreparedAppend, seq: number, time: number): Envelope {
  const envelope: Envelope = { seq, id: prepared.id, topic: prepared.topic, time, event: JSON.parse(prepared.json) as StoredEvent };
  if (prepared.key !== null) envelope.key = prepared.key;
  if (prepared.causation !== null) envelope.causation = prepared.causation;
  if (prepared.correlationId !== null) envelope.correlationId = prepared.correlationId;
  if (prepared.trace) envelope.trace = prepared.trace;
  return envelope;
}

/**
 * Checks that `event` is a plain object with a non-empty string `type` and no `meta` field
 * (recq adds `meta` on delivery).
 */
export function assertEvent(event: unknown): asserts event is EventObject {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidEventError(
      event,
      `expected an object with a string "type", got ${Array.isArray(event) ? 'an array' : event === null ? 'null' : typeof event}`,
    );
  }
  const type = (event as { type?: unknown }).type;
  if (typeof type !== 'string' || type.length === 0) throw new InvalidEventError(event, 'it has no "type" (a non-empty string)');
  if ('meta' in event) throw new InvalidEventError(event, '"meta" is reserved: recq adds it on delivery with seq, id, topic, key and time');
}
