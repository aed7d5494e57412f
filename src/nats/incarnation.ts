import type { NatsConnection } from 'nats';

/**
 * Which supervisor incarnation a connection speaks for, and which one it last heard from.
 * The log service on a connection stamps its incarnation on the deliveries routed over that
 * connection; a host's transport compares them with the incarnation its log client last had a
 * reply from, so a delivery from a stale (or made-up) supervisor is not applied as live.
 */
const serving = new WeakMap<NatsConnection, string>();
const heard = new WeakMap<NatsConnection, string>();

/** The log service on `connection` serves as `incarnation` (until `stoppedServing`). */
export function startedServing(connection: NatsConnection, incarnation: string): void {
  serving.set(connection, incarnation);
}

/** The log service of `incarnation` on `connection` stopped. */
export function stoppedServing(connection: NatsConnection, incarnation: string): void {
  if (serving.get(connection) === incarnation) serving.delete(connection);
}

/** The incarnation deliveries sent on `connection` carry, if a log service serves there. */
export const servingIncarnation = (connection: NatsConnection): string | undefined => serving.get(connection);

/** A reply on `connection` came from the supervisor of `incarnation`. */
export function heardFrom(connection: NatsConnection, incarnation: string): void {
  heard.set(connection, incarnation);
}

/**
 * The incarnation of the supervisor a host on `connection` trusts deliveries from: the last
 * one its log client heard (or, in a process that runs the supervisor too, its own).
 */
export const currentIncarnation = (connection: NatsConnection): string | undefined => heard.get(connection) ?? serving.get(connection);
