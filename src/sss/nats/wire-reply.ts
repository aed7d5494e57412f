import type { AppendResult, Envelope } from '../../envelope.ts';
import type { RecqError } from '../../errors.ts';
import type { SssOp } from '../../nats/subjects.ts';
import { errorFromWire, errorToWire } from '../../nats/wire-error.ts';
import { decodeMessage, type FieldReader, type HeaderReader } from '../../nats/wire-message.ts';
import type { Registration, RouteState } from '../log-access.ts';

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

export type DecodedReply<T> = { ok: true; value: T; incarnation: string } | { ok: false; error: RecqError; incarnation: string | undefined };

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

const REPLY_VALUES: { [Op in SssOp]: (value: unknown, read: FieldReader) => SssReplyValues[Op] } = {
  append: (value, read) =>
    read.array(value, 'value').map((item, i) => {
      const o = read.object(item, `value[${i}]`);
      const result: AppendResult = {
        seq: read.integer(o.seq, `value[${i}].seq`, 1),
        id: read.string(o.id, `value[${i}].id`),
        duplicate: read.boolean(o.duplicate, `value[${i}].duplicate`),
      };
      if (o.differs === true) result.differs = true;
      return result;
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
    const state: RouteState = {
      head: read.integer(o.head, 'value.head', 0),
      routes,
      leases: read.array(o.leases, 'value.leases').map((l, i) => read.lease(l, `value.leases[${i}]`)),
    };
    // Older supervisors send no state: it is optional.
    if (o.supervisor !== undefined) {
      const supervisor = read.object(o.supervisor, 'value.supervisor');
      state.supervisor = {
        owner: read.string(supervisor.owner, 'value.supervisor.owner'),
        state: read.string(supervisor.state, 'value.supervisor.state'),
        since: read.number(supervisor.since, 'value.supervisor.since'),
      };
    }
    return state;
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
  const decoded = decodeMessage(`${op} reply`, data, headers, (body, read) => {
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
