import {
  type ConnectionOptions,
  connect,
  DebugEvents,
  Events,
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type NatsError,
  type Status,
  type Subscription,
} from 'nats';
import type { Envelope } from '../envelope.ts';
import { RecqError } from '../errors.ts';
import { consoleLogger, type Logger } from '../logger.ts';
import { DEFAULT_NAMESPACE, type Subjects, subjectsFor } from './subjects.ts';
import type { Delivery, Transport } from './transport.ts';
import { decodeAnnouncement, decodeDeliveries, encodeDeliveries, WIRE_HEADER, WIRE_VERSION } from './wire.ts';

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
 * Connects to NATS with reconnect settings fit for recq (`RECONNECT_DEFAULTS`); options you
 * pass win. Rejects with a RecqError naming the servers if none answers.
 *
 * @example
 * const nc = await connectNats('nats://127.0.0.1:4222');
 * const stop = watchConnection(nc, (event) => logger.info(`nats ${event.type}`));
 */
export async function connectNats(target: string | readonly string[] | ConnectionOptions): Promise<NatsConnection> {
  const options: ConnectionOptions =
    typeof target === 'string' ? { servers: [target] } : Array.isArray(target) ? { servers: [...target] } : { ...(target as ConnectionOptions) };
  try {
    return await connect({ name: 'recq', ...RECONNECT_DEFAULTS, ...options });
  } catch (error) {
    const servers = options.servers ?? (options.port === undefined ? '127.0.0.1:4222' : `127.0.0.1:${options.port}`);
    throw new RecqError(
      'NATS_CONNECT',
      `Could not connect to NATS at ${[servers].flat().join(', ')}: ${error instanceof Error ? error.message : String(error)}. Start nats-server (Debian: apt-get install nats-server) or fix the URL.`,
      { cause: error },
    );
  }
}

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

interface OutgoingBatch {
  prev: number;
  jsons: string[];
  bytes: number;
  firstSeq: number;
}

export interface NatsTransportOptions {
  /** An open connection, e.g. from `connectNats`. */
  connection: NatsConnection;
  /** First token of every subject (default `recq`), so systems can share a server. */
  namespace?: string;
  /** Where malformed messages and failed handlers are reported. Default: warnings to stderr. */
  logger?: Logger;
  /** Close the connection in `close()`. Default false: whoever opened it closes it. */
  ownsConnection?: boolean;
  /** Receives the connection's lifecycle events until `close()`. */
  onConnectionEvent?: (event: ConnectionEvent) => void;
}

/**
 * The distributed deployment's transport: routed deliveries on `<ns>.route.<consumer>`,
 * announcements on `<ns>.evt.<topic>`. Delivery is at-most-once, as NATS core is; every
 * message is validated on receipt, and a malformed one is logged and dropped.
 *
 * @example
 * const nc = await connectNats(url);
 * const transport = new NatsTransport({ connection: nc, namespace: 'shop', logger });
 * transport.observe('orders.>', (envelope) => console.log(envelope.seq, envelope.topic));
 */
export class NatsTransport implements Transport {
  readonly subjects: Subjects;
  readonly #nc: NatsConnection;
  readonly #logger: Logger;
  readonly #ownsConnection: boolean;
  readonly #headers: MsgHdrs;
  readonly #routes = new Map<string, Subscription>();
  readonly #observers = new Set<Subscription>();
  readonly #stopWatching: (() => void) | undefined;
  // The router sends one envelope to every matching consumer, then announces it: encode it once.
  #lastEnvelope: Envelope | undefined;
  #lastJson = '';
  readonly #outgoing = new Map<string, OutgoingBatch>();
  readonly #routeSubjects = new Map<string, string>();
  #flushScheduled = false;
  /** Envelope, JSON, envelope, JSON, ... waiting for the end of the turn. */
  #announcements: (Envelope | string)[] = [];
  #closed = false;

  constructor(options: NatsTransportOptions) {
    this.subjects = subjectsFor(options.namespace ?? DEFAULT_NAMESPACE);
    this.#nc = options.connection;
    this.#logger = options.logger ?? consoleLogger('warn');
    this.#ownsConnection = options.ownsConnection ?? false;
    this.#headers = headers();
    this.#headers.set(WIRE_HEADER, WIRE_VERSION);
    this.#stopWatching = options.onConnectionEvent && watchConnection(this.#nc, options.onConnectionEvent, this.#logger);
  }

  /**
   * Deliveries routed in the same turn (one commit) go out as one message per consumer, so a
   * burst costs a message per batch instead of one per event.
   */
  route(consumer: string, delivery: Delivery): void {
    if (this.#closed) return;
    let batch = this.#outgoing.get(consumer);
    if (!batch) {
      batch = { prev: delivery.prev, jsons: [], bytes: 0, firstSeq: delivery.envelope.seq };
      this.#outgoing.set(consumer, batch);
      this.#scheduleFlush();
    }
    const json = this.#json(delivery.envelope);
    // Keep each message well inside the server's max_payload.
    if (batch.jsons.length > 0 && batch.bytes + json.length > this.#batchBytes()) {
      this.#send(consumer, batch);
      batch.prev = delivery.prev;
      batch.jsons = [];
      batch.bytes = 0;
      batch.firstSeq = delivery.envelope.seq;
    }
    batch.jsons.push(json);
    batch.bytes += json.length;
  }

  onRoute(consumer: string, handler: (delivery: Delivery) => void): () => void {
    const subject = this.subjects.route(consumer);
    this.#routes.get(consumer)?.unsubscribe();
    const subscription = this.#nc.subscribe(subject, {
      callback: (error, msg) => {
        const deliveries = this.#receive(error, msg, () => decodeDeliveries(msg.data, msg.headers));
        if (!deliveries) return;
        for (const delivery of deliveries) {
          try {
            handler(delivery);
          } catch (failure) {
            this.#logger.error('a delivery handler failed', { consumer, seq: delivery.envelope.seq, error: failure });
          }
        }
      },
    });
    this.#routes.set(consumer, subscription);
    return () => {
      if (this.#routes.get(consumer) !== subscription) return;
      this.#routes.delete(consumer);
      subscription.unsubscribe();
    };
  }

  /** Announcements go out after the deliveries of the same turn, as the router made them. */
  announce(envelope: Envelope): void {
    if (this.#closed) return;
    this.#announcements.push(envelope, this.#json(envelope));
    this.#scheduleFlush();
  }

  observe(pattern: string, handler: (envelope: Envelope) => void): () => void {
    const subject = this.subjects.observe(pattern);
    const subscription = this.#nc.subscribe(subject, {
      callback: (error, msg) => {
        const envelope = this.#receive(error, msg, () => decodeAnnouncement(msg.data, msg.headers, this.subjects.topicOf(msg.subject)));
        if (!envelope) return;
        try {
          handler(envelope);
        } catch (failure) {
          this.#logger.error('an observer failed', { pattern, seq: envelope.seq, error: failure });
        }
      },
    });
    this.#observers.add(subscription);
    return () => {
      if (this.#observers.delete(subscription)) subscription.unsubscribe();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching?.();
    for (const subscription of [...this.#routes.values(), ...this.#observers]) {
      try {
        subscription.unsubscribe();
      } catch {
        // Already gone with its connection.
      }
    }
    this.#routes.clear();
    this.#observers.clear();
    if (this.#ownsConnection && !this.#nc.isClosed()) await this.#nc.close();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const outgoing = this.#outgoing;
    for (const [consumer, batch] of outgoing) this.#send(consumer, batch);
    outgoing.clear();
    const announcements = this.#announcements;
    this.#announcements = [];
    for (let i = 0; i < announcements.length; i += 2) {
      const envelope = announcements[i] as Envelope;
      if (this.#closed) return;
      try {
        this.#nc.publish(this.subjects.event(envelope.topic), announcements[i + 1] as string, { headers: this.#headers });
      } catch (error) {
        this.#logger.warn('could not announce an event to observers', { seq: envelope.seq, topic: envelope.topic, error: reason(error) });
      }
    }
  }

  #send(consumer: string, batch: OutgoingBatch): void {
    if (this.#closed || batch.jsons.length === 0) return;
    let subject = this.#routeSubjects.get(consumer);
    if (subject === undefined) {
      subject = this.subjects.route(consumer);
      this.#routeSubjects.set(consumer, subject);
    }
    try {
      this.#nc.publish(subject, encodeDeliveries(batch.prev, batch.jsons), { headers: this.#headers });
    } catch (error) {
      // The router has moved on; the host sees the gap in its next `prev` or heartbeat and reads it.
      this.#logger.warn('could not send deliveries; the consumer will read them from the log', { consumer, seq: batch.firstSeq, error: reason(error) });
    }
  }

  #batchBytes(): number {
    return Math.max(4096, Math.floor((this.#nc.info?.max_payload ?? 1024 * 1024) / 2));
  }

  #json(envelope: Envelope): string {
    if (envelope !== this.#lastEnvelope) {
      this.#lastEnvelope = envelope;
      this.#lastJson = JSON.stringify(envelope);
    }
    return this.#lastJson;
  }

  /** The decoded message, or undefined after logging why it was dropped. */
  #receive<T>(error: NatsError | null, msg: Msg, decode: () => { ok: true; value: T } | { ok: false; error: RecqError }): T | undefined {
    if (error) {
      this.#logger.warn('a NATS subscription reported an error', { subject: msg?.subject, error: error.message });
      return undefined;
    }
    const decoded = decode();
    if (decoded.ok) return decoded.value;
    this.#logger.warn('dropped a malformed message', { subject: msg.subject, bytes: msg.data.length, error: decoded.error.message });
    return undefined;
  }
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));
