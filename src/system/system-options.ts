import type { NatsConnection } from 'nats';
import type { RestartPolicy } from '../../actors/runner.machine.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { CheckpointPolicy, Component } from '../component/component.ts';
import { checkpointProblem, numberProblem } from '../component/policy-checks.ts';
import { DEFAULT_RETRY, type RetryPolicy, retryPolicyProblem } from '../component/retry-policy.ts';
import { DURABILITY_MODES, type Durability } from '../db.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES, type TraceContext } from '../envelope.ts';
import { InvalidOptionError } from '../errors.ts';
import { type InspectOption, inspectionListenerOf } from '../inspect/inspect-option.ts';
import { defaultLogger, type Logger } from '../logging/logger.ts';
import { type MetricsOptions, type ResolvedMetricsOptions, resolveMetricsOptions } from '../metrics/metrics-options.ts';
import { silentProbe } from '../metrics/probe.ts';
import type { NatsCredentials } from '../nats/credentials.ts';
import { processOwner } from '../owner.ts';
import type { RunnerSettings } from '../runner/runner-options.ts';
import type { JetStreamOptions } from '../sss/jetstream/stream-place.ts';
import type { Transport } from '../transport/transport.ts';

/**
 * Where a distributed system's processes meet: a NATS server (or cluster) and a namespace,
 * and how this process proves who it is there (user/password, token, NKey, .creds, TLS).
 */
export interface NatsOptions extends NatsCredentials {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers?: string | readonly string[];
  /** An open connection to use instead (it is not closed on stop). */
  connection?: NatsConnection;
  /** First token of every subject (default `recq`), so systems can share a server. */
  namespace?: string;
  /** How long a request to the supervisor waits for its reply. Default 5000 ms, and never more than a third of `leaseTtlMs`. */
  requestTimeoutMs?: number;
  /**
   * Keep the log (SSS) in a JetStream stream instead of the supervisor's SQLite file, so that
   * several supervisors can share it: one leads, the others stand by and take over when its
   * liveness lapses. `true` takes every default. Only a supervisor (or `all`) reads it.
   */
  jetstream?: JetStreamOptions | true;
}

/** Options of `createSystem`, `startSupervisor` and `startWorker`. Everything but `components` has a default. */
export interface SystemOptions {
  /**
   * The SQLite file: the SSS and every CSS (embedded), the SSS (supervisor), or the worker's
   * CSS and outbox (worker). Default `./recq.db`.
   */
  db?: string;
  components: readonly Component[];
  /** Run over NATS: the supervisor serves the log there, and hosts reach it there. */
  nats?: NatsOptions;
  /** Time source for timestamps, checkpoints, leases, restarts and actors' delayed events. */
  clock?: Clock;
  /** Randomness for the jitter of restart and retry backoffs (a seeded one in tests). Default `Math.random`. */
  random?: () => number;
  durability?: Durability;
  /** How long a write waits for another connection's lock before failing with `StorageError`. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Largest event, as JSON bytes. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Default checkpoint policy (components may override). Default 10,000 events or 10 ms. */
  checkpoint?: Partial<CheckpointPolicy>;
  /** Drop idle keyed actors from memory after this long. Default 60 s. */
  passivateAfterMs?: number;
  /** Lease time-to-live; leases are renewed every third of it. Default 15 s. */
  leaseTtlMs?: number;
  restart?: Partial<RestartPolicy>;
  /**
   * Default retry policy for failed events (components may override): attempts, backoff, and
   * `onExhausted: 'park' | 'block'`. Default 3 attempts from 100 ms, then park.
   */
  retry?: Partial<RetryPolicy>;
  /** Events per page when catching up from the log. Default 1000. */
  readPageSize?: number;
  logger?: Logger;
  /**
   * Streams every actor's inspection events (its events, snapshots, actions, children), restored
   * actors included, to an XState inspection observer or an inspector such as
   * `createWebSocketInspector()` from `@statelyai/inspect`. A component's actor has the id
   * `component/key` (`component` for a singleton).
   */
  inspect?: InspectOption;
  /** This process's identity in leases. Default `host:pid:random`. */
  owner?: string;
  /**
   * When another running process holds the log's lease: wait for it (saying so once) instead of
   * refusing with `LeaseHeldError`. A lease whose process is gone (it ran on this machine) is
   * taken at once either way. Default false; `recq run` and `recq supervisor` wait.
   */
  waitForLease?: boolean;
  /**
   * Carries routed deliveries and observer announcements. Default: the in-process bus (or
   * NATS, with `nats`). Hosts never depend on it for correctness: a lost delivery is a gap
   * they fill from the log.
   */
  transport?: Transport;
  /**
   * Prometheus metrics: the system's series in a registry of its own (or yours), served on
   * `GET /metrics` at `system.metrics.url`. `true` serves them on a free port of 127.0.0.1.
   */
  metrics?: MetricsOptions | true;
}

/** Options of one publish. */
export interface PublishOptions {
  key?: string;
  /** Idempotency key; default a new unique id. Publishing an id again returns its first seq. */
  id?: string;
  causation?: string;
  correlationId?: string;
  /**
   * The W3C trace context to store with the event when no span is active here (e.g. one a
   * request brought in); with an OpenTelemetry SDK, the publish span becomes its child.
   */
  trace?: TraceContext;
}

/** Every option, checked and with its default. */
/** The options with every default filled in: what a runner needs, and what this process opens and serves. */
export interface ResolvedOptions extends RunnerSettings {
  db: string;
  components: Component[];
  waitForLease: boolean;
  durability: Durability;
  busyTimeoutMs: number;
  metrics: ResolvedMetricsOptions | undefined;
}

export const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 30_000, maxRestarts: 5, windowMs: 60_000 };

/** Checks every option (before any file is opened, so a bad one changes nothing) and fills in defaults. */
export function resolveOptions(options: SystemOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'expected { components, db?, ... }');
  const components = validateComponents(options.components);
  const checkpointIssue = checkpointProblem(options.checkpoint);
  if (checkpointIssue) throw new InvalidOptionError(checkpointIssue.field, checkpointIssue.value, checkpointIssue.reason);
  const retryIssue = retryPolicyProblem(options.retry);
  if (retryIssue) throw new InvalidOptionError(retryIssue.field, retryIssue.value, retryIssue.reason);
  const restart = { ...DEFAULT_RESTART, ...options.restart };
  for (const field of ['initialDelayMs', 'maxDelayMs', 'maxRestarts', 'windowMs'] as const) {
    checked(`restart.${field}`, restart[field], { min: 0, integer: field === 'maxRestarts' });
  }
  if (options.durability !== undefined && !DURABILITY_MODES.includes(options.durability)) {
    throw new InvalidOptionError('durability', options.durability, `expected one of ${DURABILITY_MODES.join(', ')}`);
  }
  if (options.random !== undefined && typeof options.random !== 'function')
    throw new InvalidOptionError('random', options.random, 'expected a function returning a number in [0, 1)');
  if (options.waitForLease !== undefined && typeof options.waitForLease !== 'boolean')
    throw new InvalidOptionError('waitForLease', options.waitForLease, 'expected true or false');
  if (options.db !== undefined && (typeof options.db !== 'string' || options.db.length === 0))
    throw new InvalidOptionError('db', options.db, 'expected a file path');
  if (options.logger !== undefined && !isLogger(options.logger)) {
    throw new InvalidOptionError(
      'logger',
      options.logger,
      'expected { info, warn, error } functions (debug optional): consoleLogger(level), pinoLogger(pino()) or your own',
    );
  }
  if (options.owner !== undefined && (typeof options.owner !== 'string' || options.owner.length === 0)) {
    throw new InvalidOptionError('owner', options.owner, 'expected a non-empty string');
  }
  const logger = options.logger ?? defaultLogger();
  return {
    db: options.db ?? './recq.db',
    components,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    logger,
    inspect: inspectionListenerOf(options.inspect, logger),
    owner: options.owner ?? processOwner(),
    waitForLease: options.waitForLease ?? false,
    durability: options.durability ?? 'full',
    busyTimeoutMs: checked('busyTimeoutMs', options.busyTimeoutMs ?? 5000, { min: 0 }),
    maxPayloadBytes: checked('maxPayloadBytes', options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, { integer: true, min: 1 }),
    checkpoint: { maxEvents: 10_000, maxDelayMs: 10, ...options.checkpoint },
    passivateAfterMs: checked('passivateAfterMs', options.passivateAfterMs ?? 60_000, { min: 0, exclusive: true }),
    leaseTtlMs: checked('leaseTtlMs', options.leaseTtlMs ?? 15_000, { min: 0, exclusive: true }),
    restart,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    readPageSize: checked('readPageSize', options.readPageSize ?? 1000, { integer: true, min: 1 }),
    metrics: resolveMetricsOptions(options.metrics),
    probe: silentProbe,
  };
}

function validateComponents(components: unknown): Component[] {
  if (!Array.isArray(components)) throw new InvalidOptionError('components', components, 'expected an array of defineComponent(...) results');
  const seen = new Set<string>();
  for (const component of components as Component[]) {
    if (typeof component !== 'object' || component === null || typeof component.name !== 'string' || !Array.isArray(component.patterns)) {
      throw new InvalidOptionError('components', component, 'each component must come from defineComponent(...)');
    }
    if (seen.has(component.name)) throw new InvalidOptionError('components', component.name, 'two components have this name; names must be unique');
    seen.add(component.name);
  }
  return [...(components as Component[])];
}

function isLogger(logger: unknown): logger is Logger {
  const l = logger as Partial<Record<keyof Logger, unknown>> | null;
  return typeof l === 'object' && l !== null && (['info', 'warn', 'error'] as const).every((level) => typeof l[level] === 'function');
}

function checked(option: string, value: number, rule: Parameters<typeof numberProblem>[1]): number {
  const problem = numberProblem(value, rule);
  if (problem) throw new InvalidOptionError(option, value, problem);
  return value;
}
