import type { AppendResult, Envelope, StoredEvent } from '../envelope.ts';
import {
  ExceedsMaxPayloadError,
  InvalidEnvelopeError,
  InvalidEventError,
  InvalidOptionError,
  InvalidPatternError,
  InvalidTopicError,
  LeaseHeldError,
  MalformedMessageError,
  PayloadTooLargeError,
  RecqError,
  type RecqErrorCode,
  StaleEpochError,
  StorageError,
  SystemStoppedError,
} from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { ReadQuery } from '../sss/event-log.ts';
import type { Registration, RouteState } from '../sss/log-access.ts';
import { assertPattern, assertTopic } from '../topic.ts';
import type { Delivery } from '../transport/transport.ts';
import { assertConsumer, type SssOp } from './subjects.ts';

/** The header every recq message carries, naming the wire format it was encoded with. */
export const WIRE_HEADER = 'Recq-Wire';
export const WIRE_VERSION = '1';
/** Most events one append request may carry. */
export const MAX_APPEND_INPUTS = 10_000;

/** Read access to message headers; NATS `MsgHdrs` fits. */
export interface HeaderReader {
  get(name: string): string;
}

/** The lease a relay's append is fenced by: refused unless this epoch is still current. */
export interface LeaseRef {
  resource: string;
  epoch: number;
}

/** A request to the supervisor, as decoded from `<ns>.sss.<op>`. */
export type SssRequest =
  | { op: 'append'; inputs: readonly unknown[]; lease?: LeaseRef }
  | { op: 'read'; query: ReadQuery }
  | { op: 'head' }
  | { op: 'routes' }
  | { op: 'register'; consumer: string; patterns: string[]; owner: string; lease?: Lease }
  | { op: 'heartbeat'; lease: Lease }
  | { op: 'unregister'; lease: Lease };

/** One page of a read. `truncated` means the reply was full before `limit`: read on after its last seq. */
export interface ReadPage {
  events: Envelope[];
  truncated: boolean;
}

/** What each operation replies with when it succeeds. */
export interface SssReplyValues {
  append: AppendResult[];
  read: ReadPage;
  head: number;
  routes: RouteState;
  register: Registration;
  heartbeat: { lastRouted: number; expiresAt: number };
  unregister: null;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: RecqError };
export type DecodedReply<T> = { ok: true; value: T; incarnation: string } | { ok: false; error: RecqError; incarnation: string | undefined };

/** An error as it travels in a reply: its code, its message, and its own fields. */
export interface WireError {
  code: string;
  message: string;
  [field: string]: unknown;
}

type Fields = Record<string, unknown>;

const show = (value: unknown): string => {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** Field checks for one kind of message; each failure names the message kind and the field. */
class Reader {
  constructor(readonly what: string) {}

  fail(field: string, expected: string, value: unknown): never {
    throw new MalformedMessageError(this.what, field, `is ${value === undefined ? 'missing' : show(value)}, expected ${expected}`);
  }
  object(value: unknown, field: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'an object', value);
    return value as Fields;
  }
  array(value: unknown, field: string, min = 0, max = Number.POSITIVE_INFINITY): unknown[] {
    const expected = max === Number.POSITIVE_INFINITY ? 'an array' : `an array of ${min}-${max} items`;
    if (!Array.isArray(value) || value.length < min || value.length > max) this.fail(field, expected, value);
    return value as unknown[];
  }
  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(field, 'a non-empty string', value);
    return value as string;
  }
  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined ? undefined : this.string(value, field);
  }
  integer(value: unknown, field: string, min: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) this.fail(field, `an integer >= ${min}`, value);
    return value as number;
  }
  optionalInteger(value: unknown, field: string, min: number): number | undefined {
    return value === undefined ? undefined : this.integer(value, field, min);
  }
  number(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, 'a finite number', value);
    return value as number;
  }
  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.fail(field, 'true or false', value);
    return value as boolean;
  }
  envelope(value: unknown, field: string): Envelope {
    const o = this.object(value, field);
    const event = this.object(o.event, `${field}.event`);
    this.string(event.type, `${field}.event.type`);
    assertTopic(o.topic);
    const envelope: Envelope = {
      seq: this.integer(o.seq, `${field}.seq`, 1),
      id: this.string(o.id, `${field}.id`),
      topic: o.topic,
      time: this.number(o.time, `${field}.time`),
      event: event as StoredEvent,
    };
    for (const name of ['key', 'causation', 'correlationId'] as const) {
      const value = this.optionalString(o[name], `${field}.${name}`);
      if (value !== undefined) envelope[name] = value;
    }
    return envelope;
  }
  lease(value: unknown, field: string): Lease {
    const o = this.object(value, field);
    return {
      resource: this.string(o.resource, `${field}.resource`),
      owner: this.string(o.owner, `${field}.owner`),
      epoch: this.integer(o.epoch, `${field}.epoch`, 1),
      expiresAt: this.number(o.expiresAt, `${field}.expiresAt`),
    };
  }
  patterns(value: unknown, field: string, min: number): string[] {
    const patterns = this.array(value, field, min, 1000);
    for (const pattern of patterns) assertPattern(pattern);
    return patterns as string[];
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Checks the wire header and parses the JSON body; every other check is `parse`'s. */
function decode<T>(what: string, data: Uint8Array | string, headers: HeaderReader | undefined, parse: (body: unknown, read: Reader) => T): Decoded<T> {
  const read = new Reader(what);
  try {
    const version = headers?.get(WIRE_HEADER) ?? '';
    if (version !== WIRE_VERSION) read.fail(`header ${WIRE_HEADER}`, `"${WIRE_VERSION}" (recq wire format)`, version === '' ? undefined : version);
    let body: unknown;
    try {
      body = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
    } catch (error) {
      throw new MalformedMessageError(what, 'body', `is not UTF-8 JSON (${(error as Error).message})`);
    }
    return { ok: true, value: parse(body, read) };
  } catch (error) {
    if (error instanceof RecqError) return { ok: false, error };
    return { ok: false, error: new MalformedMessageError(what, 'body', `could not be read (${error instanceof Error ? error.message : String(error)})`) };
  }
}

/**
 * Encodes consecutive deliveries to one consumer as one message: `prev` belongs to the first
 * envelope, and each later envelope's `prev` is the seq of the one before it.
 *
 * @example
 * nc.publish(subjects.route('billing'), encodeDeliveries(41, [JSON.stringify(envelope)]), { headers });
 */
export function encodeDeliveries(prev: number, envelopeJsons: readonly string[]): string {
  return `{"prev":${prev},"envelopes":[${envelopeJsons.join(',')}]}`;
}

/**
 * Decodes a route message: a single delivery, or a batch from `encodeDeliveries` whose seqs
 * must increase. Every envelope is validated; one bad envelope refuses the whole message.
 */
export function decodeDeliveries(data: Uint8Array | string, headers: HeaderReader | undefined): Decoded<Delivery[]> {
  return decode('delivery', data, headers, (body, read) => {
    const o = read.object(body, 'delivery');
    let prev = read.integer(o.prev, 'prev', 0);
    if (o.envelopes === undefined) {
      const envelope = read.envelope(o.envelope, 'envelope');
      if (prev >= envelope.seq) read.fail('prev', `a seq below envelope.seq ${envelope.seq}`, prev);
      return [{ envelope, prev }];
    }
    const deliveries: Delivery[] = [];
    const list = read.array(o.envelopes, 'envelopes');
    if (list.length === 0) read.fail('envelopes', 'at least one envelope', list);
    for (let i = 0; i < list.length; i++) {
      const envelope = read.envelope(list[i], `envelopes[${i}]`);
      if (prev >= envelope.seq) read.fail(i === 0 ? 'prev' : `envelopes[${i}].seq`, `seqs increasing from prev`, i === 0 ? prev : envelope.seq);
      deliveries.push({ envelope, prev });
      prev = envelope.seq;
    }
    return deliveries;
  });
}

/**
 * Decodes and validates an announced envelope. `topic`, when given, is the topic its subject
 * names; an envelope claiming another topic is refused.
 *
 * @example
 * const decoded = decodeAnnouncement(msg.data, msg.headers, subjects.topicOf(msg.subject));
 */
export function decodeAnnouncement(data: Uint8Array | string, headers: HeaderReader | undefined, topic?: string): Decoded<Envelope> {
  return decode('announcement', data, headers, (body, read) => {
    const envelope = read.envelope(body, 'envelope');
    if (topic !== undefined && envelope.topic !== topic) read.fail('envelope.topic', `"${topic}" (the topic of its subject)`, envelope.topic);
    return envelope;
  });
}

/**
 * Encodes a request body (a read's body is its query); the operation travels in the subject.
 *
 * @example
 * nc.request(subjects.sss('head'), encodeRequest({ op: 'head' }), { timeout: 5000, headers });
 */
export function encodeRequest(request: SssRequest): string {
  if (request.op === 'read') return JSON.stringify(request.query);
  const { op: _op, ...body } = request;
  return JSON.stringify(body);
}

/**
 * Decodes and validates a request to `op`. Append inputs are left to `prepareAppend`, which
 * refuses bad topics, events and ids with their own typed errors.
 *
 * @example
 * const decoded = decodeRequest('register', msg.data, msg.headers);
 */
export function decodeRequest(op: SssOp, data: Uint8Array | string, headers: HeaderReader | undefined): Decoded<SssRequest> {
  return decode(`${op} request`, data, headers, (body, read): SssRequest => {
    const o = read.object(body, 'request');
    switch (op) {
      case 'append': {
        const inputs = read.array(o.inputs, 'inputs', 1, MAX_APPEND_INPUTS);
        if (o.lease === undefined) return { op, inputs };
        const lease = read.object(o.lease, 'lease');
        return { op, inputs, lease: { resource: read.string(lease.resource, 'lease.resource'), epoch: read.integer(lease.epoch, 'lease.epoch', 1) } };
      }
      case 'read': {
        const query: ReadQuery = {};
        const after = read.optionalInteger(o.after, 'after', 0);
        const until = read.optionalInteger(o.until, 'until', 0);
        const limit = read.optionalInteger(o.limit, 'limit', 1);
        if (after !== undefined) query.after = after;
        if (until !== undefined) query.until = until;
        if (limit !== undefined) query.limit = limit;
        if (o.patterns !== undefined) query.patterns = read.patterns(o.patterns, 'patterns', 0);
        return { op, query };
      }
      case 'head':
      case 'routes':
        return { op };
      case 'register':
        assertConsumer(o.consumer);
        return {
          op,
          consumer: o.consumer,
          patterns: read.patterns(o.patterns, 'patterns', 1),
          owner: read.string(o.owner, 'owner'),
          ...(o.lease === undefined ? {} : { lease: read.lease(o.lease, 'lease') }),
        };
      case 'heartbeat':
      case 'unregister':
        return { op, lease: read.lease(o.lease, 'lease') };
    }
  });
}

/** Encodes a successful reply. */
export function encodeOkReply(value: unknown, incarnation: string): string {
  return JSON.stringify({ ok: true, incarnation, value });
}

/**
 * Encodes a read reply from envelopes already serialized one by one, so the service can
 * count bytes as it fills the page (see `readReplyOverhead`).
 */
export function encodeReadReply(eventJsons: readonly string[], truncated: boolean, incarnation: string): string {
  return `{"ok":true,"incarnation":${JSON.stringify(incarnation)},"value":{"truncated":${truncated},"events":[${eventJsons.join(',')}]}}`;
}

/** Bytes of a read reply with no events: each event adds its JSON bytes plus one comma. */
export function readReplyOverhead(incarnation: string): number {
  return Buffer.byteLength(encodeReadReply([], false, incarnation));
}

/** Encodes a refusal: the error's code, message and (small, JSON-safe) fields. */
export function encodeErrorReply(error: RecqError, incarnation: string): string {
  return JSON.stringify({ ok: false, incarnation, error: errorToWire(error) });
}

const NOT_FIELDS = new Set(['name', 'code', 'message', 'stack', 'cause']);
const MAX_FIELD_JSON = 1024;

/** A RecqError as it travels: large or non-JSON fields are left out (the message still names them). */
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

const str = (value: unknown): string => (typeof value === 'string' ? value : String(value));
const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);

const ERROR_CLASSES: Record<string, (f: WireError) => RecqError> = {
  INVALID_TOPIC: (f) => new InvalidTopicError(f.topic, ''),
  INVALID_PATTERN: (f) => new InvalidPatternError(f.pattern, ''),
  INVALID_EVENT: (f) => new InvalidEventError(f.event, ''),
  INVALID_ENVELOPE: (f) => new InvalidEnvelopeError(str(f.field), f.value, ''),
  INVALID_OPTION: (f) => new InvalidOptionError(str(f.option), f.value, ''),
  PAYLOAD_TOO_LARGE: (f) => new PayloadTooLargeError(str(f.topic), num(f.bytes), num(f.limit)),
  LEASE_HELD: (f) => new LeaseHeldError(str(f.resource), str(f.owner), num(f.expiresAt)),
  STALE_EPOCH: (f) => new StaleEpochError(str(f.resource), num(f.epoch), num(f.currentEpoch)),
  STORAGE: (f) => new StorageError(str(f.operation), new Error(f.message)),
  SYSTEM_STOPPED: () => new SystemStoppedError(''),
  MALFORMED_MESSAGE: (f) => new MalformedMessageError(str(f.what), str(f.field), ''),
  EXCEEDS_MAX_PAYLOAD: (f) => new ExceedsMaxPayloadError(str(f.what), num(f.bytes), num(f.maxPayload), typeof f.seq === 'number' ? f.seq : undefined),
};

/**
 * Turns a reply's error back into the RecqError subclass its code names, with the
 * supervisor's message; unknown codes become a plain RecqError with that code.
 *
 * @example
 * const error = errorFromWire({ code: 'STALE_EPOCH', message: '...', resource: 'consumer:billing', epoch: 3, currentEpoch: 4 });
 * error instanceof StaleEpochError; // true
 */
export function errorFromWire(wire: WireError): RecqError {
  const make = ERROR_CLASSES[wire.code];
  const error = make ? make(wire) : new RecqError(wire.code as RecqErrorCode, wire.message);
  error.message = wire.message;
  return error;
}

const REPLY_VALUES: { [Op in SssOp]: (value: unknown, read: Reader) => SssReplyValues[Op] } = {
  append: (value, read) =>
    read.array(value, 'value').map((item, i) => {
      const o = read.object(item, `value[${i}]`);
      return {
        seq: read.integer(o.seq, `value[${i}].seq`, 1),
        id: read.string(o.id, `value[${i}].id`),
        duplicate: read.boolean(o.duplicate, `value[${i}].duplicate`),
      };
    }),
  read: (value, read) => {
    const o = read.object(value, 'value');
    const events = read.array(o.events, 'value.events').map((e, i) => read.envelope(e, `value.events[${i}]`));
    return { events, truncated: read.boolean(o.truncated, 'value.truncated') };
  },
  head: (value, read) => read.integer(value, 'value', 0),
  routes: (value, read) => {
    const o = read.object(value, 'value');
    const routes: Record<string, number> = {};
    for (const [consumer, seq] of Object.entries(read.object(o.routes, 'value.routes'))) routes[consumer] = read.integer(seq, `value.routes.${consumer}`, 0);
    return {
      head: read.integer(o.head, 'value.head', 0),
      routes,
      leases: read.array(o.leases, 'value.leases').map((l, i) => read.lease(l, `value.leases[${i}]`)),
    };
  },
  register: (value, read) => {
    const o = read.object(value, 'value');
    return { lease: read.lease(o.lease, 'value.lease'), watermark: read.integer(o.watermark, 'value.watermark', 0) };
  },
  heartbeat: (value, read) => {
    const o = read.object(value, 'value');
    return { lastRouted: read.integer(o.lastRouted, 'value.lastRouted', 0), expiresAt: read.number(o.expiresAt, 'value.expiresAt') };
  },
  unregister: (value, read) => (value === null ? null : read.fail('value', 'null', value)),
};

/**
 * Decodes a reply to `op`: its value, validated, or the error it carries as a typed RecqError.
 * Either way it reports the supervisor's incarnation when the reply names one.
 *
 * @example
 * const reply = decodeReply('head', msg.data, msg.headers);
 * if (!reply.ok) throw reply.error;
 */
export function decodeReply<Op extends SssOp>(op: Op, data: Uint8Array | string, headers: HeaderReader | undefined): DecodedReply<SssReplyValues[Op]> {
  let incarnation: string | undefined;
  const decoded = decode(`${op} reply`, data, headers, (body, read) => {
    const o = read.object(body, 'reply');
    incarnation = read.string(o.incarnation, 'incarnation');
    if (read.boolean(o.ok, 'ok')) return { refused: false as const, value: REPLY_VALUES[op](o.value, read) as SssReplyValues[Op] };
    const wire = read.object(o.error, 'error');
    return {
      refused: true as const,
      error: errorFromWire({ ...wire, code: read.string(wire.code, 'error.code'), message: read.string(wire.message, 'error.message') }),
    };
  });
  if (!decoded.ok) return { ok: false, error: decoded.error, incarnation };
  if (decoded.value.refused) return { ok: false, error: decoded.value.error, incarnation };
  return { ok: true, value: decoded.value.value, incarnation: incarnation as string };
}
