import type { NatsConnection } from 'nats';
import type { ConsumerCommand, ConsumerCommandName } from '../css/commands.ts';
import { CommandRefusedError, ConsumerNotRunningError } from '../errors.ts';
import { consumerResource } from '../lease.ts';
import { NatsLogAccess } from '../sss/nats/log-client.ts';
import type { NatsTarget } from './nats-target.ts';
import { askWorker } from './worker-control.ts';

/** The owner of the unexpired lease on `consumer`, as the supervisor holds it. */
export async function leaseHolder(access: NatsLogAccess, consumer: string): Promise<string> {
  const { leases } = await access.routes();
  const lease = leases.find((l) => l.resource === consumerResource(consumer));
  if (!lease) throw new ConsumerNotRunningError(consumer, 'the supervisor holds no lease on it');
  if (lease.expiresAt <= Date.now()) throw new ConsumerNotRunningError(consumer, `its lease, last held by ${lease.owner}, has expired`);
  return lease.owner;
}

/**
 * Sends an operator command to the worker that holds `consumer`'s lease, which runs it through
 * its command queue; resolves with the command as it ended there (or still queued), throws if
 * it was refused.
 *
 * @example
 * const done = await commandOverNats(nc, target, 'orders', 'pause', undefined, 'pause consumer orders');
 */
export async function commandOverNats(
  nc: NatsConnection,
  target: NatsTarget,
  consumer: string,
  command: ConsumerCommandName,
  arg: number | undefined,
  what: string,
): Promise<{ owner: string; command: ConsumerCommand }> {
  const owner = await leaseHolder(new NatsLogAccess({ connection: nc, namespace: target.namespace }), consumer);
  const done = await askWorker(nc, target.namespace, owner, { op: 'command', consumer, command, ...(arg === undefined ? {} : { arg }) });
  if (done.error !== undefined) throw new CommandRefusedError(consumer, what, done.error);
  return { owner, command: done };
}
