import type { Envelope } from '../envelope.ts';
import { type Decoded, decodeMessage, type FieldReader, type HeaderReader } from '../nats/wire-message.ts';
import type { Delivery } from './transport.ts';

/** A route message: its deliveries, and the incarnation of the supervisor that sent it (older ones send none). */
export interface RouteMessage {
  deliveries: Delivery[];
  incarnation?: string;
}

/**
 * Encodes consecutive deliveries to one consumer as one message: `prev` belongs to the first
 * envelope, and each later envelope's `prev` is the seq of the one before it. `incarnation`
 * names the supervisor that routed them; readers that do not know the field skip it.
 *
 * @example
 * nc.publish(subjects.route('billing'), encodeDeliveries(41, [JSON.stringify(envelope)], service.incarnation), { headers });
 */
export function encodeDeliveries(prev: number, envelopeJsons: readonly string[], incarnation?: string): string {
  const from = incarnation === undefined ? '' : `"incarnation":${JSON.stringify(incarnation)},`;
  return `{"prev":${prev},${from}"envelopes":[${envelopeJsons.join(',')}]}`;
}

/**
 * Decodes a route message with the incarnation it names (see `decodeDeliveries`).
 *
 * @example
 * const decoded = decodeRouteMessage(msg.data, msg.headers);
 * if (decoded.ok && decoded.value.incarnation === current) for (const delivery of decoded.value.deliveries) host.deliver(delivery);
 */
export function decodeRouteMessage(data: Uint8Array | string, headers: HeaderReader | undefined): Decoded<RouteMessage> {
  let incarnation: string | undefined;
  const decoded = decodeMessage('delivery', data, headers, (body, read) => {
    incarnation = read.optionalString(read.object(body, 'delivery').incarnation, 'incarnation');
    return readDeliveries(body, read);
  });
  if (!decoded.ok) return decoded;
  return { ok: true, value: incarnation === undefined ? { deliveries: decoded.value } : { deliveries: decoded.value, incarnation } };
}

/**
 * Decodes a route message: a single delivery, or a batch from `encodeDeliveries` whose seqs
 * must increase. Every envelope is validated; one bad envelope refuses the whole message.
 *
 * @example
 * const decoded = decodeDeliveries(msg.data, msg.headers);
 * if (decoded.ok) for (const delivery of decoded.value) host.deliver(delivery);
 */
export function decodeDeliveries(data: Uint8Array | string, headers: HeaderReader | undefined): Decoded<Delivery[]> {
  return decodeMessage('delivery', data, headers, readDeliveries);
}

function readDeliveries(body: unknown, read: FieldReader): Delivery[] {
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
}

/**
 * Decodes and validates an announced envelope. `topic`, when given, is the topic its subject
 * names; an envelope claiming another topic is refused.
 *
 * @example
 * const decoded = decodeAnnouncement(msg.data, msg.headers, subjects.topicOf(msg.subject));
 */
export function decodeAnnouncement(data: Uint8Array | string, headers: HeaderReader | undefined, topic?: string): Decoded<Envelope> {
  return decodeMessage('announcement', data, headers, (body, read) => {
    const envelope = read.envelope(body, 'envelope');
    if (topic !== undefined && envelope.topic !== topic) read.fail('envelope.topic', `"${topic}" (the topic of its subject)`, envelope.topic);
    return envelope;
  });
}
