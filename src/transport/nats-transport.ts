import { headers, type Msg, type MsgHdrs, type NatsConnection, type NatsError, type Subscription } from 'nats';
import type { Envelope } from '../envelope.ts';
import { consoleLogger, type Logger } from '../logging/logger.ts';
import { type ConnectionEvent, watchConnection } from '../nats/connection.ts';
import { DEFAULT_NAMESPACE, type Subjects, subjectsFor } from '../nats/subjects.ts';
import { SupervisorTrust } from '../nats/supervisor-trust.ts';
import { type Decoded, WIRE_HEADER, WIRE_VERSION } from '../nats/wire-message.ts';
import type { Delivery, Transport } from './transport.ts';
import { decodeAnnouncement, decodeRouteMessage, encodeDeliveries, type RouteMessage } from './wire-delivery.ts';

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
  /**
   * The supervisor incarnation this transport stamps on what it routes and applies deliveries
   * from. Share one with the process's `NatsLogAccess` (and log service) so that deliveries are
   * applied live from the supervisor whose reply came last. Default: a trust of its own, which
   * has heard from no supervisor, so a delivery stamped with any incarnation only tells its
   * host to read the log.
   */
  trust?: SupervisorTrust;
}

/**
 * The distributed deployment's transport: routed deliveries on `<ns>.route.<consumer>`,
 * announcements on `<ns>.evt.<topic>`. Delivery is at-most-once, as NATS core is; every
 * message is validated on receipt, and a malformed one is logged and dropped. Deliveries
 * carry the incarnation of the supervisor that routed them; one from another incarnation is
 * handed on only as news that the route moved (`prev` equal to its seq: read the log).
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
  readonly #trust: SupervisorTrust;
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
    this.#trust = options.trust ?? new SupervisorTrust();
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
        const message = this.#receive(error, msg, () => decodeRouteMessage(msg.data, msg.headers));
        if (!message) return;
        const deliveries = this.#trusted(consumer, message);
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
      this.#nc.publish(subject, encodeDeliveries(batch.prev, batch.jsons, this.#trust.serving), { headers: this.#headers });
    } catch (error) {
      // The router has moved on; the host sees the gap in its next `prev` or heartbeat and reads it.
      this.#logger.warn('could not send deliveries; the consumer will read them from the log', { consumer, seq: batch.firstSeq, error: reason(error) });
    }
  }

  /**
   * Deliveries from the supervisor this process trusts, as they came. Any others (a stale or
   * unknown supervisor's, or a message without an incarnation once one is trusted) only say that
   * the route reached their last seq: the host reads up to it from the log, never past its head.
   */
  #trusted(consumer: string, message: RouteMessage): Delivery[] {
    if (this.#trust.trusts(message.incarnation)) return message.deliveries;
    const last = message.deliveries[message.deliveries.length - 1] as Delivery;
    this.#logger.info('a delivery did not come from the current supervisor; the consumer reads the log instead', {
      consumer,
      seq: last.envelope.seq,
      incarnation: message.incarnation,
    });
    return [{ envelope: last.envelope, prev: last.envelope.seq }];
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
  #receive<T>(error: NatsError | null, msg: Msg, decode: () => Decoded<T>): T | undefined {
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
