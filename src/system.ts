import type { NatsConnection } from 'nats';
import { CommandQueue } from './css/commands.ts';
import { ConsumerStore, type DeadLetter, type DeadLetterStatus } from './css/consumer-store.ts';
import { Outbox } from './css/outbox.ts';
import { openDatabase, type SqliteDatabase } from './db.ts';
import type { AppendInput, AppendResult, Envelope, EventObject } from './envelope.ts';
import { InvalidOptionError, LeaseHeldError, RecqError, SystemStoppedError, UnknownComponentError } from './errors.ts';
import type { ActorView } from './host/component-host.ts';
import { ComponentRunner, type RunnerStatus } from './host/runner.ts';
import { connectNats } from './nats/connection.ts';
import { NatsLogAccess } from './nats/log-client.ts';
import { NatsTransport } from './nats/transport.ts';
import { ConnectionTracker, serveWorkerStatus } from './nats/worker-status.ts';
import type { ReadQuery } from './sss/event-log.ts';
import type { LogAccess, RouteState } from './sss/log-access.ts';
import { LogNode } from './supervisor/log-node.ts';
import { createSystemView, type SystemView } from './supervisor/system-view.ts';
import { type PublishOptions, type ResolvedOptions, resolveOptions, type SystemOptions } from './system-options.ts';
import { MemoryTransport } from './transport/memory.ts';
import type { Transport } from './transport/transport.ts';

export type { ConsumerStatus } from './host/runner.ts';
export type { NatsOptions, PublishOptions, SystemOptions } from './system-options.ts';

/** Per consumer: offset, lag, actors, host state; and the supervisor's state and the log head. */
export type SystemStatus = RunnerStatus;

/** Which parts of a system run in this process. */
export type SystemRole = 'embedded' | 'all' | 'supervisor' | 'worker';

interface Parts {
  role: SystemRole;
  options: ResolvedOptions;
  log: LogAccess;
  transport: Transport;
  node?: LogNode;
  runner?: ComponentRunner;
  databases: SqliteDatabase[];
  connection?: { nc: NatsConnection; owned: boolean };
  /** Run once when the system stops, before the transport and files close. */
  closers: (() => void)[];
}

/**
 * A running recq system, or the part of one that runs in this process: the supervisor with
 * its log and router, the hosts of some components, or both.
 */
export class System {
  readonly role: SystemRole;
  readonly #p: Parts;
  readonly #emptyView: SystemView | undefined;
  /** Keeps the process alive while the system runs, as a server would (every other timer is unref'd). */
  readonly #keepAlive: NodeJS.Timeout;
  #stopped = false;
  #stopping: Promise<void> | undefined;
  #halting: Promise<void> | undefined;
  #closed = false;
  #markStopped!: () => void;
  /** Resolves once the system has stopped, for whatever reason (`stop`, `halt`, a lost lease). */
  readonly stopped: Promise<void> = new Promise((resolve) => {
    this.#markStopped = resolve;
  });

  /** Use `createSystem`, `startSupervisor` or `startWorker`. */
  constructor(parts: Parts) {
    this.#p = parts;
    this.role = parts.role;
    this.#emptyView = parts.runner ? undefined : createSystemView();
    this.#keepAlive = setInterval(() => {}, 1 << 30);
  }

  /** The live view (`@xstate/store`) of the consumers this process runs. */
  get view(): SystemView {
    return this.#p.runner?.view ?? (this.#emptyView as SystemView);
  }

  /** The components whose hosts run in this process. */
  get components(): readonly string[] {
    return this.#p.runner?.components ?? [];
  }

  /**
   * Publishes one event. Resolves with its seq once it is committed to the log.
   *
   * @example
   * const { seq } = await system.publish('orders.placed', { type: 'order.placed', total: 30 }, { key: 'o-1' });
   */
  publish<TEvent extends EventObject>(topic: string, event: TEvent, options: PublishOptions = {}): Promise<AppendResult> {
    return this.publishMany([{ topic, event, ...options }]).then((results) => results[0] as AppendResult);
  }

  /** Publishes several events atomically (all validated first, committed together). */
  publishMany<TEvent extends EventObject>(inputs: readonly AppendInput<TEvent>[]): Promise<AppendResult[]> {
    if (this.#stopped) return Promise.reject(new SystemStoppedError('publish'));
    return this.#p.node ? this.#p.node.log.appendMany(inputs) : this.#p.log.append(inputs);
  }

  /**
   * The current snapshot (value, context, status) of a component's actor.
   *
   * @example
   * const order = await system.query('order', 'o-1');
   * order.value; // 'awaitingPayment'
   */
  async query(component: string, key?: string): Promise<ActorView> {
    return this.#runner('query').query(component, key);
  }

  /** Reads committed events from the log, in seq order. */
  async events(query: ReadQuery = {}): Promise<Envelope[]> {
    this.#assertRunning('read events');
    return this.#p.log.read(query);
  }

  /** The seq of the last committed event. */
  async head(): Promise<number> {
    this.#assertRunning('read the head');
    return this.#p.log.head();
  }

  /** The log head, each consumer's last routed seq, and the leases (from the supervisor). */
  async routes(): Promise<RouteState> {
    this.#assertRunning('read the routes');
    return this.#p.log.routes();
  }

  /** Follows committed events whose topic matches `pattern` (no delivery guarantee; for observers). */
  observe(pattern: string, handler: (envelope: Envelope) => void): () => void {
    this.#assertRunning('observe events');
    return this.#p.transport.observe(pattern, handler);
  }

  /** Per consumer run here: offset, lag, actors, host state, restarts. */
  async status(): Promise<SystemStatus> {
    this.#assertRunning('read the status');
    if (this.#p.runner) return this.#p.runner.status();
    const { head } = await this.#p.log.routes();
    return { supervisor: 'running', head, consumers: [] };
  }

  /**
   * Resolves when every event in the log has been applied and checkpointed by every consumer
   * run here, including events emitted along the way. Rejects if a consumer is down for good.
   */
  async settled(): Promise<void> {
    this.#assertRunning('wait for the system to settle');
    await this.#p.runner?.settled(() => this.#stopped);
  }

  /**
   * Dead letters: events (or fired timers) that could not be applied, with their errors. All of
   * them, or one component's; `status` narrows to `parked`, `blocking`, `retried` or `skipped`.
   */
  deadLetters(component?: string, status?: DeadLetterStatus): DeadLetter[] {
    return this.#runner('list dead letters').deadLetters(component, status);
  }

  /**
   * Applies a parked dead letter again against its actor's current state (or releases the one a
   * blocked consumer waits on). The outcome is recorded on the letter: `retried`, or still
   * `parked` with one more attempt and the new error.
   */
  retryDeadLetter(id: number): void {
    this.#runner('retry a dead letter').retryDeadLetter(id);
  }

  /** Marks a dead letter skipped; a consumer blocked on it goes on past it. */
  skipDeadLetter(id: number): void {
    this.#runner('skip a dead letter').skipDeadLetter(id);
  }

  /** Stops a consumer after its current batch (it commits, then waits); survives restarts. */
  pause(component: string): void {
    this.#runner(`pause ${component}`).pause(component);
  }

  resume(component: string): void {
    this.#runner(`resume ${component}`).resume(component);
  }

  /**
   * Resets a consumer (its snapshots, and its offset to `from - 1`) and rebuilds it from the
   * log. What it emits again has the ids it had the first time, so the log gains nothing twice.
   */
  async replay(component: string, options: { from?: number } = {}): Promise<void> {
    return this.#runner(`replay ${component}`).replay(component, options.from ?? 1);
  }

  /** Commits what every host has applied, stops the hosts and the supervisor, closes the files. */
  stop(): Promise<void> {
    this.#stopping ??= this.#finish(async () => {
      this.#p.node?.log.flush();
      this.#stopped = true;
      await this.#p.runner?.stop();
      // A halt that came while the hosts were stopping has closed everything already.
      if (this.#halting) return;
      await this.#p.node?.close();
    });
    return this.#stopping;
  }

  /**
   * Stops at once, as a crash would: nothing applied since the last checkpoints is committed,
   * queued publishes are refused, and leases are left to expire. For fault tests and drills;
   * a new system on the same file recovers exactly as after a real crash.
   */
  halt(): Promise<void> {
    // A stop still under way (waiting on a host) does not hold a halt back: halting is what ends it.
    this.#halting ??= this.#finish(async () => {
      this.#stopped = true;
      this.#p.runner?.halt();
      await this.#p.node?.halt();
    });
    this.#stopping ??= this.#halting;
    return this.#halting;
  }

  async #finish(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } finally {
      if (!this.#closed) {
        this.#closed = true;
        for (const close of this.#p.closers) close();
        clearInterval(this.#keepAlive);
        await this.#p.transport.close();
        for (const db of this.#p.databases) db.close();
        if (this.#p.connection?.owned) await this.#p.connection.nc.close().catch(() => {});
        this.#markStopped();
      }
    }
  }

  #assertRunning(action: string): void {
    if (this.#stopped) throw new SystemStoppedError(action);
  }

  #runner(action: string): ComponentRunner {
    this.#assertRunning(action);
    const runner = this.#p.runner;
    if (!runner) throw new UnknownComponentError(action, []);
    return runner;
  }
}

/**
 * Opens (or creates) a system on a SQLite file and starts every component's host. Resolves once
 * every consumer is live: restored, caught up with the log, and receiving new events.
 *
 * Without `nats` everything runs in this process with no server (the embedded deployment).
 * With `nats`, this process runs the supervisor and the hosts, and they talk over NATS as
 * separate processes would.
 *
 * @example
 * const system = await createSystem({ db: './shop.db', components: [orders, payments] });
 * await system.publish('orders.placed', { type: 'order.placed', orderId: 'o-1' }, { key: 'o-1' });
 * await system.settled();
 * console.log(await system.query('orders', 'o-1'));
 * await system.stop();
 */
export async function createSystem(options: SystemOptions): Promise<System> {
  const resolved = resolveOptions(options);
  if (options.nats) return assemble('all', resolved, options);
  return assemble('embedded', resolved, options);
}

/**
 * Starts the supervisor of a distributed system: the log in `db`, the router, and the
 * request/reply service on NATS. It runs no components.
 *
 * @example
 * const supervisor = await startSupervisor({ db: './sss.db', nats: { servers: 'nats://127.0.0.1:4222' }, components: [] });
 */
export async function startSupervisor(options: Omit<SystemOptions, 'components'> & { components?: SystemOptions['components'] }): Promise<System> {
  const resolved = resolveOptions({ ...options, components: [] });
  if (!options.nats) throw new InvalidOptionError('nats', options.nats, 'a supervisor serves workers over NATS: give { servers } or { connection }');
  return assemble('supervisor', resolved, { ...options, components: [] });
}

/**
 * Starts a worker of a distributed system: hosts for `components`, with their CSS and outbox in
 * `db`, reaching the supervisor over NATS. A consumer another worker owns waits as a standby.
 *
 * @example
 * const worker = await startWorker({ db: './worker-1.db', nats: { servers: url }, components: [orders] });
 */
export async function startWorker(options: SystemOptions): Promise<System> {
  const resolved = resolveOptions(options);
  if (!options.nats) throw new InvalidOptionError('nats', options.nats, 'a worker reaches its supervisor over NATS: give { servers } or { connection }');
  return assemble('worker', resolved, options);
}

/**
 * Opens the log node. A supervisor restarted after a crash finds its predecessor's lease
 * unexpired: it waits for it (saying so once) instead of failing; other roles refuse at once.
 */
async function openLogNode(role: SystemRole, o: ResolvedOptions, options: ConstructorParameters<typeof LogNode>[0]): Promise<LogNode> {
  for (let said = false; ; said = true) {
    try {
      return new LogNode(options);
    } catch (error) {
      if (role !== 'supervisor' || !(error instanceof LeaseHeldError)) throw error;
      const wait = Math.max(50, error.expiresAt - o.clock.now() + 50);
      if (!said) o.logger.warn(`the log is leased to ${error.owner}; waiting ${wait} ms for that lease to expire`);
      await new Promise<void>((resolve) => o.clock.setTimeout(resolve, wait));
    }
  }
}

async function assemble(role: SystemRole, o: ResolvedOptions, raw: SystemOptions): Promise<System> {
  const databases: SqliteDatabase[] = [];
  let connection: { nc: NatsConnection; owned: boolean } | undefined;
  let node: LogNode | undefined;
  let runner: ComponentRunner | undefined;
  let transport: Transport | undefined;
  let system: System | undefined;
  try {
    if (raw.nats) {
      const nc = raw.nats.connection ?? (await connectNats(raw.nats.servers ?? 'nats://127.0.0.1:4222'));
      connection = { nc, owned: !raw.nats.connection };
    }
    const namespace = raw.nats?.namespace;
    const connectionState = connection ? new ConnectionTracker(o.clock) : undefined;
    transport =
      raw.transport ??
      (connection
        ? new NatsTransport({
            connection: connection.nc,
            logger: o.logger,
            ...(namespace === undefined ? {} : { namespace }),
            onConnectionEvent: (event) => {
              // Logged once per outage, however many attempts reconnecting takes.
              if (connectionState?.see(event)) {
                if (event.type === 'disconnect') o.logger.warn('NATS disconnected; reconnecting', { server: event.server });
                if (event.type === 'reconnect') o.logger.warn('NATS reconnected', { server: event.server });
              }
              if (event.type === 'reconnect') runner?.resyncAll();
            },
          })
        : new MemoryTransport({ onObserverError: (error, envelope) => o.logger.error('an observer failed', { seq: envelope.seq, error }) }));
    const db = openDatabase(o.db, o.durability, { busyTimeoutMs: o.busyTimeoutMs });
    databases.push(db);
    if (role !== 'worker') {
      node = await openLogNode(role, o, {
        db,
        clock: o.clock,
        logger: o.logger,
        owner: o.owner,
        leaseTtlMs: o.leaseTtlMs,
        maxPayloadBytes: o.maxPayloadBytes,
        transport,
        ...(connection ? { nats: { connection: connection.nc, ...(namespace === undefined ? {} : { namespace }) } } : {}),
        onLostLease: () => void system?.stop(),
      });
      await node.start();
    }
    const log: LogAccess =
      role === 'embedded' || !connection
        ? (node as LogNode).access
        : new NatsLogAccess({
            connection: connection.nc,
            // A heartbeat that waits longer than a third of the lease cannot renew it in time.
            timeoutMs: Math.max(100, Math.min(raw.nats?.requestTimeoutMs ?? 5000, Math.floor(o.leaseTtlMs / 3))),
            ...(namespace === undefined ? {} : { namespace }),
            onIncarnationChange: () => runner?.reregisterAll(),
          });
    if (role !== 'supervisor') {
      const embedded = role === 'embedded';
      const outbox = embedded ? undefined : new Outbox(db);
      const store = new ConsumerStore(db, embedded ? (node as LogNode).log : (outbox as Outbox), o.clock);
      const leases = node?.leases;
      runner = new ComponentRunner({
        options: o,
        store,
        log,
        transport,
        commands: new CommandQueue(db, o.clock),
        ...(outbox ? { outbox } : {}),
        // Embedded, the lease table is in the same file: the checkpoint checks it in its own transaction.
        fence: (lease) => (embedded && leases ? () => leases.assertCurrent(lease) : undefined),
        ...(embedded && node ? { flushLog: () => node?.log.flush() } : {}),
      });
    }
    const closers: (() => void)[] = [];
    system = new System({
      role,
      options: o,
      log,
      transport,
      databases,
      closers,
      ...(node ? { node } : {}),
      ...(runner ? { runner } : {}),
      ...(connection ? { connection } : {}),
    });
    // A producer (a worker with no components) runs no hosts and has nothing to report.
    if (runner && connection && connectionState && o.components.length > 0) {
      const running = system;
      const stopServing = serveWorkerStatus({
        connection: connection.nc,
        ...(namespace === undefined ? {} : { namespace }),
        owner: o.owner,
        tracker: connectionState,
        consumers: async () => (await running.status()).consumers,
        logger: o.logger,
      });
      closers.push(stopServing);
    }
    await runner?.start();
    return system;
  } catch (error) {
    if (system) {
      await system.stop().catch(() => {});
    } else {
      await node?.close().catch(() => {});
      await transport?.close().catch(() => {});
      for (const db of databases) db.close();
      if (connection?.owned) await connection.nc.close().catch(() => {});
    }
    throw error instanceof RecqError || error instanceof Error ? error : new RecqError('START_FAILED', String(error));
  }
}
