import type { Actor, AnyActorLogic } from 'xstate';
import type { SupervisorState, supervisorMachine } from '../../actors/supervisor.machine.ts';
import type { Awaited, WaitForOptions } from '../actor/actor-wait.ts';
import type { Component } from '../component/component.ts';
import type { DeadLetter, DeadLetterStatus } from '../css/consumer-store.ts';
import type { AppendInput, AppendResult, Envelope, EventObject } from '../envelope.ts';
import { InvalidOptionError, SystemStoppedError, UnknownComponentError } from '../errors.ts';
import type { ActorView } from '../host/component-host.ts';
import type { MetricsService, SystemMetrics } from '../metrics/system-metrics.ts';
import type { ComponentRunner } from '../runner/runner.ts';
import { createSystemView, type SystemView } from '../runner/system-view.ts';
import type { ReadQuery } from '../sss/event-log.ts';
import type { RouteState } from '../sss/log-access.ts';
import { publishTraced } from '../tracing/publish-span.ts';
import { ComponentHandle } from './component-handle.ts';
import type { Deployment, SystemRole } from './deployments/deployment.ts';
import { distributedDeployment } from './deployments/distributed.ts';
import { embeddedDeployment } from './deployments/embedded.ts';
import { buildMachines, haltMachines, type Machines, startMachines, stopMachines, supervisorState } from './deployments/launch.ts';
import { metricsSourceOf } from './metrics-source.ts';
import { type PublishOptions, type ResolvedOptions, resolveOptions, type SystemOptions } from './system-options.ts';
import type { SystemStatus } from './system-status.ts';

export type { Awaited, WaitForOptions } from '../actor/actor-wait.ts';
export type { SystemMetrics } from '../metrics/system-metrics.ts';
export type { ConsumerStatus } from '../runner/runner.ts';
export type { SystemRole } from './deployments/deployment.ts';
export type { NatsOptions, PublishOptions, SystemOptions } from './system-options.ts';
export type { SystemStatus } from './system-status.ts';

/**
 * A running recq system, or the part of one that runs in this process: the supervisor with
 * its log and router, the hosts of some components, or both.
 */
export class System {
  readonly role: SystemRole;
  readonly #deployment: Deployment;
  readonly #supervisor: Actor<typeof supervisorMachine> | undefined;
  readonly #runner: ComponentRunner | undefined;
  readonly #view: SystemView;
  readonly #metrics: MetricsService | undefined;
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
  private constructor(deployment: Deployment, machines: Machines, metrics: MetricsService | undefined) {
    this.#deployment = deployment;
    this.#metrics = metrics;
    this.role = deployment.role;
    this.#supervisor = machines.supervisor;
    this.#runner = machines.runner;
    this.#view = machines.runner?.view ?? createSystemView();
    this.#keepAlive = setInterval(() => {}, 1 << 30);
  }

  /** Starts a system on a deployment; resolves once every consumer is live. @internal */
  static async start(deployment: Deployment, resolved: ResolvedOptions): Promise<System> {
    let system: System | undefined;
    try {
      // Built before the machines, so their hosts report to its probe from the first event.
      // prom-client loads only for a system that serves metrics.
      const metrics = resolved.metrics
        ? new (await import('../metrics/system-metrics.ts')).MetricsService(resolved.metrics, resolved.components, deployment.node !== undefined)
        : undefined;
      const o = metrics ? { ...resolved, probe: metrics.recorder } : resolved;
      const machines = buildMachines(deployment, o);
      system = new System(deployment, machines, metrics);
      if (metrics) deployment.node?.log.onCommit((envelopes) => o.probe.appended(envelopes.length));
      const running = system;
      const { runner } = machines;
      deployment.attach(
        { resync: () => runner?.resyncAll(), reregister: () => runner?.reregisterAll() },
        runner && {
          consumers: async () => (await running.status()).consumers,
          control: {
            query: (component, key) => runner.query(component, key),
            command: (consumer, command, arg) => runner.command(consumer, command, arg),
            deadLetters: (consumer) => runner.deadLetters(consumer),
          },
        },
      );
      await startMachines(machines, deployment, o, (state) => running.#supervisorMoved(state));
      await metrics?.start(metricsSourceOf(running, deployment, o));
      return system;
    } catch (error) {
      if (system) await system.stop().catch(() => {});
      else await deployment.close().catch(() => {});
      throw error;
    }
  }

  /** The live view (`@xstate/store`) of the consumers this process runs. */
  get view(): SystemView {
    return this.#view;
  }

  /**
   * The system's Prometheus metrics, with `metrics` in its options: their registry, and the
   * URL of `GET /metrics` (the bound port, also when 0 was asked for).
   *
   * @example
   * const system = await createSystem({ components, metrics: { port: 0 } });
   * const text = await (await fetch(system.metrics!.url!)).text();
   */
  get metrics(): SystemMetrics | undefined {
    return this.#metrics;
  }

  /** The components whose hosts run in this process. */
  get components(): readonly string[] {
    return this.#runner?.components ?? [];
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

  /**
   * Publishes several events atomically (all validated first, committed together). Each event
   * is published in a `publish <topic>` span (a child of the active span) whose trace context
   * is stored with it.
   */
  publishMany<TEvent extends EventObject>(inputs: readonly AppendInput<TEvent>[]): Promise<AppendResult[]> {
    if (this.#stopped) return Promise.reject(new SystemStoppedError('publish'));
    return publishTraced(inputs, (traced) => this.#deployment.apiLog.append(traced));
  }

  /**
   * The current snapshot (value, context, status) of a component's actor.
   *
   * @example
   * const order = await system.query('order', 'o-1');
   * order.value; // 'awaitingPayment'
   */
  async query(component: string, key?: string): Promise<ActorView> {
    return this.#runnerOrRefuse('query').query(component, key);
  }

  /**
   * Resolves with an actor's view once it reaches `awaited`: a state value, matched as XState's
   * `matches` does (`'paid'`, `'checkout.paying'`, `{ checkout: 'paying' }`), or a predicate on
   * the view. An actor that does not exist yet is waited for. Rejects with a `WaitTimeoutError`,
   * naming what it waited for and where the actor is, after `timeoutMs` (real time; 30 s).
   *
   * `settled()` returns once every event is applied, while invoked children (promises,
   * callbacks) may still run: to wait for what such a child leads to, use `waitFor`.
   *
   * @example
   * await system.publish('orders.placed', { type: 'order.placed' }, { key: 'o-1' });
   * const order = await system.waitFor('order', 'o-1', 'paid', { timeoutMs: 5000 });
   * const big = await system.waitFor('totals', undefined, (view) => (view.context as { sum: number }).sum > 100);
   */
  waitFor(component: string, key: string | undefined, awaited: Awaited, options?: WaitForOptions): Promise<ActorView> {
    try {
      return this.#runnerOrRefuse(`wait for ${component}`).waitFor(component, key, awaited, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The system seen through one component's types: `publish` takes only the events its logic
   * accepts, `query` returns its context and state value types.
   *
   * @example
   * const { context } = await system.component(accounts).query('alice');
   */
  component<TLogic extends AnyActorLogic>(definition: Component<TLogic>): ComponentHandle<TLogic> {
    return new ComponentHandle(this, definition);
  }

  /** Reads committed events from the log, in seq order. */
  async events(query: ReadQuery = {}): Promise<Envelope[]> {
    this.#assertRunning('read events');
    return this.#deployment.apiLog.read(query);
  }

  /** The seq of the last committed event. */
  async head(): Promise<number> {
    this.#assertRunning('read the head');
    return this.#deployment.apiLog.head();
  }

  /** The log head, each consumer's last routed seq, and the leases (from the supervisor). */
  async routes(): Promise<RouteState> {
    this.#assertRunning('read the routes');
    return this.#deployment.apiLog.routes();
  }

  /** Follows committed events whose topic matches `pattern` (no delivery guarantee; for observers). */
  observe(pattern: string, handler: (envelope: Envelope) => void): () => void {
    this.#assertRunning('observe events');
    return this.#deployment.transport.observe(pattern, handler);
  }

  /** The supervisor's and runner's states, and per consumer run here: offset, lag, actors, host state, restarts. */
  async status(): Promise<SystemStatus> {
    this.#assertRunning('read the status');
    const supervisor = this.#supervisor ? supervisorState(this.#supervisor) : undefined;
    if (this.#runner) {
      const { head, consumers } = await this.#runner.status();
      return { supervisor, runner: this.#runner.state, head, consumers };
    }
    const { head } = await this.#deployment.apiLog.routes();
    return { supervisor, runner: undefined, head, consumers: [] };
  }

  /**
   * Resolves when every event in the log has been applied and checkpointed by every consumer
   * run here, including events emitted along the way. Rejects if a consumer is down for good.
   * Invoked children (promises, callbacks) may still run when it resolves: `waitFor` waits for
   * the state they lead to.
   */
  async settled(): Promise<void> {
    this.#assertRunning('wait for the system to settle');
    await this.#runner?.settled(() => this.#stopped);
  }

  /**
   * Dead letters: events (or fired timers) that could not be applied, with their errors. All of
   * them, or one component's; `status` narrows to `parked`, `blocking`, `retried` or `skipped`.
   */
  deadLetters(component?: string, status?: DeadLetterStatus): DeadLetter[] {
    return this.#runnerOrRefuse('list dead letters').deadLetters(component, status);
  }

  /**
   * Applies a parked dead letter again against its actor's current state (or releases the one a
   * blocked consumer waits on). The outcome is recorded on the letter: `retried`, or still
   * `parked` with one more attempt and the new error.
   */
  retryDeadLetter(id: number): void {
    this.#runnerOrRefuse('retry a dead letter').retryDeadLetter(id);
  }

  /** Marks a dead letter skipped; a consumer blocked on it goes on past it. */
  skipDeadLetter(id: number): void {
    this.#runnerOrRefuse('skip a dead letter').skipDeadLetter(id);
  }

  /** Stops a consumer after its current batch (it commits, then waits); survives restarts. */
  pause(component: string): void {
    this.#runnerOrRefuse(`pause ${component}`).pause(component);
  }

  resume(component: string): void {
    this.#runnerOrRefuse(`resume ${component}`).resume(component);
  }

  /**
   * Resets a consumer (its snapshots, and its offset to `from - 1`) and rebuilds it from the
   * log. What it emits again has the ids it had the first time, so the log gains nothing twice.
   */
  async replay(component: string, options: { from?: number } = {}): Promise<void> {
    return this.#runnerOrRefuse(`replay ${component}`).replay(component, options.from ?? 1);
  }

  /** Commits what every host has applied, stops the hosts and the supervisor, closes the files. */
  stop(): Promise<void> {
    this.#stopping ??= this.#finish(async () => {
      this.#stopped = true;
      await stopMachines({ supervisor: this.#supervisor, runner: this.#runner });
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
      await haltMachines({ supervisor: this.#supervisor, runner: this.#runner }, this.#deployment);
    });
    this.#stopping ??= this.#halting;
    return this.#halting;
  }

  /**
   * Answers queries and operator commands for the consumers run here on this process's control
   * subject, on a connection of its own, so `recq query|pause|... --nats` reach the worker
   * that holds a consumer's lease.
   */

  async #finish(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } finally {
      if (!this.#closed) {
        this.#closed = true;
        clearInterval(this.#keepAlive);
        await this.#metrics?.close().catch(() => {});
        await this.#deployment.close().catch(() => {});
        this.#markStopped();
      }
    }
  }

  #assertRunning(action: string): void {
    if (this.#stopped) throw new SystemStoppedError(action);
  }

  /** The supervisor stopped without being asked (it lost its lease on the log): so does the system. */
  #supervisorMoved(state: SupervisorState): void {
    this.#view.trigger.supervisor({ state });
    if ((state === 'stopped' || state === 'failed') && !this.#stopped && this.#supervisor?.getSnapshot().status === 'active') void this.stop();
  }

  #runnerOrRefuse(action: string): ComponentRunner {
    this.#assertRunning(action);
    const runner = this.#runner;
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
  const o = resolveOptions(options);
  if (options.nats) return System.start(await distributedDeployment('all', o, options.nats, options.transport), o);
  return System.start(embeddedDeployment(o, options.transport), o);
}

/**
 * Starts the supervisor of a distributed system: the log in `db`, the router, and the
 * request/reply service on NATS. It runs no components.
 *
 * @example
 * const supervisor = await startSupervisor({ db: './sss.db', nats: { servers: 'nats://127.0.0.1:4222' }, components: [] });
 */
export async function startSupervisor(options: Omit<SystemOptions, 'components'> & { components?: SystemOptions['components'] }): Promise<System> {
  const o = resolveOptions({ ...options, components: [] });
  if (!options.nats) throw new InvalidOptionError('nats', options.nats, 'a supervisor serves workers over NATS: give { servers } or { connection }');
  return System.start(await distributedDeployment('supervisor', o, options.nats, options.transport), o);
}

/**
 * Starts a worker of a distributed system: hosts for `components`, with their CSS and outbox in
 * `db`, reaching the supervisor over NATS. A consumer another worker owns waits as a standby.
 *
 * @example
 * const worker = await startWorker({ db: './worker-1.db', nats: { servers: url }, components: [orders] });
 */
export async function startWorker(options: SystemOptions): Promise<System> {
  const o = resolveOptions(options);
  if (!options.nats) throw new InvalidOptionError('nats', options.nats, 'a worker reaches its supervisor over NATS: give { servers } or { connection }');
  return System.start(await distributedDeployment('worker', o, options.nats, options.transport), o);
}
