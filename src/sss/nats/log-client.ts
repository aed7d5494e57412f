import { ErrorCode, headers, type MsgHdrs, type NatsConnection } from 'nats';
import type { AppendInput, AppendResult, Envelope, EventObject } from '../../envelope.ts';
import { ExceedsMaxPayloadError, type RecqError, SupervisorUnreachableError } from '../../errors.ts';
import type { Lease } from '../../lease.ts';
import { DEFAULT_NAMESPACE, type SssOp, type Subjects, subjectsFor } from '../../nats/subjects.ts';
import { SupervisorTrust } from '../../nats/supervisor-trust.ts';
import { WIRE_HEADER, WIRE_VERSION } from '../../nats/wire-message.ts';
import type { ReadQuery } from '../event-log.ts';
import type { LogAccess, Registration, RouteState } from '../log-access.ts';
import { decodeReply, type ReadPage, type SssReplyValues } from './wire-reply.ts';
import { encodeRequest, type LeaseRef, type SssRequest } from './wire-request.ts';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_READ_LIMIT = 1000;

export interface NatsLogAccessOptions {
  /** An open connection, e.g. from `connectNats`; it stays open after use. */
  connection: NatsConnection;
  /** The supervisor's namespace (default `recq`). */
  namespace?: string;
  /** How long to wait for each reply. Default 5 s. */
  timeoutMs?: number;
  /**
   * Called when a reply comes from a different supervisor incarnation than the last one: the
   * supervisor restarted, its routes are gone, and hosts must register again.
   */
  onIncarnationChange?: (incarnation: string, previous: string) => void;
  /**
   * Where the incarnation of each reply is noted. Share one with the process's `NatsTransport`
   * so that it applies deliveries live only from the supervisor that answered last. Default: a
   * trust of its own, which no transport reads.
   */
  trust?: SupervisorTrust;
}

/**
 * A host's (or producer's) access to the SSS over NATS request/reply with the supervisor's
 * `LogService`. Refusals come back as the RecqError subclass the supervisor raised
 * (`StaleEpochError`, `LeaseHeldError`, `InvalidTopicError`, ...).
 *
 * @example
 * const access = new NatsLogAccess({ connection: nc, onIncarnationChange: () => host.reRegister() });
 * const { lease, watermark } = await access.register('billing', ['orders.*'], owner);
 * const page = await access.read({ after: watermark, patterns: ['orders.*'], limit: 500 });
 */
export class NatsLogAccess implements LogAccess {
  readonly subjects: Subjects;
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #onIncarnationChange: ((incarnation: string, previous: string) => void) | undefined;
  readonly #trust: SupervisorTrust;
  readonly #headers: MsgHdrs;
  #incarnation: string | undefined;

  constructor(options: NatsLogAccessOptions) {
    this.subjects = subjectsFor(options.namespace ?? DEFAULT_NAMESPACE);
    this.#nc = options.connection;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onIncarnationChange = options.onIncarnationChange;
    this.#trust = options.trust ?? new SupervisorTrust();
    this.#headers = headers();
    this.#headers.set(WIRE_HEADER, WIRE_VERSION);
  }

  /** The incarnation of the supervisor that sent the last reply (undefined before the first). */
  get incarnation(): string | undefined {
    return this.#incarnation;
  }

  /**
   * Reads up to `limit` events (default 1000), in as many requests as the server's
   * max_payload needs: fewer than `limit` means the range is exhausted, as with the local log.
   */
  async read(query: ReadQuery): Promise<Envelope[]> {
    const limit = query.limit ?? DEFAULT_READ_LIMIT;
    const events: Envelope[] = [];
    let after = query.after ?? 0;
    for (;;) {
      const page = await this.readPage({ ...query, after, limit: limit - events.length });
      events.push(...page.events);
      const last = page.events[page.events.length - 1];
      if (!page.truncated || !last || events.length >= limit) return events;
      after = last.seq;
    }
  }

  /**
   * One read request: whole events only, as many as fit the server's max_payload. When
   * `truncated`, read again after the last event's seq for the rest.
   *
   * @example
   * const { events, truncated } = await access.readPage({ after: 0, limit: 1000 });
   */
  readPage(query: ReadQuery): Promise<ReadPage> {
    return this.#call({ op: 'read', query: { ...query } });
  }

  routes(): Promise<RouteState> {
    return this.#call({ op: 'routes' });
  }

  head(): Promise<number> {
    return this.#call({ op: 'head' });
  }

  register(consumer: string, patterns: readonly string[], owner: string, current?: Lease): Promise<Registration> {
    if (current) return this.#call({ op: 'register', consumer, patterns: [...patterns], owner, lease: current });
    return this.#call({ op: 'register', consumer, patterns: [...patterns], owner });
  }

  async heartbeat(lease: Lease): Promise<number> {
    const reply = await this.#call({ op: 'heartbeat', lease });
    lease.expiresAt = reply.expiresAt;
    return reply.lastRouted;
  }

  async unregister(lease: Lease): Promise<void> {
    await this.#call({ op: 'unregister', lease });
  }

  /**
   * Appends events atomically. A relay passes the lease it holds: the supervisor refuses the
   * append (appending nothing) with `StaleEpochError` unless that epoch is still current, and
   * with `LeaseNotHeldError` unless the lease's owner and token come with it.
   * Give events ids to make a retry after a timeout safe.
   *
   * @example
   * await access.append([{ topic: 'orders.placed', event: { type: 'order.placed' }, id: 'o-1/placed' }]);
   * await access.append(outbox, lease);
   */
  append<TEvent extends EventObject>(inputs: readonly AppendInput<TEvent>[], lease?: LeaseRef): Promise<AppendResult[]> {
    if (!lease) return this.#call({ op: 'append', inputs });
    const ref: LeaseRef = { resource: lease.resource, epoch: lease.epoch };
    if (lease.owner !== undefined) ref.owner = lease.owner;
    if (lease.token !== undefined) ref.token = lease.token;
    return this.#call({ op: 'append', inputs, lease: ref });
  }

  async #call<Op extends SssOp>(request: SssRequest & { op: Op }): Promise<SssReplyValues[Op]> {
    const subject = this.subjects.sss(request.op);
    const body = encodeRequest(request);
    let data: Uint8Array;
    let replyHeaders: MsgHdrs | undefined;
    try {
      const msg = await this.#nc.request(subject, body, { timeout: this.#timeoutMs, headers: this.#headers });
      data = msg.data;
      replyHeaders = msg.headers;
    } catch (error) {
      throw this.#transportError(request.op, subject, body, error);
    }
    const reply = decodeReply(request.op, data, replyHeaders);
    if (reply.incarnation !== undefined) this.#seeIncarnation(reply.incarnation);
    if (!reply.ok) throw reply.error;
    return reply.value;
  }

  #seeIncarnation(incarnation: string): void {
    const previous = this.#incarnation;
    this.#incarnation = incarnation;
    this.#trust.heardFrom(incarnation);
    if (previous !== undefined && previous !== incarnation) this.#onIncarnationChange?.(incarnation, previous);
  }

  #transportError(op: SssOp, subject: string, body: string, error: unknown): RecqError {
    const code = (error as { code?: unknown })?.code;
    if (code === ErrorCode.MaxPayloadExceeded) {
      return new ExceedsMaxPayloadError(`The ${op} request`, Buffer.byteLength(body), this.#nc.info?.max_payload ?? Number.NaN);
    }
    if (code === ErrorCode.NoResponders) return new SupervisorUnreachableError(op, subject, 'nothing is listening there', error);
    if (code === ErrorCode.Timeout) return new SupervisorUnreachableError(op, subject, `no reply within ${this.#timeoutMs} ms`, error);
    return new SupervisorUnreachableError(op, subject, error instanceof Error ? error.message : String(error), error);
  }
}
