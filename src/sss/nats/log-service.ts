import { randomUUID } from 'node:crypto';
import { ErrorCode, headers, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import type { AppendInput } from '../../envelope.ts';
import {
  ExceedsMaxPayloadError,
  LeaseNotHeldError,
  MalformedMessageError,
  RecqError,
  StaleEpochError,
  StorageError,
  SupervisorFailedError,
  SystemStoppedError,
} from '../../errors.ts';
import { consumerOf, consumerResource, type Lease } from '../../lease.ts';
import { consoleLogger, type Logger } from '../../logging/logger.ts';
import { DEFAULT_NAMESPACE, type SssOp, type Subjects, subjectsFor } from '../../nats/subjects.ts';
import type { SupervisorTrust } from '../../nats/supervisor-trust.ts';
import { WIRE_HEADER, WIRE_VERSION } from '../../nats/wire-message.ts';
import type { ReadQuery } from '../event-log.ts';
import type { LocalLogAccess } from '../local-log-access.ts';
import { encodeErrorReply, encodeOkReply, encodeReadReply, readReplyOverhead } from './wire-reply.ts';
import { decodeRequest, type LeaseRef, type SssRequest } from './wire-request.ts';

/** Most events one read reply holds, whatever the request's limit; the client reads on. */
export const MAX_READ_LIMIT = 10_000;
const DEFAULT_READ_LIMIT = 1000;
/** NATS's own default, used while the server's is unknown (between reconnects). */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Room for the reply's headers (`NATS/1.0`, the wire version) inside max_payload. */
const HEADER_ALLOWANCE = 64;

export interface LogServiceOptions {
  /** The supervisor's connection; the service subscribes on it but does not close it. */
  connection: NatsConnection;
  /** What the service answers from: the supervisor's own log, leases and router. */
  access: LocalLogAccess;
  namespace?: string;
  /** Says, while the service runs, which incarnation the process's transport stamps on its deliveries. */
  trust: SupervisorTrust;
  logger?: Logger;
}

/**
 * The supervisor's side of request/reply: serves `append`, `read`, `head`, `register`,
 * `heartbeat` and `unregister` on `<ns>.sss.<op>` through the same `LocalLogAccess` the
 * supervisor's own hosts call directly. A bad request is refused with a typed error and
 * changes nothing. Every reply carries this service's `incarnation`, a random id chosen at
 * construction, so clients can tell that the supervisor restarted and re-register.
 *
 * @example
 * const service = new LogService({ connection: nc, trust, access: new LocalLogAccess(log, leases, router, 15_000) }).start();
 * // ...
 * await service.stop();
 */
export class LogService {
  readonly incarnation: string = randomUUID();
  readonly subjects: Subjects;
  readonly #nc: NatsConnection;
  readonly #trust: SupervisorTrust;
  readonly #access: LocalLogAccess;
  readonly #logger: Logger;
  readonly #headers: MsgHdrs;
  readonly #inFlight = new Set<Promise<void>>();
  #subscription: Subscription | undefined;
  #stopped = false;

  constructor(options: LogServiceOptions) {
    this.subjects = subjectsFor(options.namespace ?? DEFAULT_NAMESPACE);
    this.#nc = options.connection;
    this.#trust = options.trust;
    this.#access = options.access;
    this.#logger = options.logger ?? consoleLogger('warn');
    this.#headers = headers();
    this.#headers.set(WIRE_HEADER, WIRE_VERSION);
  }

  /** Subscribes to `<ns>.sss.*`. Call `flush()` on the connection to know the server has it. */
  start(): this {
    if (this.#stopped) throw new SystemStoppedError('start the log service again (create a new one)');
    // Deliveries this process routes carry this incarnation from now on.
    this.#trust.startedServing(this.incarnation);
    this.#subscription ??= this.#nc.subscribe(this.subjects.sssAll, {
      callback: (error, msg) => {
        if (error) {
          this.#logger.warn('the log service subscription reported an error', { error: error.message });
          return;
        }
        const serving = this.#serve(msg).catch((failure: unknown) => this.#logger.error('the log service failed to answer a request', { error: failure }));
        this.#inFlight.add(serving);
        void serving.finally(() => this.#inFlight.delete(serving));
      },
    });
    return this;
  }

  /** Stops taking requests and waits for those being answered. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#trust.stoppedServing(this.incarnation);
    try {
      this.#subscription?.unsubscribe();
    } catch {
      // The connection is gone, and the subscription with it.
    }
    this.#subscription = undefined;
    await Promise.all([...this.#inFlight]);
  }

  async #serve(msg: Msg): Promise<void> {
    if (!msg.reply) {
      this.#logger.warn('dropped a request with no reply subject', { subject: msg.subject });
      return;
    }
    const op = this.subjects.opOf(msg.subject);
    let reply: string;
    if (!op) {
      reply = this.#refuse(
        new MalformedMessageError(
          'request',
          'subject',
          `"${msg.subject}" names no operation; expected ${this.subjects.sss('append')}, ...read, ...head, ...register, ...heartbeat or ...unregister`,
        ),
      );
    } else {
      const decoded = decodeRequest(op, msg.data, msg.headers);
      if (!decoded.ok) {
        this.#logger.warn('refused a malformed request', { subject: msg.subject, error: decoded.error.message });
        reply = this.#refuse(decoded.error);
      } else {
        try {
          reply = await this.#perform(decoded.value);
        } catch (error) {
          this.#noteRefusedLease(op, decoded.value, error);
          reply = this.#refuse(this.#typed(op, error));
        }
      }
    }
    this.#respond(msg, reply, op);
  }

  async #perform(request: SssRequest): Promise<string> {
    if (this.#stopped) throw new SystemStoppedError(`serve ${request.op}`);
    switch (request.op) {
      case 'append':
        // Each input is refused with its own typed error by the `prepareAppend` the log runs on it.
        return this.#ok(await this.#access.append(request.inputs as readonly AppendInput[], request.lease && presented(request.lease)));
      case 'read':
        return this.#read(request.query);
      case 'head':
        return this.#ok(await this.#access.head());
      case 'routes':
        return this.#ok(await this.#access.routes());
      case 'register':
        return this.#ok(await this.#access.register(request.consumer, request.patterns, request.owner, request.lease));
      case 'heartbeat': {
        this.#assertConsumerLease(request.lease, 'heartbeat');
        const lastRouted = await this.#access.heartbeat(request.lease);
        return this.#ok({ lastRouted, expiresAt: request.lease.expiresAt });
      }
      case 'unregister':
        this.#assertConsumerLease(request.lease, 'unregister');
        await this.#access.unregister(request.lease);
        return this.#ok(null);
    }
  }

  /** A page of whole events that fits the server's max_payload; `truncated` if more were due. */
  async #read(query: ReadQuery): Promise<string> {
    const wanted = query.limit ?? DEFAULT_READ_LIMIT;
    const limit = Math.min(wanted, MAX_READ_LIMIT);
    const envelopes = await this.#access.read({ ...query, limit });
    const maxPayload = this.#nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    const overhead = readReplyOverhead(this.incarnation) + HEADER_ALLOWANCE;
    const jsons: string[] = [];
    let bytes = overhead;
    for (const envelope of envelopes) {
      const json = JSON.stringify(envelope);
      const cost = Buffer.byteLength(json) + (jsons.length > 0 ? 1 : 0);
      if (bytes + cost > maxPayload) {
        if (jsons.length === 0) throw new ExceedsMaxPayloadError(`Event seq ${envelope.seq} in a read reply`, bytes + cost, maxPayload, envelope.seq);
        break;
      }
      jsons.push(json);
      bytes += cost;
    }
    const truncated = jsons.length < envelopes.length || (envelopes.length === limit && limit < wanted);
    return encodeReadReply(jsons, truncated, this.incarnation);
  }

  /**
   * A lease presented without its owner and token is a forgery (or a confused process): say
   * so on the supervisor, naming the lease but never a token. A superseded epoch is routine
   * after a takeover.
   */
  #noteRefusedLease(op: SssOp, request: SssRequest, error: unknown): void {
    const lease = 'lease' in request ? request.lease : undefined;
    if (!lease) return;
    const fields = {
      op,
      resource: lease.resource,
      consumer: consumerOf(lease.resource),
      epoch: lease.epoch,
      owner: 'owner' in lease ? lease.owner : undefined,
    };
    if (error instanceof LeaseNotHeldError) this.#logger.warn(`refused a ${op} that did not present the holder of ${lease.resource}`, fields);
    else if (error instanceof StaleEpochError) this.#logger.info(`refused a ${op} under a superseded epoch of ${lease.resource}`, fields);
  }

  #assertConsumerLease(lease: Lease, op: string): void {
    if (consumerOf(lease.resource) === undefined) {
      throw new MalformedMessageError(`${op} request`, 'lease.resource', `is ${JSON.stringify(lease.resource)}, expected "${consumerResource('<consumer>')}"`);
    }
  }

  #ok(value: unknown): string {
    return encodeOkReply(value, this.incarnation);
  }

  #refuse(error: RecqError): string {
    return encodeErrorReply(error, this.incarnation);
  }

  /** Errors that are not already typed come from SQLite (or a defect): say which operation failed. */
  #typed(op: string, error: unknown): RecqError {
    if (error instanceof RecqError) return error;
    const code = (error as { code?: unknown })?.code;
    this.#logger.error(`the log service failed to serve ${op}`, { error });
    if (typeof code === 'string' && code.startsWith('SQLITE')) return new StorageError(`serve ${op}`, error);
    return new SupervisorFailedError(op, error);
  }

  #respond(msg: Msg, reply: string, op: string | undefined): void {
    try {
      msg.respond(reply, { headers: this.#headers });
    } catch (error) {
      const bytes = Buffer.byteLength(reply);
      this.#logger.warn('could not send a reply', { subject: msg.subject, bytes, error });
      if ((error as { code?: unknown })?.code !== ErrorCode.MaxPayloadExceeded) return;
      const maxPayload = this.#nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
      try {
        msg.respond(this.#refuse(new ExceedsMaxPayloadError(`The reply to ${op ?? 'a request'}`, bytes, maxPayload)), { headers: this.#headers });
      } catch {
        // The connection is down; the client's request times out and it retries.
      }
    }
  }
}

/**
 * Starts a log service and waits until the server has its subscription. Disconnected, it does
 * not wait: the client subscribes again when it reconnects, and serving starts then.
 *
 * @example
 * const service = await serveLog({ connection: nc, trust, access: node.access, logger });
 */
export async function serveLog(options: LogServiceOptions & { logger: Logger }): Promise<LogService> {
  const service = new LogService(options).start();
  try {
    await options.connection.flush();
  } catch (error) {
    options.logger.warn('NATS is not reachable now; the log service answers once it reconnects', { error });
  }
  return service;
}

/** The lease a relay presented, as the lease table checks it: without its owner (older clients sent none) it names no holder. */
function presented(ref: LeaseRef): Lease {
  const lease: Lease = { resource: ref.resource, epoch: ref.epoch, owner: ref.owner ?? '', expiresAt: 0 };
  if (ref.token !== undefined) lease.token = ref.token;
  return lease;
}
