import { type Actor, createActor } from 'xstate';
import type { HostWork } from '../../actors/host.work.ts';
import { type HostRecord, type RunnerActor, type RunnerInput, type RunnerReport, type RunnerState, runnerMachine } from '../../actors/runner.machine.ts';
import { type Awaited, type WaitForOptions, waitForActor } from '../actor/actor-wait.ts';
import type { Clock } from '../clock.ts';
import type { Component } from '../component/component.ts';
import type { CommandQueue, ConsumerCommand, ConsumerCommandName } from '../css/commands.ts';
import type { DeadLetter, DeadLetterStatus } from '../css/consumer-store.ts';
import { InvalidCommandError, InvalidOptionError, NotStartedError, RecqError, StartFailedError, UnknownComponentError } from '../errors.ts';
import type { ActorView, ComponentHost } from '../host/component-host.ts';
import { runQueuedCommands } from '../host/queued-commands.ts';
import { FailedHostRevival } from './failed-host-revival.ts';
import { buildHost } from './runner-host.ts';
import type { RunnerOptions } from './runner-options.ts';
import { settle } from './settle.ts';
import { type ConsumerView, createSystemView, type SystemView } from './system-view.ts';
import { WaitingLetters } from './waiting-letters.ts';

export type { RunnerOptions } from './runner-options.ts';

/** A consumer's progress, as `status()` reports it. */
export interface ConsumerStatus extends ConsumerView {
  component: string;
  keyed: boolean;
  storedActors: number;
}

export interface RunnerStatus {
  runner: RunnerState;
  head: number;
  consumers: ConsumerStatus[];
}

/**
 * Runs a set of components: one host per consumer under the runner machine, which restarts
 * failed hosts with backoff. Embedded, the supervisor machine runs that machine as its child
 * (with `input`); in a worker it runs on its own (`start`). It is the same in every deployment;
 * only the log access, the transport and where emitted events go differ.
 */
export class ComponentRunner {
  readonly view: SystemView = createSystemView();
  readonly #o: RunnerOptions;
  readonly #components: Map<string, Component>;
  readonly #hosts = new Map<string, ComponentHost>();
  readonly #startErrors = new Map<string, unknown>();
  readonly #input: RunnerInput;
  /** The queue, read by this process: each read tells the CLI that a system takes the consumer's commands. */
  readonly #commands: CommandQueue | undefined;
  readonly #waiting: WaitingLetters;
  #revival: FailedHostRevival | undefined;
  #actor: RunnerActor | undefined;
  /** The runner actor, where this process runs it on its own (a worker). */
  #own: Actor<typeof runnerMachine> | undefined;
  #waiters: (() => void)[] = [];
  readonly #progressListeners = new Set<() => void>();
  readonly #stateListeners = new Set<(state: RunnerState) => void>();
  #lastState: RunnerState | undefined;
  #head = 0;

  constructor(options: RunnerOptions) {
    this.#o = options;
    const o = options.options;
    this.#components = new Map(o.components.map((c) => [c.name, c]));
    this.#commands = options.commands?.readBy({ owner: o.owner, ttlMs: o.leaseTtlMs });
    this.#waiting = new WaitingLetters(options.store);
    this.#input = {
      consumers: o.components.map((c) => c.name),
      policy: o.restart,
      now: () => o.clock.now(),
      random: o.random,
      report: (report) => this.#onReport(report),
      createWork: (consumer) => this.#createHost(consumer),
      attached: (actor) => this.#follow(actor),
    };
  }

  /** The runner machine's input, for the supervisor that runs it as its child. */
  get input(): RunnerInput {
    return this.#input;
  }

  /** Follows the runner actor made from `input`, as it is created (by the supervisor, or by `start`). */
  #follow(actor: RunnerActor): void {
    this.#actor = actor;
    actor.subscribe({
      next: (snapshot) => {
        const state = snapshot.value as RunnerState;
        if (state !== this.#lastState) {
          this.#lastState = state;
          for (const listener of this.#stateListeners) listener(state);
        }
        this.view.trigger.runner({ state });
        if (snapshot.value === 'stopping' || snapshot.value === 'stopped') this.#revival?.stop();
      },
      error: () => {},
    });
    const o = this.#o.options;
    if (this.#commands && this.#components.size > 0) {
      this.#revival = new FailedHostRevival({
        commands: this.#commands,
        clock: o.clock,
        logger: o.logger,
        everyMs: Math.max(1, Math.floor(o.leaseTtlMs / 3)),
        hosts: () => (actor.getSnapshot().status === 'active' ? this.#records() : undefined),
        revive: (consumer) => actor.send({ type: 'revive', consumer }),
      }).start();
    }
  }

  /** Calls `listener` with each new state of the runner. */
  onState(listener: (state: RunnerState) => void): void {
    this.#stateListeners.add(listener);
  }

  /** The runner's state; `starting` until it runs. */
  get state(): RunnerState {
    return (this.#actor?.getSnapshot().value as RunnerState | undefined) ?? 'starting';
  }

  get components(): readonly string[] {
    return [...this.#components.keys()];
  }

  /** Runs the runner machine on its own (a worker), then waits as `started` does. */
  async start(clock: Clock): Promise<void> {
    this.#own = createActor(runnerMachine, { clock, input: this.#input });
    this.#own.start();
    await this.started();
  }

  /**
   * Resolves once every host is live (or standing by). Rejects with the first host's error
   * if one failed to start; the caller stops the system.
   */
  async started(): Promise<void> {
    const actor = this.#actor;
    if (!actor) throw new NotStartedError('the runner');
    await new Promise<void>((resolve) => {
      const check = () => {
        if (actor.getSnapshot().value !== 'starting') {
          subscription.unsubscribe();
          resolve();
        }
      };
      const subscription = actor.subscribe({ next: check, error: () => resolve() });
      check();
    });
    if (this.#startErrors.size > 0) {
      const [consumer, error] = [...this.#startErrors][0] as [string, unknown];
      if (error instanceof RecqError) throw error;
      throw new StartFailedError(`consumer ${consumer}`, error);
    }
  }

  query(component: string, key?: string): ActorView {
    if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
      throw new InvalidOptionError('key', key, 'a query key must be a non-empty string, or undefined for a singleton');
    }
    const definition = this.definition(component);
    const host = this.#hosts.get(component);
    if (!host) throw new NotStartedError(`component ${component}`);
    return host.query(definition.keyed ? key : undefined);
  }

  /** Resolves with the actor's view once it reaches `awaited`; see `waitForActor`. */
  waitFor(component: string, key: string | undefined, awaited: Awaited, options?: WaitForOptions): Promise<ActorView> {
    const definition = this.definition(component);
    const actorKey = definition.keyed ? key : undefined;
    return waitForActor(
      {
        view: () => this.query(component, actorKey),
        onProgress: (listener) => {
          this.#progressListeners.add(listener);
          return () => this.#progressListeners.delete(listener);
        },
      },
      component,
      actorKey,
      awaited,
      options,
    );
  }

  async status(): Promise<RunnerStatus> {
    const { head, routes } = await this.#o.log.routes();
    this.#head = head;
    const hosts = this.#records();
    return {
      runner: this.state,
      head,
      consumers: [...this.#components.values()].map((component) => ({
        ...this.#consumerView(component.name, routes[component.name], true),
        component: component.name,
        keyed: component.keyed,
        storedActors: this.#o.store.countSnapshots(component.name),
        restarts: hosts[component.name]?.failures.length ?? 0,
      })),
    };
  }

  /**
   * Resolves when every event routed to these consumers has been applied and checkpointed,
   * and what they emitted has reached the log. Rejects if a consumer is down, blocked or paused.
   */
  async settled(isStopped: () => boolean): Promise<void> {
    await settle({
      isStopped,
      ...(this.#o.flushLog ? { flushLog: this.#o.flushLog } : {}),
      log: this.#o.log,
      records: () => this.#records(),
      hosts: this.#hosts,
      progress: () =>
        new Promise<void>((resolve) => {
          // A backstop for waits no host reports (a restart's backoff, a relay's retry).
          const backstop = setTimeout(resolve, 50);
          backstop.unref();
          this.#waiters.push(() => {
            clearTimeout(backstop);
            resolve();
          });
        }),
    });
  }

  definition(component: string): Component {
    const definition = this.#components.get(component);
    if (!definition) throw new UnknownComponentError(component, [...this.#components.keys()]);
    return definition;
  }

  deadLetters(component?: string, status?: DeadLetterStatus): DeadLetter[] {
    if (component !== undefined) this.definition(component);
    return this.#o.store.deadLetters(component, status);
  }

  retryDeadLetter(id: number): void {
    const letter = this.#letter('retry a dead letter', id);
    this.#runningHost(letter.consumer).commands.retryDeadLetter(letter);
  }

  skipDeadLetter(id: number): void {
    const letter = this.#letter('skip a dead letter', id);
    this.#runningHost(letter.consumer).commands.skipDeadLetter(letter);
  }

  pause(component: string): void {
    this.definition(component);
    this.#runningHost(component).commands.pause();
  }

  resume(component: string): void {
    this.definition(component);
    this.#runningHost(component).commands.resume();
  }

  async replay(component: string, from: number): Promise<void> {
    this.definition(component);
    return this.#runningHost(component).commands.requestReplay(from);
  }

  /**
   * Queues an operator command for `consumer` here and runs it now, through the same path as
   * commands queued in the file (asked over NATS, by the CLI); returns the command as it ended,
   * or still queued (a retry waiting for its blocking letter, a replay for a failed host's restart).
   */
  command(consumer: string, name: ConsumerCommandName, arg: number | undefined): ConsumerCommand {
    this.definition(consumer);
    const commands = this.#commands;
    if (!commands) throw new NotStartedError(`the command queue of ${consumer}`);
    const queued = commands.enqueue(consumer, name, arg);
    const host = this.#hosts.get(consumer);
    const status = this.#records()[consumer]?.status;
    if (host && status === 'live') runQueuedCommands(host, commands, this.#o.store, this.#o.options.logger);
    else if (status === 'failed' && name === 'replay') this.#actor?.send({ type: 'revive', consumer });
    return commands.get(queued.id) ?? queued;
  }

  /** The supervisor restarted and lost its routes: every host registers again. */
  reregisterAll(): void {
    for (const host of this.#hosts.values()) {
      host
        .reregister()
        .catch((error: unknown) =>
          this.#o.options.logger.warn(`consumer ${host.consumer} could not register again; its heartbeat will retry`, { consumer: host.consumer, error }),
        );
    }
  }

  /** Tells every host the transport may have lost deliveries (a reconnect): look for gaps now. */
  resyncAll(): void {
    this.#o.log.routes().then(
      ({ routes }) => {
        for (const [consumer, lastRouted] of Object.entries(routes)) this.#hosts.get(consumer)?.sync(lastRouted);
      },
      () => {},
    );
  }

  /**
   * Commits what every host applied and stops them. Only for a runner that runs on its own;
   * the supervisor stops the runner it runs.
   */
  async stop(): Promise<void> {
    const actor = this.#own;
    if (actor?.getSnapshot().status !== 'active') return;
    actor.send({ type: 'stop' });
    await new Promise<void>((resolve) => {
      const check = () => {
        const snapshot = actor.getSnapshot();
        // A halt stops the actor wherever it is.
        if (snapshot.value === 'stopped' || snapshot.status !== 'active') {
          subscription.unsubscribe();
          resolve();
        }
      };
      const subscription = actor.subscribe({ next: check, complete: check, error: () => resolve() });
      check();
    });
    actor.stop();
  }

  /** Drops everything at once, committing nothing. */
  halt(): void {
    this.#revival?.stop();
    for (const host of this.#hosts.values()) host.halt();
    this.#own?.stop();
  }

  #records(): Record<string, HostRecord> {
    return this.#actor?.getSnapshot().context.hosts ?? {};
  }

  #createHost(consumer: string): HostWork<DeadLetter> {
    if (this.#hosts.has(consumer)) this.#o.options.probe.consumer(consumer).restarted();
    const previous = this.#hosts.get(consumer)?.lastLease;
    const host = buildHost(this.#o, this.#components.get(consumer) as Component, this.#commands, () => this.#progress(consumer), previous);
    this.#hosts.set(consumer, host);
    return host;
  }

  #runningHost(consumer: string): ComponentHost {
    const host = this.#hosts.get(consumer);
    const status = this.#records()[consumer]?.status;
    if (!host || status !== 'live') throw new InvalidCommandError(`control consumer ${consumer}`, `its host is ${status ?? 'not started'}, not live`);
    return host;
  }

  #letter(command: string, id: number): DeadLetter {
    if (!Number.isInteger(id) || id < 1) throw new InvalidCommandError(command, `a dead letter id is a positive integer, got ${String(id)}`);
    const letter = this.#o.store.deadLetter(id);
    if (!letter) throw new InvalidCommandError(command, `there is no dead letter ${id}`);
    return letter;
  }

  #progress(consumer: string): void {
    if (this.#hosts.has(consumer)) this.view.trigger.consumer({ head: this.#head, view: this.#consumerView(consumer, undefined) });
    for (const listener of this.#progressListeners) listener();
    const waiters = this.#waiters;
    if (waiters.length > 0) {
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #consumerView(consumer: string, lastRouted: number | undefined, fresh = false): ConsumerView {
    const host = this.#hosts.get(consumer);
    const record = this.#records()[consumer];
    return {
      consumer,
      hostState: host?.state ?? 'restoring',
      offset: host?.offset ?? 0,
      committedOffset: host?.committedOffset ?? 0,
      lag: lastRouted === undefined || !host ? 0 : Math.max(0, lastRouted - host.offset),
      activeActors: host?.activeActors ?? 0,
      deadLetters: this.#waiting.count(consumer, host?.committedOffset ?? 0, fresh),
      restarts: record?.failures.length ?? 0,
      lastError: record?.lastError,
    };
  }

  #onReport(report: RunnerReport): void {
    this.#o.options.logger[report.level](report.message, report.consumer === undefined ? {} : { consumer: report.consumer });
    if (report.error !== undefined && report.consumer !== undefined && this.state === 'starting') {
      if (!this.#startErrors.has(report.consumer)) this.#startErrors.set(report.consumer, report.error);
    }
  }
}
