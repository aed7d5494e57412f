import { type ConnectionOptions, connect, DebugEvents, ErrorCode, Events, type NatsConnection, type Status } from 'nats';
import { NatsConnectError } from '../errors.ts';
import { consoleLogger, type Logger } from '../logging/logger.ts';
import { authOptions, type NatsCredentials, withEnvCredentials } from './credentials.ts';

/**
 * What happened to a NATS connection. NATS core is at-most-once: after `disconnect`, `stale`,
 * `error` or `reconnect`, deliveries may have been lost, so hosts resync from the log (compare
 * the heartbeat's lastRouted with their offset). A server that finds a client too slow closes
 * its connection, so a slow consumer shows up as `disconnect` then `reconnect`.
 */
export type ConnectionEvent =
  | { type: 'disconnect'; server: string }
  | { type: 'reconnecting' }
  | { type: 'reconnect'; server: string }
  | { type: 'stale' }
  | { type: 'error'; code: string }
  | { type: 'ldm'; server: string }
  | { type: 'closed'; error?: string };

/** Reconnect settings `connectNats` starts from: never give up, and retry every ~250 ms. */
export const RECONNECT_DEFAULTS = {
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
  reconnectJitter: 100,
  pingInterval: 10_000,
  maxPingOut: 3,
} as const satisfies ConnectionOptions;

/**
 * Connects to NATS with reconnect settings fit for recq (`RECONNECT_DEFAULTS`) and the given
 * credentials (those missing are taken from `RECQ_NATS_*`, see `credentialsFromEnv`); options
 * you pass win. Rejects with a `NatsConnectError` naming the servers if none answers or the
 * server refuses the credentials, and with `InvalidOptionError` for incomplete credentials.
 *
 * @example
 * const nc = await connectNats('nats://127.0.0.1:4222', { user: 'worker-1', password: secret });
 * const stop = watchConnection(nc, (event) => logger.info(`nats ${event.type}`));
 */
export async function connectNats(target: string | readonly string[] | ConnectionOptions, credentials: NatsCredentials = {}): Promise<NatsConnection> {
  const options: ConnectionOptions =
    typeof target === 'string' ? { servers: [target] } : Array.isArray(target) ? { servers: [...target] } : { ...(target as ConnectionOptions) };
  const auth = authOptions(withEnvCredentials(credentials));
  try {
    return await connect({ name: 'recq', ...RECONNECT_DEFAULTS, ...auth, ...options });
  } catch (error) {
    const servers = options.servers ?? (options.port === undefined ? '127.0.0.1:4222' : `127.0.0.1:${options.port}`);
    const refused = (error as { code?: unknown })?.code === ErrorCode.AuthorizationViolation;
    throw refused ? new NatsConnectError([servers].flat().join(', '), error, REFUSED_CREDENTIALS) : new NatsConnectError([servers].flat().join(', '), error);
  }
}

const REFUSED_CREDENTIALS =
  'The server refused these credentials: give the user and password, token, NKey seed or .creds file its config names (options nats.user, nats.token, nats.nkey, nats.creds; flags --nats-user ...; or RECQ_NATS_* variables).';

function toConnectionEvent(status: Status): ConnectionEvent | undefined {
  switch (status.type) {
    case Events.Disconnect:
      return { type: 'disconnect', server: String(status.data) };
    case Events.Reconnect:
      return { type: 'reconnect', server: String(status.data) };
    case Events.Error:
      return { type: 'error', code: String(status.data) };
    case Events.LDM:
      return { type: 'ldm', server: String(status.data) };
    case DebugEvents.Reconnecting:
      return { type: 'reconnecting' };
    case DebugEvents.StaleConnection:
      return { type: 'stale' };
    default:
      return undefined;
  }
}

/**
 * Calls `listener` with each lifecycle event of `connection` until the returned function is
 * called or the connection closes (reported last, as `closed`).
 *
 * @example
 * const stop = watchConnection(nc, (event) => {
 *   // Deliveries may have been lost while disconnected: ask how far the route got, then read the gap.
 *   if (event.type === 'reconnect') void access.heartbeat(lease).then((lastRouted) => host.sync(lastRouted));
 * });
 */
export function watchConnection(connection: NatsConnection, listener: (event: ConnectionEvent) => void, logger: Logger = consoleLogger('warn')): () => void {
  let watching = true;
  const emit = (event: ConnectionEvent): void => {
    if (!watching) return;
    try {
      listener(event);
    } catch (error) {
      logger.error('a NATS connection listener failed', { event: event.type, error });
    }
  };
  const statuses = connection.status();
  void (async () => {
    for await (const status of statuses) {
      const event = toConnectionEvent(status);
      if (event) emit(event);
    }
  })().catch((error: unknown) => logger.warn('stopped following the NATS connection status', { error }));
  void connection.closed().then((error) => {
    emit(error ? { type: 'closed', error: error.message } : { type: 'closed' });
    watching = false;
  });
  return () => {
    watching = false;
    if ('stop' in statuses && typeof statuses.stop === 'function') statuses.stop();
  };
}
