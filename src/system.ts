import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Actor, createActor } from 'xstate';
import { type RestartPolicy, type SupervisorReport, supervisorMachine } from '../actors/supervisor.machine.ts';
import { type Clock, systemClock } from './clock.ts';
import { ConsumerStore, type DeadLetter, type DeadLetterStatus } from './css/consumer-store.ts';
import { DURABILITY_MODES, type Durability, openDatabase, type SqliteDatabase } from './db.ts';
import { type AppendInput, type AppendResult, DEFAULT_MAX_PAYLOAD_BYTES, type Envelope, type EventObject } from './envelope.ts';
import { InvalidCommandError, InvalidOptionError, RecqError, StaleEpochError, SystemStoppedError, UnknownComponentError } from './errors.ts';
import type { CheckpointPolicy, Component } from './host/component.ts';
import { type ActorView, ComponentHost } from './host/component-host.ts';
import { DEFAULT_RETRY, type RetryPolicy, retryPolicyProblem } from './host/retry-policy.ts';
import { consoleLogger, type Logger } from './logger.ts';
import { checkpointProblem, numberProblem } from './options.ts';
import { EventLog, type ReadQuery } from './sss/event-log.ts';
import { type Lease, LeaseTable } from './supervisor/leases.ts';
import { LocalLogAccess } from './supervisor/local-log-access.ts';
import { Router } from './supervisor/router.ts';
import { type ConsumerView, createSystemView, type SystemView } from './supervisor/system-view.ts';
import { MemoryTransport } from './transport/memory.ts';
import type { Transport } from './transport/transport.ts';

/** Options of `createSystem`. Everything but `components` has a default. */
export interface SystemOptions {
  /** The SQLite file holding the SSS and (embedded) every CSS. Default `./recq.db`. */
  db?: string;
  components: readonly Component[];
  /** Time source for timestamps, checkpoints, leases, restarts and actors' delayed events. */
  clock?: Clock;
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
  /** This process's identity in leases. Default `host:pid:random`. */
  owner?: string;
  /**
   * Carries routed deliveries and observer announcements. Default: the in-process bus. Hosts
   * never depend on it for correctness: a lost delivery is a gap they fill from the log.
   */
  transport?: Transport;
}

/** Options of one publish. */
export interface PublishOptions {
  key?: string;
  /** Idempotency key; default a new unique id. Publishing an id again returns its first seq. */
  id?: string;
  causation?: string;
  correlationId?: string;
}

/** A consumer's progress, as `status()` reports it. */
export interface ConsumerStatus extends ConsumerView {
  component: string;
  keyed: boolean;
  storedActors: number;
}

export interface SystemStatus {
  supervisor: string;
  head: number;
  consumers: ConsumerStatus[];
}

const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 30_000, maxRestarts: 5, windowMs: 60_000 };

/**
 * A running recq system: the supervisor with its log and router, and one host per component.
 */
export class System {
  readonly view: SystemView;
  readonly #db: SqliteDatabase;
  readonly #log: EventLog;
  readonly #leases: LeaseTable;
  readonly #router: Router;
  readonly #transport: Transport;
  readonly #store: ConsumerStore;
  readonly #components: Map<string, Component>;
  readonly #hosts = new Map<string, ComponentHost>();
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #logLease: Lease;
  readonly #leaseTtlMs: number;
  readonly #startErrors = new Map<string, unknown>();
  #supervisor!: Actor<typeof supervisorMachine>;
  #leaseTimer: unknown;
  /** Keeps the process alive while the system runs, as a server would (every other timer is unref'd). */
  #keepAlive: NodeJS.Timeout | undefined;
  #waiters: (() => void)[] = [];
  #stopped = false;
  #stopping: Promise<void> | undefined;

  /** Use `createSystem`. */
  constructor(options: SystemOptions) {
    const components = validateComponents(options.components);
    this.#components = new Map(components.map((c) => [c.name, c]));
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? consoleLogger('warn');
    // Every option is checked before the file is opened, so a bad one changes nothing.
    this.#leaseTtlMs = checked('leaseTtlMs', options.leaseTtlMs ?? 15_000, { min: 0, exclusive: true });
    const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const problem = checkpointProblem(options.checkpoint);
    if (problem) throw new InvalidOptionError(problem.field, problem.value, problem.reason);
    const checkpoint: CheckpointPolicy = { maxEvents: 10_000, maxDelayMs: 10, ...options.checkpoint };
    const passivateAfterMs = checked('passivateAfterMs', options.passivateAfterMs ?? 60_000, { min: 0, exclusive: true });
    const readPageSize = checked('readPageSize', options.readPageSize ?? 1000, { integer: true, min: 1 });
    const maxPayloadBytes = checked('maxPayloadBytes', options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, { integer: true, min: 1 });
    const restart = { ...DEFAULT_RESTART, ...options.restart };
    const retryProblem = retryPolicyProblem(options.retry);
    if (retryProblem) throw new InvalidOptionError(retryProblem.field, retryProblem.value, retryProblem.reason);
    const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
    for (const field of ['initialDelayMs', 'maxDelayMs', 'maxRestarts', 'windowMs'] as const) {
      checked(`restart.${field}`, restart[field], { min: 0, integer: field === 'maxRestarts' });
    }
    if (options.durability !== undefined && !DURABILITY_MODES.includes(options.durability)) {
      throw new InvalidOptionError('durability', options.durability, `expected one of ${DURABILITY_MODES.join(', ')}`);
    }

    const busyTimeoutMs = checked('busyTimeoutMs', options.busyTimeoutMs ?? 5000, { min: 0 });
    this.#db = openDatabase(options.db ?? './recq.db', options.durability ?? 'full', { busyTimeoutMs });
    try {
      this.#leases = new LeaseTable(this.#db, this.#clock);
      this.#logLease = this.#leases.acquire('log', owner, this.#leaseTtlMs);
    } catch (error) {
      this.#db.close();
      throw error;
    }
    const logLease = this.#logLease;
    this.#log = new EventLog(this.#db, {
      clock: this.#clock,
      maxPayloadBytes,
      fence: () => this.#leases.assertCurrent(logLease),
      onListenerError: (error) => this.#logger.error('a commit listener failed; the commit itself stands', { error }),
    });
    this.#transport =
      options.transport ??
      new MemoryTransport({ onObserverError: (error, envelope) => this.#logger.error('an observer failed', { seq: envelope.seq, error }) });
    this.#router = new Router(this.#transport);
    this.#log.onCommit((envelopes) => this.#router.route(envelopes));
    this.#store = new ConsumerStore(this.#db, this.#log, this.#clock);
    this.view = createSystemView();
    const access = new LocalLogAccess(this.#log, this.#leases, this.#router, this.#leaseTtlMs);

    this.#supervisor = createActor(supervisorMachine, {
      clock: this.#clock,
      input: {
        consumers: components.map((c) => c.name),
        policy: restart,
        now: () => this.#clock.now(),
        random: Math.random,
        report: (report) => this.#onReport(report),
        createWork: (consumer) => {
          const component = this.#components.get(consumer) as Component;
          const host = new ComponentHost({
            component,
            consumer,
            owner,
            store: this.#store,
            log: access,
            transport: this.#transport,
            clock: this.#clock,
            logger: this.#logger,
            checkpoint: { ...checkpoint, ...component.checkpoint },
            retry: { ...retry, ...component.retry },
            random: Math.random,
            passivateAfterMs: component.passivateAfterMs ?? passivateAfterMs,
            leaseTtlMs: this.#leaseTtlMs,
            readPageSize,
            maxPayloadBytes: this.#log.maxPayloadBytes,
            fence: (lease) => () => this.#leases.assertCurrent(lease),
            onProgress: () => this.#progress(consumer),
          });
          this.#hosts.set(consumer, host);
          return host;
        },
      },
    });
  }

  /** Starts the supervisor and resolves once every host is live; rejects if one fails to start. */
  async start(): Promise<this> {
    this.#supervisor.subscribe({ next: (snapshot) => this.view.trigger.supervisor({ state: String(snapshot.value) }), error: () => {} });
    this.#supervisor.start();
    this.#keepAlive = setInterval(() => {}, 1 << 30);
    this.#scheduleLogLease();
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.#supervisor.getSnapshot().value !== 'starting') {
          subscription.unsubscribe();
          resolve();
        }
      };
      const subscription = this.#supervisor.subscribe(check);
      check();
    });
    if (this.#startErrors.size > 0) {
      const [consumer, error] = [...this.#startErrors][0] as [string, unknown];
      await this.stop();
      if (error instanceof RecqError) throw error;
      throw new RecqError('START_FAILED', `consumer ${consumer} failed to start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return this;
  }

  /**
   * Publishes one event. Resolves with its seq once it is committed to the log.
   *
   * @example
   * const { seq } = await system.publish('orders.placed', { type: 'order.placed', total: 30 }, { key: 'o-1' });
   */
  publish<TEvent extends EventObject>(topic: string, event: TEvent, options: PublishOptions = {}): Promise<AppendResult> {
    if (this.#stopped) return Promise.reject(new SystemStoppedError('publish'));
    return this.#log.append({ topic, event, ...options });
  }

  /** Publishes several events atomically (all validated first, committed together). */
  publishMany<TEvent extends EventObject>(inputs: readonly AppendInput<TEvent>[]): Promise<AppendResult[]> {
    if (this.#stopped) return Promise.reject(new SystemStoppedError('publish'));
    return this.#log.appendMany(inputs);
  }

  /**
   * The current snapshot (value, context, status) of a component's actor.
   *
   * @example
   * const order = await system.query('order', 'o-1');
   * order.value; // 'awaitingPayment'
   */
  async query(component: string, key?: string): Promise<ActorView> {
    this.#assertRunning('query');
    if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
      throw new InvalidOptionError('key', key, 'a query key must be a non-empty string, or undefined for a singleton');
    }
    const definition = this.#components.get(component);
    if (!definition) throw new UnknownComponentError(component, [...this.#components.keys()]);
    const host = this.#hosts.get(component);
    if (!host) throw new RecqError('NOT_STARTED', `component ${component} has not started`);
    return host.query(definition.keyed ? key : undefined);
  }

  /** Reads committed events from the log, in seq order. */
  events(query: ReadQuery = {}): Envelope[] {
    this.#assertRunning('read events');
    return this.#log.read(query);
  }

  /** The seq of the last committed event. */
  head(): number {
    this.#assertRunning('read the head');
    return this.#log.head();
  }

  /** Follows committed events whose topic matches `pattern` (no delivery guarantee; for observers). */
  observe(pattern: string, handler: (envelope: Envelope) => void): () => void {
    return this.#transport.observe(pattern, handler);
  }

  /**
   * Dead letters: events (or fired timers) that could not be applied, with their errors. All of
   * them, or one component's; `status` narrows to `parked`, `blocking`, `retried` or `skipped`.
   */
  deadLetters(component?: string, status?: DeadLetterStatus): DeadLetter[] {
    this.#assertRunning('list dead letters');
    if (component !== undefined) this.#definition(component);
    return this.#store.deadLetters(component, status);
  }

  /**
   * Applies a parked dead letter again against its actor's current state (or releases the one a
   * blocked consumer waits on). The outcome is recorded on the letter: `retried`, or still
   * `parked` with one more attempt and the new error.
   */
  retryDeadLetter(id: number): void {
    const letter = this.#letter('retry a dead letter', id);
    this.#runningHost(letter.consumer).retryDeadLetter(letter);
  }

  /** Marks a dead letter skipped; a consumer blocked on it goes on past it. */
  skipDeadLetter(id: number): void {
    const letter = this.#letter('skip a dead letter', id);
    this.#runningHost(letter.consumer).skipDeadLetter(letter);
  }

  /** Stops a consumer after its current batch (it commits, then waits); survives restarts. */
  pause(component: string): void {
    this.#definition(component);
    this.#runningHost(component).pause();
  }

  resume(component: string): void {
    this.#definition(component);
    this.#runningHost(component).resume();
  }

  /**
   * Resets a consumer (its snapshots, and its offset to `from - 1`) and rebuilds it from the
   * log. What it emits again has the ids it had the first time, so the log gains nothing twice.
   */
  async replay(component: string, options: { from?: number } = {}): Promise<void> {
    this.#definition(component);
    return this.#runningHost(component).requestReplay(options.from ?? 1);
  }

  /** Per consumer: offset, head, lag, actors, host state, restarts. */
  status(): SystemStatus {
    this.#assertRunning('read the status');
    const head = this.#log.head();
    const hosts = this.#supervisor.getSnapshot().context.hosts;
    return {
      supervisor: String(this.#supervisor.getSnapshot().value),
      head,
      consumers: [...this.#components.values()].map((component) => ({
        ...this.#consumerView(component.name),
        component: component.name,
        keyed: component.keyed,
        storedActors: this.#store.countSnapshots(component.name),
        restarts: hosts[component.name]?.failures.length ?? 0,
      })),
    };
  }

  /**
   * Resolves when every event in the log has been applied and checkpointed by every consumer,
   * including events emitted along the way. Rejects if a consumer is down for good.
   */
  async settled(): Promise<void> {
    for (;;) {
      if (this.#stopped) throw new SystemStoppedError('wait for the system to settle');
      this.#log.flush();
      const hosts = this.#supervisor.getSnapshot().context.hosts;
      let quiet = true;
      for (const [consumer, record] of Object.entries(hosts)) {
        if (record.status === 'failed' || record.status === 'fenced') {
          throw new RecqError('CONSUMER_DOWN', `consumer ${consumer} is ${record.status} and will not settle: ${record.lastError ?? 'no error recorded'}`);
        }
        const host = this.#hosts.get(consumer);
        if (host?.blockedOn) {
          throw new RecqError(
            'CONSUMER_BLOCKED',
            `consumer ${consumer} is blocked on seq ${host.blockedOn.seq} and will not settle: ${host.blockedOn.error}. Retry or skip the dead letter.`,
          );
        }
        if (host?.isPaused()) throw new RecqError('CONSUMER_PAUSED', `consumer ${consumer} is paused and will not settle until it is resumed`);
        const lastRouted = this.#router.lastRouted(consumer);
        if (!host || lastRouted === undefined || !host.isSettled(lastRouted)) {
          quiet = false;
          if (lastRouted !== undefined) host?.sync(lastRouted);
          host?.requestCommit();
        }
      }
      if (quiet) return;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        // A backstop in case a host is waiting on a restart: look again shortly.
        setTimeout(resolve, 50).unref();
      });
    }
  }

  /** Commits what every host has applied, stops the hosts and closes the database. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#log.flush();
    this.#stopped = true;
    this.#supervisor.send({ type: 'stop' });
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.#supervisor.getSnapshot().value === 'stopped') {
          subscription.unsubscribe();
          resolve();
        }
      };
      const subscription = this.#supervisor.subscribe({ next: check, complete: check, error: () => resolve() });
      check();
    });
    this.#supervisor.stop();
    this.#clock.clearTimeout(this.#leaseTimer);
    clearInterval(this.#keepAlive);
    this.#log.close();
    try {
      this.#leases.release(this.#logLease);
    } catch {
      // Another owner has it already; nothing to give back.
    }
    await this.#transport.close();
    this.#db.close();
  }

  /**
   * Stops at once, as a crash would: nothing applied since the last checkpoints is committed,
   * queued publishes are refused, and leases are left to expire. For fault tests and drills;
   * a new system on the same file recovers exactly as after a real crash.
   */
  async halt(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#stopped = true;
    this.#stopping = (async () => {
      this.#log.abandon(new SystemStoppedError('publish (the system was halted)'));
      for (const host of this.#hosts.values()) host.halt();
      this.#supervisor.stop();
      this.#clock.clearTimeout(this.#leaseTimer);
      clearInterval(this.#keepAlive);
      await this.#transport.close();
      this.#db.close();
    })();
    return this.#stopping;
  }

  #assertRunning(action: string): void {
    if (this.#stopped) throw new SystemStoppedError(action);
  }

  #definition(component: string): Component {
    const definition = this.#components.get(component);
    if (!definition) throw new UnknownComponentError(component, [...this.#components.keys()]);
    return definition;
  }

  #runningHost(consumer: string): ComponentHost {
    this.#assertRunning(`control consumer ${consumer}`);
    const host = this.#hosts.get(consumer);
    const status = this.#supervisor.getSnapshot().context.hosts[consumer]?.status;
    if (!host || status !== 'live') throw new InvalidCommandError(`control consumer ${consumer}`, `its host is ${status ?? 'not started'}, not live`);
    return host;
  }

  #letter(command: string, id: number): DeadLetter {
    this.#assertRunning(command);
    if (!Number.isInteger(id) || id < 1) throw new InvalidCommandError(command, `a dead letter id is a positive integer, got ${String(id)}`);
    const letter = this.#store.deadLetter(id);
    if (!letter) throw new InvalidCommandError(command, `there is no dead letter ${id}`);
    return letter;
  }

  #progress(consumer: string): void {
    const host = this.#hosts.get(consumer);
    if (host) this.view.trigger.consumer({ head: this.#log.head(), view: this.#consumerView(consumer) });
    const waiters = this.#waiters;
    if (waiters.length > 0) {
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #consumerView(consumer: string): ConsumerView {
    const host = this.#hosts.get(consumer);
    const record = this.#supervisor.getSnapshot().context.hosts[consumer];
    const routed = this.#router.lastRouted(consumer);
    return {
      consumer,
      hostState: host?.state ?? 'restoring',
      offset: host?.offset ?? 0,
      committedOffset: host?.committedOffset ?? 0,
      lag: routed === undefined || !host ? 0 : Math.max(0, routed - host.offset),
      activeActors: host?.activeActors ?? 0,
      deadLetters: 0,
      restarts: record?.failures.length ?? 0,
      lastError: record?.lastError,
    };
  }

  #onReport(report: SupervisorReport): void {
    this.#logger[report.level](report.message, report.consumer === undefined ? {} : { consumer: report.consumer });
    if (report.error !== undefined && report.consumer !== undefined && this.#supervisor.getSnapshot().value === 'starting') {
      if (!this.#startErrors.has(report.consumer)) this.#startErrors.set(report.consumer, report.error);
    }
  }

  #scheduleLogLease(): void {
    this.#leaseTimer = this.#clock.setTimeout(
      () => {
        if (this.#stopped) return;
        try {
          this.#leases.renew(this.#logLease, this.#leaseTtlMs);
        } catch (error) {
          if (error instanceof StaleEpochError) {
            this.#logger.error('this process lost the lease on the log; stopping', { error });
            void this.stop();
            return;
          }
          this.#logger.warn('could not renew the lease on the log; retrying', { error });
        }
        this.#scheduleLogLease();
      },
      Math.max(1, Math.floor(this.#leaseTtlMs / 3)),
    );
  }
}

/**
 * Opens (or creates) a system on a SQLite file and starts every component's host. Resolves once
 * every consumer is live: restored, caught up with the log, and receiving new events.
 *
 * @example
 * const system = await createSystem({ db: './shop.db', components: [orders, payments] });
 * await system.publish('orders.placed', { type: 'order.placed', orderId: 'o-1' }, { key: 'o-1' });
 * await system.settled();
 * console.log(await system.query('orders', 'o-1'));
 * await system.stop();
 */
export async function createSystem(options: SystemOptions): Promise<System> {
  return new System(options).start();
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
  return components as Component[];
}

function checked(option: string, value: number, rule: Parameters<typeof numberProblem>[1]): number {
  const problem = numberProblem(value, rule);
  if (problem) throw new InvalidOptionError(option, value, problem);
  return value;
}
