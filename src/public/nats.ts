/**
 * `recq/nats`: the pieces of the distributed deployment for code that wires NATS itself. A system
 * over NATS needs none of them (`createSystem({ nats: { servers } })`, `startWorker`,
 * `startSupervisor` from `recq` connect on their own); they are for sharing one connection,
 * watching its lifecycle, or reaching a supervisor's log from outside a system.
 *
 * @example
 * import { createSystem } from 'recq';
 * import { connectNats, watchConnection } from 'recq/nats';
 *
 * const connection = await connectNats('nats://127.0.0.1:4222');
 * const unwatch = watchConnection(connection, (event) => console.warn(`nats ${event.type}`));
 * const system = await createSystem({ db: './shop.db', components, nats: { connection } });
 */
export { type ConnectionEvent, connectNats, watchConnection } from '../nats/connection.ts';
export { type Subjects, subjectsFor } from '../nats/subjects.ts';
export { SupervisorTrust } from '../nats/supervisor-trust.ts';
export { NatsLogAccess, type NatsLogAccessOptions } from '../sss/nats/log-client.ts';
export { NatsTransport, type NatsTransportOptions } from '../transport/nats-transport.ts';
