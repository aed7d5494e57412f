import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A held lease on a resource (the log, or one consumer): at most one owner holds it at a
 * time, and its epoch fences every write made under it. Each new owner raises the epoch, so a
 * write that carries an older one is refused with `StaleEpochError`.
 *
 * A lease is a capability: `token` is a secret chosen when it is acquired, known only to the
 * supervisor and the holder. Renewals, releases, commits and relays present owner and token;
 * the epoch alone (which anyone may read from a routes reply) proves nothing.
 */
export interface Lease {
  resource: string;
  owner: string;
  epoch: number;
  expiresAt: number;
  /** The holder's secret. Never in routes or status replies, nor in logs. */
  token?: string;
}

const CONSUMER_PREFIX = 'consumer:';

/** The lease resource name of a consumer. */
export const consumerResource = (consumer: string): string => `${CONSUMER_PREFIX}${consumer}`;

/** The consumer a lease resource names, or undefined if it names none (the log's own lease). */
export function consumerOf(resource: string): string | undefined {
  return resource.startsWith(CONSUMER_PREFIX) && resource.length > CONSUMER_PREFIX.length ? resource.slice(CONSUMER_PREFIX.length) : undefined;
}

/** A fresh lease token: 128 random bits, hex. */
export const newLeaseToken = (): string => randomBytes(16).toString('hex');

/**
 * The lease as others may see it: without its token.
 *
 * @example
 * routes.leases = table.list().map(publicLease);
 */
export function publicLease(lease: Lease): Lease {
  const { token: _token, ...visible } = lease;
  return visible;
}

/**
 * True when `presented` carries the owner and the token of `held` (compared in constant time).
 * A lease stored without a token (by an older version) is matched by its owner alone.
 *
 * @example
 * if (!presentsHolder(held, request.lease)) throw new LeaseNotHeldError(...);
 */
export function presentsHolder(held: Lease, presented: Pick<Lease, 'owner' | 'token'>): boolean {
  if (held.owner !== presented.owner) return false;
  const expected = Buffer.from(held.token ?? '');
  const given = Buffer.from(presented.token ?? '');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
