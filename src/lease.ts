/**
 * A held lease on a resource (the log, or one consumer): at most one owner holds it at a
 * time, and its epoch fences every write made under it. Each new owner raises the epoch, so a
 * write that carries an older one is refused with `StaleEpochError`.
 */
export interface Lease {
  resource: string;
  owner: string;
  epoch: number;
  expiresAt: number;
}

const CONSUMER_PREFIX = 'consumer:';

/** The lease resource name of a consumer. */
export const consumerResource = (consumer: string): string => `${CONSUMER_PREFIX}${consumer}`;

/** The consumer a lease resource names, or undefined if it names none (the log's own lease). */
export function consumerOf(resource: string): string | undefined {
  return resource.startsWith(CONSUMER_PREFIX) && resource.length > CONSUMER_PREFIX.length ? resource.slice(CONSUMER_PREFIX.length) : undefined;
}
