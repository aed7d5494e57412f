import { headers, type MsgHdrs } from 'nats';
import { type Envelope, envelopeOfPrepared, type PreparedAppend, type StoredEvent } from '../../envelope.ts';
import { readTraceContext } from '../../trace-context.ts';

/** The header naming the epoch of the leader that wrote a record. */
export const EPOCH_HEADER = 'Recq-Epoch';
/** The header saying what a record is: `event`, `epoch` (a leader's first record) or `lease`. */
export const KIND_HEADER = 'Recq-Kind';

/**
 * A consumer's lease as the leader granted or released it, kept in the log's stream so that
 * the next leader knows every holder: the owner, the lease's epoch, and a proof of its token
 * (`leaseProof`), never the token itself.
 */
export interface LeaseEntry {
  resource: string;
  owner: string;
  epoch: number;
  proof: string;
  /** Given up by its holder: the next owner may take it at once. */
  released: boolean;
  time: number;
}

/**
 * A record of the log's stream. Every record takes one stream sequence, which is its seq:
 * an event, the epoch record a supervisor appends when it starts to lead, or a lease the
 * leader granted or saw released (its `epoch` is the leader's; the lease's is in `lease`).
 */
export type StreamRecord =
  | { kind: 'event'; seq: number; epoch: number; envelope: Envelope }
  | { kind: 'epoch'; seq: number; epoch: number; owner: string; time: number }
  | { kind: 'lease'; seq: number; epoch: number; lease: LeaseEntry }
  /** Not a record recq wrote: it keeps its seq, and readers skip it. */
  | { kind: 'unreadable'; seq: number; epoch: 0; reason: string };

/** The `Nats-Msg-Id` of an epoch record: unique per epoch, so a retried claim cannot land twice. */
export const epochMsgId = (epoch: number): string => `recq.epoch.${epoch}`;

/** The `Nats-Msg-Id` of a lease record: one grant, or one release, per lease epoch. */
export const leaseMsgId = (entry: LeaseEntry): string => `recq.lease.${entry.resource}.${entry.epoch}${entry.released ? '.released' : ''}`;

/** The body of a lease record. */
export function encodeLeaseBody(entry: LeaseEntry): string {
  return JSON.stringify(entry);
}

/** Headers of a record written at `epoch`. */
export function recordHeaders(kind: StreamRecord['kind'], epoch: number): MsgHdrs {
  const h = headers();
  h.set(KIND_HEADER, kind);
  h.set(EPOCH_HEADER, String(epoch));
  return h;
}

/** The body of an event record: the envelope without its seq, which the stream assigns. The event's JSON is used as it was validated. */
export function encodeEventBody(prepared: PreparedAppend, time: number): string {
  const fields: Record<string, unknown> = { id: prepared.id, topic: prepared.topic, time };
  if (prepared.key !== null) fields.key = prepared.key;
  if (prepared.causation !== null) fields.causation = prepared.causation;
  if (prepared.correlationId !== null) fields.correlationId = prepared.correlationId;
  if (prepared.trace) fields.trace = prepared.trace;
  return `${JSON.stringify(fields).slice(0, -1)},"event":${prepared.json}}`;
}

/** The envelope an event record at `seq` holds (what the leader published, seen again). */
export const envelopeOf = envelopeOfPrepared;

/** The body of an epoch record. */
export function encodeEpochBody(owner: string, time: number): string {
  return JSON.stringify({ owner, time });
}

/**
 * Reads a record from the stream, or says why it is not one recq wrote. Records are checked
 * field by field: the stream's subject may be writable by others the server config lets in.
 */
export function decodeRecord(seq: number, hdrs: MsgHdrs | undefined, data: Uint8Array): StreamRecord {
  const read = readRecord(seq, hdrs, data);
  return typeof read === 'string' ? { kind: 'unreadable', seq, epoch: 0, reason: read } : read;
}

function readRecord(seq: number, hdrs: MsgHdrs | undefined, data: Uint8Array): StreamRecord | string {
  const kind = hdrs?.get(KIND_HEADER);
  const epoch = Number(hdrs?.get(EPOCH_HEADER));
  if (!Number.isSafeInteger(epoch) || epoch < 1) return `its ${EPOCH_HEADER} header is ${JSON.stringify(hdrs?.get(EPOCH_HEADER) ?? null)}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'its body is not JSON';
  }
  if (typeof body !== 'object' || body === null) return 'its body is not an object';
  if (kind === 'epoch') {
    if (typeof body.owner !== 'string' || typeof body.time !== 'number') return 'an epoch record without owner and time';
    return { kind, seq, epoch, owner: body.owner, time: body.time };
  }
  if (kind === 'lease') {
    const { resource, owner, epoch: leaseEpoch, proof, released, time } = body;
    if (typeof resource !== 'string' || !resource.startsWith('consumer:')) return 'a lease record without a consumer';
    if (typeof owner !== 'string' || typeof proof !== 'string' || typeof released !== 'boolean' || typeof time !== 'number')
      return 'a lease record without owner, proof, released and time';
    if (!Number.isSafeInteger(leaseEpoch) || (leaseEpoch as number) < 1) return 'a lease record without an epoch';
    return { kind, seq, epoch, lease: { resource, owner, epoch: leaseEpoch as number, proof, released, time } };
  }
  if (kind !== 'event') return `its ${KIND_HEADER} header is ${JSON.stringify(kind ?? null)}`;
  const { id, topic, time, event, key, causation, correlationId, trace } = body;
  if (typeof id !== 'string' || typeof topic !== 'string' || typeof time !== 'number') return 'an event record without id, topic and time';
  if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') return 'an event record without an event';
  const envelope: Envelope = { seq, id, topic, time, event: event as StoredEvent };
  if (typeof key === 'string') envelope.key = key;
  if (typeof causation === 'string') envelope.causation = causation;
  if (typeof correlationId === 'string') envelope.correlationId = correlationId;
  // A malformed trace context is dropped, not the event: tracing is advisory.
  const traceContext = readTraceContext(trace);
  if (traceContext) envelope.trace = traceContext;
  return { kind, seq, epoch, envelope };
}
