import type { BatchOutcome, HostLink, HostState, HostView, HostWork, Registered } from '../../actors/host.work.ts';
import type { ActorCell, CellOwner } from '../actor/actor-cell.ts';
import type { ActorTable } from '../actor/actor-table.ts';
import { type ActorView, queryActor } from '../actor/actor-view.ts';
import type { InputDraft } from '../actor/input-records.ts';
import type { Component } from '../component/component.ts';
import type { DeadLetter } from '../css/consumer-store.ts';
import { HaltedError, LeaseExpiredError, NotRegisteredError, StaleEpochError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import { eventFields } from '../logging/event-fields.ts';
import type { LogFields } from '../logging/logger.ts';
import type { Delivery } from '../transport/transport.ts';
import type { Checkpoint } from './checkpoint.ts';
import type { ConsumerLease } from './consumer-lease.ts';
import { openConsumerRecord, sayRestored } from './consumer-record.ts';
import type { DeadLetterBook } from './dead-letter-book.ts';
import type { EventApplier } from './event-applier.ts';
import type { FailureTracker } from './failures.ts';
import type { HostOptions } from './host-options.ts';
import { assembleHost } from './host-parts.ts';
import type { InboxItem } from './inbox.ts';
import type { InputRecorder } from './input-recorder.ts';
import type { OperatorCommands } from './operator-commands.ts';
import type { PassivationSweep } from './passivation-sweep.ts';
import { type ConsumerPosition, DONE } from './position.ts';
import { type CommandedConsumer, runQueuedCommands } from './queued-commands.ts';
import { applyQueuedReplay } from './queued-replay.ts';
import type { Relay } from './relay.ts';

export type { ActorView } from '../actor/actor-view.ts';
export type { HostOptions } from './host-options.ts';

const NOT_STARTED: HostView<DeadLetter> = Object.freeze({ state: 'restoring', paused: false, blockedOn: undefined, replaying: false });

/**
 * Runs one consumer: keeps its actors, applies events in seq order, retries and dead-letters
 * failures, fires durable timers, and checkpoints offset, snapshots, dead letters and emitted
 * events together. The host machine in `actors/host.machine.ts` decides when each step runs and
 * is the state the host is in (this class follows its view); it is assembled from one part per concept:
 * `ConsumerPosition` (where it stands, and its inbox), `EventApplier` (applying, with failures),
 * `Checkpoint` (the batch and its commit) and `OperatorCommands` (pause, retry, skip, replay).
 */
export class ComponentHost implements HostWork<DeadLetter>, CellOwner, CommandedConsumer {
  readonly consumer: string;
  readonly component: Component;
  readonly maxPayloadBytes: number;
  readonly #o: HostOptions;
  readonly #actors: ActorTable;
  readonly #failures: FailureTracker;
  readonly #letters: DeadLetterBook;
  readonly #lease: ConsumerLease;
  readonly #position: ConsumerPosition;
  readonly #checkpoint: Checkpoint;
  readonly #sweep: PassivationSweep;
  readonly #applier: EventApplier;
  /** An operator's controls of the consumer: pause and resume, retry and skip of dead letters, replay. */
  readonly commands: OperatorCommands;
  readonly #relay: Relay | undefined;
  readonly #recorder: InputRecorder;
  #unroute: (() => void) | undefined;
  /** The lease this host held when it stopped, for the next host of its consumer to present. */
  #lastLease: Lease | undefined;
  #link: HostLink<DeadLetter> | undefined;
  #view: HostView<DeadLetter> = NOT_STARTED;
  /** The idle machine's wake-up, while it waits for work. */
  #ready: (() => void) | undefined;
  #readyQueued = false;

  constructor(options: HostOptions) {
    this.#o = options;
    this.consumer = options.consumer;
    this.component = options.component;
    this.maxPayloadBytes = options.maxPayloadBytes;
    this.#relay = options.commits.relay?.(options.consumer, { onFenced: (error) => this.fence(error), onDrained: options.onProgress });
    const parts = assembleHost(options, this.#relay, {
      cells: this,
      renewed: (lastRouted) => {
        this.sync(lastRouted);
        this.#runQueuedCommands();
      },
      fenced: (error) => this.fence(error),
      // After the current turn, so a due checkpoint never commits inside what asked for it.
      commitDue: () => queueMicrotask(() => this.#link?.send({ type: 'commit.due' })),
      push: (item) => this.#push(item),
      machine: { command: (event) => this.#link?.send(event), view: () => this.#view },
    });
    this.#actors = parts.actors;
    this.#failures = parts.failures;
    this.#letters = parts.letters;
    this.#lease = parts.lease;
    this.#position = parts.position;
    this.#checkpoint = parts.checkpoint;
    this.#sweep = parts.sweep;
    this.#applier = parts.applier;
    this.commands = parts.commands;
    this.#recorder = parts.recorder;
  }

  /** Connects the host machine: deliveries, timers and commands reach it, and its view is followed (and recorded for other processes). */
  attach(link: HostLink<DeadLetter>): void {
    this.#link = link;
    link.observe((view) => {
      const moved = view.state !== this.#view.state;
      this.#view = view;
      if (!moved) return;
      try {
        this.#o.store.setHostState(this.consumer, view.state);
      } catch {
        // Status is advisory; a locked or full disk must not stop the lifecycle.
      }
      this.#o.onProgress();
    });
  }

  /** The host's state: the machine's (`hostStateOf`). */
  get state(): HostState {
    return this.#view.state;
  }

  isFencing(error: unknown): boolean {
    return error instanceof StaleEpochError || error instanceof LeaseExpiredError || this.#checkpoint.refusedBy !== undefined;
  }

  async register(): Promise<Registered> {
    const registration = await this.#lease.register();
    if ('standbyMs' in registration) return { registered: false, standbyMs: registration.standbyMs };
    // Deliveries routed before this subscription are a gap the first later one (or a heartbeat) reveals.
    this.#unroute = this.#o.transport.onRoute(this.consumer, (delivery) => this.#deliver(delivery));
    this.#position.registeredAt(registration.watermark);
    this.#recorder.holdUntil(registration.watermark);
    // What a previous life left in the outbox goes first.
    this.#relay?.kick(registration.lease);
    return { registered: true };
  }

  /**
   * Resets the consumer for the replays an operator queued while it was down (snapshots
   * forgotten, offset moved back), before any snapshot is read: a consumer whose snapshots no
   * longer fit its machine is rebuilt from the log instead of failing on them.
   */
  async replayQueued(): Promise<void> {
    const { commands, store, logger } = this.#o;
    if (commands) applyQueuedReplay({ commands, store, logger, consumer: this.consumer, fence: this.#checkpoint.fence });
  }

  async restore(): Promise<{ paused: boolean }> {
    const { component, store } = this.#o;
    this.#position.restoredAt(openConsumerRecord(store, this.consumer, component, this.#position.routedThrough));
    // A letter the consumer was blocked on when it stopped is settled by the next attempt at it.
    for (const letter of store.deadLetters(this.consumer, 'blocking')) this.#letters.retrying(letter);
    this.#actors.restore();
    sayRestored(this.#o.logger, store, this.#fields(), this.offset, this.#actors.size);
    this.#sweep.schedule();
    this.#runQueuedCommands();
    // Read after the queued commands ran: a pause or resume among them is part of what was restored.
    return { paused: store.isPaused(this.consumer) };
  }

  /** Queues a read of everything up to the registration watermark; `processBatch` applies it. */
  async catchUp(): Promise<void> {
    this.#position.inbox.push({ kind: 'sync', prev: this.#position.routedThrough });
    this.#releaseIfCaughtUp();
  }

  awaitWork(ready: () => void): () => void {
    if (this.#position.inbox.size > 0) {
      ready();
      return () => {};
    }
    this.#ready = ready;
    return () => {
      if (this.#ready === ready) this.#ready = undefined;
    };
  }

  async processBatch(): Promise<BatchOutcome<DeadLetter> & { commitDue: boolean }> {
    if (this.#checkpoint.refusedBy !== undefined) throw this.#checkpoint.refusedBy;
    const { inbox } = this.#position;
    let outcome: BatchOutcome<DeadLetter> = DONE;
    while (!this.#checkpoint.isFull) {
      const item = inbox.peek();
      if (!item) break;
      outcome = await this.#applier.handle(item);
      if (outcome.outcome !== 'done') break;
      inbox.shift();
    }
    this.#releaseIfCaughtUp();
    this.#o.onProgress();
    return { ...outcome, commitDue: this.#checkpoint.isDue() };
  }

  async commit(): Promise<void> {
    this.#checkpoint.commit();
  }

  async replay(from: number): Promise<void> {
    const lease = this.#lease.current;
    if (!lease) throw new NotRegisteredError(this.consumer, 'replay');
    this.#o.store.reset(this.consumer, from - 1, this.#checkpoint.fence);
    // Rebuilt from the log, the actors start no child and record no input until caught up again.
    this.#recorder.holdUntil(this.#position.routedThrough);
    this.#actors.clear();
    this.#position.inbox.clear();
    this.#letters.clear();
    this.#failures.reset();
    this.#checkpoint.reset();
    this.#position.restoredAt(from - 1);
    this.#actors.restore();
    this.#position.inbox.push({ kind: 'sync', prev: this.#position.routedThrough });
    this.#o.logger.info(`consumer ${this.consumer} replays from seq ${from}`, this.#fields({ seq: from }));
  }

  retryLetter(letter: DeadLetter): void {
    this.#applier.retryBlocked(letter);
  }

  skipLetter(letter: DeadLetter): void {
    this.#applier.skipBlocked(letter);
  }

  async shutDown(): Promise<void> {
    const lease = this.#release();
    if (lease && this.#checkpoint.refusedBy === undefined) await this.#o.log.unregister(lease).catch(() => {});
    try {
      this.#o.commands?.stopReading(this.consumer);
    } catch {
      // The row expires on its own; the CLI then sees no reader.
    }
    this.#o.logger.info(`consumer ${this.consumer} stopped at offset ${this.committedOffset}`, this.#fields({ offset: this.committedOffset }));
  }

  /** Drops everything at once, committing nothing: what a crash does to a host. */
  halt(): void {
    this.#checkpoint.refuse(new HaltedError(this.consumer));
    this.#release();
  }

  /** Another owner holds the consumer now: stop writing, and end as fenced. */
  fence(error: StaleEpochError | LeaseExpiredError): void {
    this.#checkpoint.refuse(error);
    this.#link?.send({ type: 'fenced', error });
  }

  /**
   * Registers the consumer again, keeping its lease, after the supervisor lost its routes (it
   * restarted): the new route starts at the log head, and the gap up to it is read from the log.
   */
  async reregister(): Promise<void> {
    if (this.#checkpoint.refusedBy !== undefined) return;
    const registration = await this.#lease.reregister();
    if (!registration) return;
    this.#o.logger.info(
      `consumer ${this.consumer} registered again with the supervisor (route from seq ${registration.watermark})`,
      this.#fields({ seq: registration.watermark }),
    );
    this.#position.registeredAt(registration.watermark);
    this.sync(registration.watermark);
    this.#relay?.kick(registration.lease);
  }

  /** Seq up to which events are applied in memory (ahead of the checkpoint between commits). */
  get offset(): number {
    return this.#position.offset;
  }

  /** The system's inspection listener, which the cells hand every actor's events to. */
  get inspect(): HostOptions['inspect'] {
    return this.#o.inspect;
  }

  get committedOffset(): number {
    return this.#position.committedOffset;
  }

  /** True when every routed event is applied and checkpointed. */
  isSettled(lastRouted: number): boolean {
    return (
      this.state === 'live' &&
      this.#position.inbox.size === 0 &&
      this.offset >= lastRouted &&
      !this.#checkpoint.hasUncommitted &&
      this.#recorder.idle() &&
      (this.#relay?.idle() ?? true)
    );
  }

  /** Number of actors in memory. */
  get activeActors(): number {
    return this.#actors.size;
  }

  /** The dead letter this consumer is blocked on, if any (the host machine holds it). */
  get blockedOn(): DeadLetter | undefined {
    return this.#view.blockedOn;
  }

  /** True while an operator's pause holds (the host machine is in it; the CSS keeps it across restarts). */
  isPaused(): boolean {
    return this.#view.paused;
  }

  /** The current state of the actor for `key` (in memory if active, else from the CSS). */
  query(key: string | undefined): ActorView {
    return queryActor(this.#actors, this.#o.store, this.consumer, this.component.name, key);
  }

  /**
   * Tells the host that its route has reached `lastRouted`. If that is past what it has
   * applied and nothing is waiting in the inbox, the last deliveries were lost: read them.
   */
  sync(lastRouted: number): void {
    this.#position.routed(lastRouted);
    if (lastRouted <= this.offset || this.#position.inbox.size > 0 || this.isPaused()) return;
    this.#push({ kind: 'sync', prev: lastRouted });
  }

  /** Asks for a checkpoint as soon as the current batch ends (used by `settled()` and `stop()`). */
  requestCommit(): void {
    this.#checkpoint.request();
  }

  changedOutsideProcessing(cell: ActorCell): void {
    this.#actors.markDirty(cell);
    this.#checkpoint.changed(true);
  }

  emitRefused(cell: ActorCell, error: unknown): void {
    this.#o.logger.error(
      `component ${this.component.name} emitted an event that cannot be published; it was dropped`,
      eventFields(this.component.name, this.consumer, cell.key, cell.lastSeq, { error }),
    );
  }

  record(cell: ActorCell, draft: InputDraft, valid: () => boolean): void {
    this.#recorder.record(cell.key, draft, valid);
  }

  get holdsEffects(): boolean {
    return this.#recorder.held;
  }

  /** Once caught up with the log: the input records held meanwhile are appended, and the children held start. */
  #releaseIfCaughtUp(): void {
    if (this.#recorder.reached(this.#position.offset)) this.#actors.release();
  }

  #runQueuedCommands(): void {
    if (this.#o.commands) runQueuedCommands(this, this.#o.commands, this.#o.store, this.#o.logger);
  }

  /** Stops timers, route, relay and actors; returns the lease that was held. */
  #release(): Lease | undefined {
    this.#link = undefined;
    this.#ready = undefined;
    this.#recorder.stop();
    this.#relay?.stop();
    this.#checkpoint.stop();
    this.#sweep.stop();
    this.#unroute?.();
    this.#unroute = undefined;
    this.#actors.clear();
    this.#lastLease = this.#lease.release() ?? this.#lastLease;
    return this.#lastLease;
  }

  /** The lease this host last held, once it stopped (for the next host of its consumer to present). */
  get lastLease(): Lease | undefined {
    return this.#lastLease;
  }

  /** The fields of a line about this consumer. */
  #fields(more?: LogFields): LogFields {
    return { component: this.component.name, consumer: this.consumer, ...more };
  }

  #push(item: InboxItem): void {
    this.#position.inbox.push(item);
    this.#workArrived();
  }

  #deliver(delivery: Delivery): void {
    this.#position.routed(delivery.envelope.seq);
    // A paused consumer reads what it missed from the log on resume instead of queueing it.
    if (this.isPaused()) return;
    this.#position.inbox.push({ kind: 'event', envelope: delivery.envelope, prev: delivery.prev });
    this.#workArrived();
  }

  /** Wakes the idle machine after the current turn: a burst of deliveries wakes it once. */
  #workArrived(): void {
    if (!this.#ready || this.#readyQueued) return;
    this.#readyQueued = true;
    queueMicrotask(() => {
      this.#readyQueued = false;
      const ready = this.#ready;
      this.#ready = undefined;
      ready?.();
    });
  }
}
