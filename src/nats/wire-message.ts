import type { Envelope, StoredEvent } from '../envelope.ts';
import { MalformedMessageError, RecqError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import { assertPattern, assertTopic } from '../topic.ts';
import { storedTraceContext, type TraceContext, traceContextProblem } from '../trace-context.ts';

/** The header every recq message carries, naming the wire format it was encoded with. */
export const WIRE_HEADER = 'Recq-Wire';
export const WIRE_VERSION = '1';

/** Read access to message headers; NATS `MsgHdrs` fits. */
export interface HeaderReader {
  get(name: string): string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: RecqError };

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
export class FieldReader {
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
    if (o.trace !== undefined) {
      const problem = traceContextProblem(o.trace);
      if (problem) this.fail(`${field}.trace`, `a W3C trace context (${problem})`, o.trace);
      envelope.trace = storedTraceContext(o.trace as TraceContext);
    }
    return envelope;
  }
  lease(value: unknown, field: string): Lease {
    const o = this.object(value, field);
    const lease: Lease = {
      resource: this.string(o.resource, `${field}.resource`),
      owner: this.string(o.owner, `${field}.owner`),
      epoch: this.integer(o.epoch, `${field}.epoch`, 1),
      expiresAt: this.number(o.expiresAt, `${field}.expiresAt`),
    };
    const token = this.optionalString(o.token, `${field}.token`);
    if (token !== undefined) lease.token = token;
    return lease;
  }
  patterns(value: unknown, field: string, min: number): string[] {
    const patterns = this.array(value, field, min, 1000);
    for (const pattern of patterns) assertPattern(pattern);
    return patterns as string[];
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks the wire header and parses the JSON body; every other check is `parse`'s. Whatever
 * `parse` throws comes back as the refusal, so no malformed message escapes as an exception.
 *
 * @example
 * const decoded = decodeMessage('head reply', msg.data, msg.headers, (body, read) => read.object(body, 'reply'));
 */
export function decodeMessage<T>(
  what: string,
  data: Uint8Array | string,
  headers: HeaderReader | undefined,
  parse: (body: unknown, read: FieldReader) => T,
): Decoded<T> {
  const read = new FieldReader(what);
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
