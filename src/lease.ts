import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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

const PROOF_PREFIX = 'sha256:';

/**
 * What a supervisor may write where others can read it (the log's stream) so that a later
 * supervisor can still check a token: its SHA-256, marked as such. Stored in place of a
 * token, it is matched by the token it was made from.
 *
 * @example
 * entry.proof = leaseProof(lease.token);
 */
export const leaseProof = (token: string | undefined): string =>
  `${PROOF_PREFIX}${createHash('sha256')
    .update(token ?? '')
    .digest('hex')}`;

/**
 * True when `presented` carries the owner and the token of `held` (compared in constant time).
 * `held` may keep the token's proof instead (a lease a new term restored from the log's
 * stream). A lease stored without a token (by an older version) is matched by its owner alone.
 *
 * @example
 * if (!presentsHolder(held, request.lease)) throw new LeaseNotHeldError(...);
 */
export function presentsHolder(held: Lease, presented: Pick<Lease, 'owner' | 'token'>): boolean {
  if (held.owner !== presented.owner) return false;
  const proof = held.token?.startsWith(PROOF_PREFIX) === true;
  const expected = Buffer.from(held.token ?? '');
  const given = Buffer.from(proof ? leaseProof(presented.token) : (presented.token ?? ''));
  return expected.length === given.length && timingSafeEqual(expected, given);
}
