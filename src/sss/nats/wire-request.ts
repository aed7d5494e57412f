import type { Lease } from '../../lease.ts';
import { assertConsumer, type SssOp } from '../../nats/subjects.ts';
import { type Decoded, decodeMessage, type HeaderReader } from '../../nats/wire-message.ts';
import type { ReadQuery } from '../event-log.ts';

/** Most events one append request may carry. */
export const MAX_APPEND_INPUTS = 10_000;

/**
 * The lease a relay's append is fenced by: refused unless this epoch is still current and
 * `owner` and `token` are its holder's (older clients sent neither, and are refused).
 */
export interface LeaseRef {
  resource: string;
  epoch: number;
  owner?: string;
  token?: string;
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
  return decodeMessage(`${op} request`, data, headers, (body, read): SssRequest => {
    const o = read.object(body, 'request');
    switch (op) {
      case 'append': {
        const inputs = read.array(o.inputs, 'inputs', 1, MAX_APPEND_INPUTS);
        if (o.lease === undefined) return { op, inputs };
        const lease = read.object(o.lease, 'lease');
        const ref: LeaseRef = { resource: read.string(lease.resource, 'lease.resource'), epoch: read.integer(lease.epoch, 'lease.epoch', 1) };
        const owner = read.optionalString(lease.owner, 'lease.owner');
        const token = read.optionalString(lease.token, 'lease.token');
        if (owner !== undefined) ref.owner = owner;
        if (token !== undefined) ref.token = token;
        return { op, inputs, lease: ref };
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
