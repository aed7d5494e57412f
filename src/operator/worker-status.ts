import { ErrorCode, headers, type MsgHdrs, type NatsConnection, RequestStrategy } from 'nats';
import type { Clock } from '../clock.ts';
import { RecqError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { ConnectionEvent } from '../nats/connection.ts';
import { subjectsFor } from '../nats/subjects.ts';
import { WIRE_HEADER, WIRE_VERSION } from '../nats/wire-message.ts';
import type { RunnerStatus } from '../runner/runner.ts';

/** Where a process stands with its NATS server. */
export type ConnectionState = 'connected' | 'reconnecting' | 'disconnected';

export interface ConnectionStatus {
  state: ConnectionState;
  /** When the connection entered this state (ms since the epoch, by the process's clock). */
  since: number;
  /** Times the connection came back since the process connected. */
  reconnects: number;
}

/** What one process that runs hosts reports when asked on `<ns>.status.workers`. */
export interface WorkerStatus {
  /** The owner name its leases carry. */
  owner: string;
  connection: ConnectionStatus;
  /** Every consumer it runs, live or standing by. */
  consumers: RunnerStatus['consumers'];
  /** Why its consumers could not be read, when they could not (the list is then empty). */
  error?: string;
}

/**
 * Follows a connection's lifecycle events and keeps its state. `see` says whether the event
 * took the connection down or brought it back, so each outage is logged once, however many
 * reconnect attempts it takes.
 *
 * @example
 * const tracker = new ConnectionTracker(systemClock);
 * watchConnection(nc, (event) => {
 *   if (tracker.see(event)) logger.warn(`nats ${event.type}`);
 * });
 */
export class ConnectionTracker {
  readonly #clock: Clock;
  #state: ConnectionState = 'connected';
  #since: number;
  #reconnects = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#since = clock.now();
  }

  get status(): ConnectionStatus {
    return { state: this.#state, since: this.#since, reconnects: this.#reconnects };
  }

  /** Applies `event`; true when it is a disconnect from a live connection, or a reconnect after one. */
  see(event: ConnectionEvent): boolean {
    switch (event.type) {
      case 'disconnect':
        return this.#enter('disconnected', this.#state === 'connected');
      case 'reconnecting':
        this.#enter('reconnecting', false);
        return false;
      case 'reconnect': {
        const wasDown = this.#state !== 'connected';
        this.#reconnects += 1;
        return this.#enter('connected', wasDown);
      }
      case 'closed':
        this.#enter('disconnected', false);
        return false;
      default:
        return false;
    }
  }

  #enter(state: ConnectionState, report: boolean): boolean {
    if (state !== this.#state) {
      this.#state = state;
      this.#since = this.#clock.now();
    }
    return report;
  }
}

export interface WorkerStatusServiceOptions {
  connection: NatsConnection;
  /** The system's namespace (default `recq`). */
  namespace?: string;
  owner: string;
  tracker: ConnectionTracker;
  /** The consumers run here; rejects with code `SYSTEM_STOPPED` once the system has stopped. */
  consumers: () => Promise<RunnerStatus['consumers']>;
  logger: Logger;
}

/**
 * Answers status requests on `<ns>.status.workers` with this process's owner, connection state
 * and consumers. Every such process answers, so an asker collects replies for a while. A
 * stopped system stops answering at the next request (its connection may outlive it).
 *
 * @example
 * const stop = serveWorkerStatus({ connection: nc, owner, tracker, consumers: async () => (await system.status()).consumers, logger });
 */
export function serveWorkerStatus(options: WorkerStatusServiceOptions): () => void {
  const replyHeaders = wireHeaders();
  const subscription = options.connection.subscribe(subjectsFor(options.namespace).workerStatus, {
    callback: (error, msg) => {
      if (error) return;
      const respond = (status: WorkerStatus): void => {
        try {
          msg.respond(JSON.stringify(status), { headers: replyHeaders });
        } catch (failure) {
          options.logger.warn('could not answer a status request', { error: reason(failure) });
        }
      };
      options.consumers().then(
        (consumers) => respond({ owner: options.owner, connection: options.tracker.status, consumers }),
        (failure: unknown) => {
          if (failure instanceof RecqError && failure.code === 'SYSTEM_STOPPED') subscription.unsubscribe();
          else respond({ owner: options.owner, connection: options.tracker.status, consumers: [], error: reason(failure) });
        },
      );
    },
  });
  return () => subscription.unsubscribe();
}

/** The replies to one status request. */
export interface WorkerStatusReplies {
  workers: WorkerStatus[];
  /** Replies that were not worker statuses (another version, or not recq), left out. */
  malformed: number;
}

/**
 * Asks every process that runs hosts in `namespace` for its status, and collects the replies
 * that arrive within `maxWaitMs`, sorted by owner. No process listening is no worker, not an error.
 *
 * @example
 * const { workers } = await collectWorkerStatus(nc, 'shop', 500);
 * for (const worker of workers) console.log(worker.owner, worker.connection.state);
 */
export async function collectWorkerStatus(connection: NatsConnection, namespace?: string, maxWaitMs = 500): Promise<WorkerStatusReplies> {
  const replies: WorkerStatusReplies = { workers: [], malformed: 0 };
  let messages: AsyncIterable<{ data: Uint8Array; headers?: MsgHdrs }>;
  try {
    messages = await connection.requestMany(subjectsFor(namespace).workerStatus, '', {
      strategy: RequestStrategy.Timer,
      maxWait: maxWaitMs,
      headers: wireHeaders(),
    });
    for await (const msg of messages) {
      const status = decodeWorkerStatus(msg.data, msg.headers);
      if (status) replies.workers.push(status);
      else replies.malformed += 1;
    }
  } catch (error) {
    if ((error as { code?: unknown })?.code !== ErrorCode.NoResponders) throw error;
  }
  replies.workers.sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  return replies;
}

const CONNECTION_STATES: readonly string[] = ['connected', 'reconnecting', 'disconnected'] satisfies ConnectionState[];
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A worker's reply, checked field by field; undefined if it is not one. */
export function decodeWorkerStatus(data: Uint8Array, replyHeaders: { get(name: string): string } | undefined): WorkerStatus | undefined {
  if (replyHeaders?.get(WIRE_HEADER) !== WIRE_VERSION) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  if (!isObject(body) || typeof body.owner !== 'string' || !isObject(body.connection) || !Array.isArray(body.consumers)) return undefined;
  const { state, since, reconnects } = body.connection;
  if (typeof state !== 'string' || !CONNECTION_STATES.includes(state) || !isCount(since) || !isCount(reconnects)) return undefined;
  if (!body.consumers.every(isConsumerStatus)) return undefined;
  const status: WorkerStatus = {
    owner: body.owner,
    connection: { state: state as ConnectionState, since, reconnects },
    consumers: body.consumers as RunnerStatus['consumers'],
  };
  if (typeof body.error === 'string') status.error = body.error;
  return status;
}

function isConsumerStatus(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.consumer === 'string' &&
    typeof value.component === 'string' &&
    typeof value.hostState === 'string' &&
    typeof value.keyed === 'boolean' &&
    ['offset', 'committedOffset', 'lag', 'activeActors', 'storedActors', 'deadLetters', 'restarts'].every((field) => isCount(value[field]))
  );
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function wireHeaders(): MsgHdrs {
  const h = headers();
  h.set(WIRE_HEADER, WIRE_VERSION);
  return h;
}
