import type { HostSignal, HostWork } from '../../actors/host.machine.ts';
import type { Clock } from '../clock.ts';
import type { CommandQueue } from '../css/commands.ts';
import type { ConsumerStore, DeadLetter, HostState, StoredSnapshot } from '../css/consumer-store.ts';
import type { Envelope } from '../envelope.ts';
import {
  InvalidCommandError,
  LeaseHeldError,
  MissingKeyError,
  RecqError,
  StaleEpochError,
  StorageError,
  UnknownKeyError,
  VersionMismatchError,
} from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logger.ts';
import type { LogAccess } from '../sss/log-access.ts';
import type { Delivery, Transport } from '../transport/transport.ts';
import type { ActorCell, CellOwner } from './actor-cell.ts';
import { ActorTable } from './actor-table.ts';
import { type CheckpointPolicy, type Component, validateEvent } from './component.ts';
import { ConsumerLease } from './consumer-lease.ts';
import { DeadLetterBook } from './dead-letter-book.ts';
import type { PendingTimer } from './durable-timers.ts';
import { deadLetterOf, type FailedInput, FailureTracker, inputOfEnvelope } from './failures.ts';
import { Inbox, type InboxItem } from './inbox.ts';
import { runQueuedCommands } from './queued-commands.ts';
import type { Relay } from './relay.ts';
import type { RetryPolicy } from './retry-policy.ts';

/** What `query` returns: an actor's current state. */
export interface ActorView {
  component: string;
  key: string | undefined;
  value: unknown;
  context: unknown;
  status: 'active' | 'done' | 'error' | 'stopped';
  /** Seq of the last event the actor processed. */
  seq: number;
}

export interface HostOptions {
  component: Component;
  consumer: string;
  owner: string;
  store: ConsumerStore;
  log: LogAccess;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  checkpoint: CheckpointPolicy;
  retry: RetryPolicy;
  random: () => number;
  passivateAfterMs: number;
  leaseTtlMs: number;
  readPageSize: number;
  maxPayloadBytes: number;
  /** A check run inside each checkpoint transaction that the lease is still held. */
  fence: (lease: Lease) => (() => void) | undefined;
  /** Called after each batch and each checkpoint, so waiters can look again. */
  onProgress: () => void;
  /** Moves emitted events from a worker's outbox to the log (distributed deployment only). */
  relay?: Relay;
  /**
   * Refuse checkpoints once the lease may have expired without a renewal (distributed: the
   * lease table is in another process, so no transaction can check it).
   */
  checkLeaseLocally?: boolean;
  /** Operator commands queued from other processes (the CLI); run after restore and on each heartbeat. */
  commands?: CommandQueue;
}

/** How one piece of work ended: applied (or skipped), waiting for a retry, or blocked for an operator. */
type Outcome = 'done' | 'retry' | 'blocked';

/**
 * Runs one consumer: keeps its actors, applies events in seq order, retries and dead-letters
 * failures, fires durable timers, and checkpoints offset, snapshots, dead letters and emitted
 * events together. The host machine in `actors/host.machine.ts` decides when each step runs.
 */
export class ComponentHost implements HostWork, CellOwner {
  readonly consumer: string;
  readonly component: Component;
  readonly maxPayloadBytes: number;
  /** Seq up to which events are applied in memory (ahead of the checkpoint between commits). */
  offset = 0;
  committedOffset = 0;
  state: HostState = 'restoring';
  readonly #o: HostOptions;
  readonly #actors: ActorTable;
  readonly #failures: FailureTracker;
  readonly #inbox = new Inbox();
  readonly #letters = new DeadLetterBook();
  #pending = 0;
  readonly #lease: ConsumerLease;
  /** Highest seq known to be routed to this consumer. */
  #routedThrough = 0;
  #unroute: (() => void) | undefined;
  #signal: ((event: HostSignal) => void) | undefined;
  #commitTimer: unknown;
  #commitRequested = false;
  #sweepTimer: unknown;
  #fencedBy: unknown;
  #woken = false;
  #retryAt: number | undefined;
  #blockedOn: DeadLetter | undefined;
  #paused = false;
  #replayRequest: { from: number; resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(options: HostOptions) {
    this.#o = options;
    this.consumer = options.consumer;
    this.component = options.component;
    this.maxPayloadBytes = options.maxPayloadBytes;
    this.#actors = new ActorTable(options.component, options.consumer, options.store, options.clock, this, options.logger);
    this.#failures = new FailureTracker(options.retry, options.random);
    this.#lease = new ConsumerLease({
      consumer: options.consumer,
      patterns: options.component.patterns,
      owner: options.owner,
      log: options.log,
      clock: options.clock,
      logger: options.logger,
      leaseTtlMs: options.leaseTtlMs,
      onRenewed: (lastRouted) => {
        this.sync(lastRouted);
        if (options.commands) runQueuedCommands(this, options.commands, options.store, options.logger);
      },
      onLost: (error) => this.fence(error),
    });
  }

  /** Connects the host machine, so deliveries, timers and commands can wake it. */
  attach(send: (event: HostSignal) => void): void {
    this.#signal = send;
  }

  entered(state: HostState): void {
    if (state === this.state) return;
    this.state = state;
    try {
      this.#o.store.setHostState(this.consumer, state);
    } catch {
      // Status is advisory; a locked or full disk must not stop the lifecycle.
    }
    this.#o.onProgress();
  }

  isLeaseHeld(error: unknown): boolean {
    return error instanceof LeaseHeldError;
  }

  isFencing(error: unknown): boolean {
    return error instanceof StaleEpochError || this.#fencedBy !== undefined;
  }

  async restore(): Promise<void> {
    const { component, store, transport } = this.#o;
    const registration = await this.#lease.register();
    // Deliveries routed before this subscription are a gap the first later one (or a heartbeat) reveals.
    this.#unroute = transport.onRoute(this.consumer, (delivery) => this.#deliver(delivery));
    this.#routedThrough = registration.watermark;
    // What a previous life left in the outbox goes first.
    this.#o.relay?.kick(registration.lease);
    const record = store.open(
      this.consumer,
      component.name,
      component.version,
      component.patterns,
      component.startFrom === 'head' ? registration.watermark : 0,
    );
    if (!component.migrate) {
      const other = store.otherVersions(this.consumer, component.version)[0];
      if (other !== undefined) throw new VersionMismatchError(component.name, undefined, other, component.version);
    }
    store.adopt(this.consumer, component.version, component.patterns);
    this.offset = record.offset;
    this.committedOffset = record.offset;
    this.#paused = store.isPaused(this.consumer);
    // A letter the consumer was blocked on when it stopped is settled by the next attempt at it.
    for (const letter of store.deadLetters(this.consumer, 'blocking')) this.#letters.retrying(letter);
    this.#actors.restore();
    this.#scheduleSweep();
    if (this.#o.commands) runQueuedCommands(this, this.#o.commands, this.#o.store, this.#o.logger);
  }

  /** Queues a read of everything up to the registration watermark; `processBatch` applies it. */
  async catchUp(): Promise<void> {
    this.#inbox.push({ kind: 'sync', prev: this.#routedThrough });
  }

  hasInbox(): boolean {
    return this.#inbox.size > 0 || this.#fencedBy !== undefined;
  }

  async processBatch(): Promise<void> {
    this.#retryAt = undefined;
    if (this.#fencedBy !== undefined) throw this.#fencedBy;
    while (this.#pending < this.#o.checkpoint.maxEvents) {
      const item = this.#inbox.peek();
      if (!item) break;
      const outcome = await this.#handle(item);
      if (outcome !== 'done') break;
      this.#inbox.shift();
    }
    this.#o.onProgress();
  }

  commitDue(): boolean {
    if (!this.#hasUncommitted()) return false;
    return this.#pending >= this.#o.checkpoint.maxEvents || this.#commitRequested || this.#o.checkpoint.maxDelayMs === 0 || this.#retryAt !== undefined;
  }

  retryDelay(): number | undefined {
    return this.#retryAt === undefined ? undefined : Math.max(0, this.#retryAt - this.#o.clock.now());
  }

  isBlocked(): boolean {
    return this.#blockedOn !== undefined;
  }

  isPaused(): boolean {
    return this.#paused;
  }

  /** Asks for a checkpoint as soon as the current batch ends (used by `settled()` and `stop()`). */
  requestCommit(): void {
    this.#commitRequested = true;
    this.#wake({ type: 'commit.due' });
  }

  async commit(): Promise<void> {
    this.#commitNow();
  }

  async shutDown(): Promise<void> {
    const lease = this.#release();
    if (lease && this.#fencedBy === undefined) await this.#o.log.unregister(lease).catch(() => {});
  }

  /** Drops everything at once, committing nothing: what a crash does to a host. */
  halt(): void {
    this.#fencedBy ??= new RecqError('HALTED', `consumer ${this.consumer} was halted`);
    this.#release();
  }

  /** Stops timers, route, relay and actors; returns the lease that was held. */
  #release(): Lease | undefined {
    const { clock } = this.#o;
    this.#signal = undefined;
    this.#o.relay?.stop();
    clock.clearTimeout(this.#commitTimer);
    clock.clearTimeout(this.#sweepTimer);
    this.#unroute?.();
    this.#unroute = undefined;
    this.#actors.clear();
    return this.#lease.release();
  }

  /** Another owner holds the consumer now: stop writing, and end as fenced. */
  fence(error: StaleEpochError): void {
    this.#fencedBy ??= error;
    this.#wake({ type: 'work' });
  }

  /**
   * Registers the consumer again, keeping its lease, after the supervisor lost its routes (it
   * restarted): the new route starts at the log head, and the gap up to it is read from the log.
   */
  async reregister(): Promise<void> {
    if (this.#fencedBy !== undefined) return;
    const registration = await this.#lease.reregister();
    if (!registration) return;
    this.#o.logger.info(`consumer ${this.consumer} registered again with the supervisor (route from seq ${registration.watermark})`);
    this.sync(registration.watermark);
    this.#o.relay?.kick(registration.lease);
  }

  /** After the lease was found held by another owner: how long to wait before trying again. */
  standbyDelay(): number {
    return this.#lease.standbyDelay;
  }

  /** True when every routed event is applied and checkpointed. */
  isSettled(lastRouted: number): boolean {
    return this.state === 'live' && this.#inbox.size === 0 && this.offset >= lastRouted && !this.#hasUncommitted() && (this.#o.relay?.idle() ?? true);
  }

  /** Number of actors in memory. */
  get activeActors(): number {
    return this.#actors.size;
  }

  /** The dead letter this consumer is blocked on, if any. */
  get blockedOn(): DeadLetter | undefined {
    return this.#blockedOn;
  }

  /** The current state of the actor for `key` (in memory if active, else from the CSS). */
  query(key: string | undefined): ActorView {
    const cell = this.#actors.get(key);
    if (cell) {
      const snapshot = cell.actor.getSnapshot() as { value?: unknown; context?: unknown; status: ActorView['status'] };
      return { component: this.component.name, key, value: snapshot.value, context: snapshot.context, status: snapshot.status, seq: cell.lastSeq };
    }
    const stored = this.#o.store.loadSnapshot(this.consumer, key ?? '');
    if (!stored) throw new UnknownKeyError(this.component.name, key);
    return viewOfStored(this.component.name, key, stored);
  }

  /**
   * Tells the host that its route has reached `lastRouted`. If that is past what it has
   * applied and nothing is waiting in the inbox, the last deliveries were lost: read them.
   */
  sync(lastRouted: number): void {
    this.#routedThrough = Math.max(this.#routedThrough, lastRouted);
    if (lastRouted <= this.offset || this.#inbox.size > 0 || this.#paused) return;
    this.#push({ kind: 'sync', prev: lastRouted });
  }

  /** Stops applying events (after the current batch) until `resume`; survives restarts. */
  pause(): void {
    this.#o.store.setPaused(this.consumer, true);
    this.#paused = true;
    this.#wake({ type: 'work' });
  }

  resume(): void {
    this.#o.store.setPaused(this.consumer, false);
    this.#paused = false;
    this.#inbox.push({ kind: 'sync', prev: this.#routedThrough });
    this.#wake({ type: 'work' });
  }

  /**
   * Applies a parked dead letter again, against the actor's current state, or releases the
   * letter a blocked consumer waits on; the outcome is recorded on the letter.
   */
  retryDeadLetter(letter: DeadLetter): void {
    this.#assertOwnLetter('retry a dead letter', letter);
    if (this.#blockedOn?.eventId === letter.eventId) {
      this.#letters.retrying({ ...this.#blockedOn, id: letter.id });
      this.#blockedOn = undefined;
      this.#failures.reset();
      this.#wake({ type: 'work' });
      return;
    }
    if (letter.status !== 'parked') throw new InvalidCommandError('retry a dead letter', `dead letter ${letter.id} is ${letter.status}, not parked`);
    if (letter.id === undefined) throw new InvalidCommandError('retry a dead letter', 'it has no id yet');
    this.#push({ kind: 'dead-letter', id: letter.id });
  }

  /** Marks a dead letter skipped; a consumer blocked on it goes on past it. */
  skipDeadLetter(letter: DeadLetter): void {
    this.#assertOwnLetter('skip a dead letter', letter);
    if (letter.status !== 'parked' && letter.status !== 'blocking') {
      throw new InvalidCommandError('skip a dead letter', `dead letter ${letter.id} is ${letter.status}; only parked or blocking letters can be skipped`);
    }
    this.#letters.skipped(letter);
    if (this.#blockedOn?.eventId === letter.eventId) {
      this.#blockedOn = undefined;
      this.#pending++;
      this.#advance(letter.seq);
      this.#wake({ type: 'work' });
    } else {
      this.requestCommit();
    }
  }

  /**
   * Forgets every actor and moves the offset to `from - 1`, then rebuilds from the log once
   * the host is between batches. Emitted events come out with the ids they had before, so the
   * log gains nothing twice. Resolves when the reset is committed.
   */
  requestReplay(from: number): Promise<void> {
    if (!Number.isInteger(from) || from < 1) throw new InvalidCommandError('replay', `--from must be a seq ≥ 1, got ${String(from)}`);
    if (this.#replayRequest) throw new InvalidCommandError('replay', `consumer ${this.consumer} is already being replayed`);
    return new Promise((resolve, reject) => {
      this.#replayRequest = { from, resolve, reject };
      this.#wake({ type: 'work' });
    });
  }

  replayRequested(): boolean {
    return this.#replayRequest !== undefined;
  }

  async replay(): Promise<void> {
    const request = this.#replayRequest;
    if (!request) return;
    this.#replayRequest = undefined;
    try {
      const lease = this.#lease.current;
      if (!lease) throw new RecqError('NOT_REGISTERED', `consumer ${this.consumer} has no lease; it cannot replay`);
      this.#o.store.reset(this.consumer, request.from - 1, this.#o.fence(lease));
      this.#actors.clear();
      this.#inbox.clear();
      this.#letters.clear();
      this.#failures.reset();
      this.#blockedOn = undefined;
      this.#retryAt = undefined;
      this.#pending = 0;
      this.offset = request.from - 1;
      this.committedOffset = request.from - 1;
      this.#actors.restore();
      this.#inbox.push({ kind: 'sync', prev: this.#routedThrough });
      this.#o.logger.info(`consumer ${this.consumer} replays from seq ${request.from}`);
      request.resolve();
    } catch (error) {
      request.reject(error);
      throw error;
    }
  }

  changedOutsideProcessing(cell: ActorCell): void {
    this.#actors.markDirty(cell);
    this.#pending++;
    this.#armCommitTimer();
  }

  emitRefused(cell: ActorCell, error: unknown): void {
    this.#o.logger.error(`component ${this.component.name} emitted an event that cannot be published; it was dropped`, { key: cell.key, error });
  }

  timerDue(cell: ActorCell, timer: PendingTimer): void {
    this.#push({ kind: 'timer', key: cell.key ?? '', timer });
  }

  #push(item: InboxItem): void {
    this.#inbox.push(item);
    this.#wake({ type: 'work' });
  }

  #deliver(delivery: Delivery): void {
    this.#routedThrough = Math.max(this.#routedThrough, delivery.envelope.seq);
    // A paused consumer reads what it missed from the log on resume instead of queueing it.
    if (this.#paused) return;
    this.#inbox.push({ kind: 'event', envelope: delivery.envelope, prev: delivery.prev });
    if (this.state === 'live') this.#wake({ type: 'work' });
  }

  #wake(event: HostSignal): void {
    if (event.type === 'work') {
      if (this.#woken) return;
      this.#woken = true;
    }
    const signal = this.#signal;
    if (!signal) return;
    queueMicrotask(() => {
      if (event.type === 'work') this.#woken = false;
      signal(event);
    });
  }

  async #handle(item: InboxItem): Promise<Outcome> {
    switch (item.kind) {
      case 'event': {
        const { envelope, prev } = item;
        if (envelope.seq <= this.offset) return 'done';
        if (prev > this.offset) {
          const outcome = await this.#readThrough(prev);
          if (outcome !== 'done') return outcome;
        }
        return envelope.seq > this.offset ? this.#applyInOrder(envelope) : 'done';
      }
      case 'sync':
        return this.#readThrough(item.prev);
      case 'timer':
        return this.#fireTimer(item.key, item.timer);
      case 'dead-letter':
        await this.#applyDeadLetter(item.id);
        return 'done';
    }
  }

  /** Applies every matching event in (offset, until] from the log, then moves the offset to `until`. */
  async #readThrough(until: number): Promise<Outcome> {
    const { log, component, readPageSize } = this.#o;
    while (this.offset < until) {
      const page = await log.read({ after: this.offset, until, patterns: component.patterns, limit: readPageSize });
      for (const envelope of page) {
        const outcome = this.#applyInOrder(envelope);
        if (outcome !== 'done') return outcome;
        if (this.#pending >= this.#o.checkpoint.maxEvents) this.#commitNow();
      }
      if (page.length < readPageSize) this.#advance(until);
    }
    return 'done';
  }

  /** Applies the next event of the consumer's order; on failure retries later, parks or blocks. */
  #applyInOrder(envelope: Envelope): Outcome {
    const failure = this.#apply(envelope);
    const key = this.component.keyOf(envelope);
    if (failure === undefined) {
      this.#failures.succeeded(envelope.id);
      if (this.#letters.applied(envelope.id)) this.#armCommitTimer();
      this.#pending++;
      this.#advance(envelope.seq);
      return 'done';
    }
    // An operator skipped this event before (a replay meets it again): it stays skipped.
    if (this.#failures.attempts(envelope.id) === 0 && this.#o.store.deadLetterFor(this.consumer, envelope.id)?.status === 'skipped') {
      this.#o.logger.info(`component ${this.component.name} skips seq ${envelope.seq} again, as an operator did before`, { key });
      this.#pending++;
      this.#advance(envelope.seq);
      return 'done';
    }
    const now = this.#o.clock.now();
    const verdict = this.#failures.failed(inputOfEnvelope(envelope, key), failure.error, now);
    const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
    if (verdict.action === 'retry') {
      this.#retryAt = now + verdict.delayMs;
      this.#o.logger.warn(
        `component ${this.component.name} failed on seq ${envelope.seq} (attempt ${verdict.attempts}); retrying in ${verdict.delayMs} ms: ${message}`,
        { key },
      );
      return 'retry';
    }
    const letter = this.#letters.record({ ...verdict.letter, consumer: this.consumer });
    if (verdict.action === 'block') {
      this.#blockedOn = letter;
      this.#o.logger.error(
        `component ${this.component.name} is blocked on seq ${envelope.seq} after ${letter.attempts} attempts: ${message}. Retry or skip the dead letter to go on.`,
        { key },
      );
      this.requestCommit();
      return 'blocked';
    }
    this.#o.logger.warn(`component ${this.component.name} parked seq ${envelope.seq} after ${letter.attempts} attempts: ${message}`, {
      key,
      topic: envelope.topic,
    });
    this.#pending++;
    this.#advance(envelope.seq);
    return 'done';
  }

  /** Validates and applies one event to its actor. Returns the failure, after rolling the actor back. */
  #apply(envelope: Envelope): { error: unknown } | undefined {
    const { component, clock } = this.#o;
    const key = component.keyOf(envelope);
    if (component.keyed && (typeof key !== 'string' || key.length === 0)) return { error: new MissingKeyError(component.name, envelope.seq, envelope.topic) };
    const rejected = validateEvent(component, envelope);
    if (rejected) return { error: rejected };
    let cell: ActorCell;
    try {
      cell = this.#actors.activate(key, envelope);
    } catch (error) {
      return { error };
    }
    if (cell.process(envelope)) {
      cell.lastActive = clock.now();
      this.#actors.markDirty(cell);
      this.#scheduleSweep();
      return undefined;
    }
    const error = cell.failure;
    this.#actors.rollBack(cell);
    return { error };
  }

  #fireTimer(key: string, timer: PendingTimer): Outcome {
    const cell = this.#actors.get(key);
    if (!cell || timer.cancelled || !cell.timers.pending.has(timer)) return 'done';
    const eventId = `timer/${timer.stored.scheduledSeq}/${timer.stored.id}`;
    if (cell.fireTimer(timer)) {
      cell.lastActive = this.#o.clock.now();
      this.#actors.markDirty(cell);
      this.#letters.applied(eventId);
      this.#pending++;
      this.#armCommitTimer();
      return 'done';
    }
    // A failing timer is not retried on a backoff (it would fire again from the checkpoint at
    // once): it is parked, and dropped from the actor rolled back to its checkpoint.
    const error = cell.failure;
    const restored = this.#actors.rollBack(cell);
    restored?.timers.drop(timer.stored.id, timer.stored.scheduledSeq);
    const now = this.#o.clock.now();
    const input: FailedInput = { seq: timer.stored.scheduledSeq, eventId, key: cell.key, topic: 'timer', event: JSON.stringify(timer.stored) };
    const letter = this.#letters.record({ ...deadLetterOf(input, error, 1, now, now, 'parked'), consumer: this.consumer });
    this.#o.logger.warn(`component ${this.component.name} parked timer ${timer.stored.id}: ${letter.error}`, { key: cell.key });
    this.#pending++;
    this.#armCommitTimer();
    return 'done';
  }

  /** An operator's retry of a parked letter: applied against the actor's current state. */
  async #applyDeadLetter(id: number): Promise<void> {
    const letter = this.#o.store.deadLetter(id);
    if (letter?.status !== 'parked') return;
    this.#letters.retrying(letter);
    if (letter.eventId.startsWith('timer/')) {
      const cell = this.#actors.activate(letter.key, undefined);
      cell.timers.restore([{ ...JSON.parse(letter.event), due: this.#o.clock.now() }]);
      return;
    }
    const [envelope] = await this.#o.log.read({ after: letter.seq - 1, until: letter.seq, limit: 1 });
    if (!envelope) {
      this.#letters.abandon(letter.eventId);
      this.#o.logger.error(`dead letter ${id} names seq ${letter.seq}, which the log does not hold`);
      return;
    }
    const failure = this.#apply(envelope);
    if (failure === undefined) {
      this.#letters.applied(envelope.id);
      this.#pending++;
    } else {
      this.#letters.failedAgain(letter, failure.error, this.#o.clock.now());
    }
    this.#armCommitTimer();
  }

  #assertOwnLetter(command: string, letter: DeadLetter): void {
    if (letter.consumer !== this.consumer)
      throw new InvalidCommandError(command, `dead letter ${letter.id} belongs to ${letter.consumer}, not ${this.consumer}`);
  }

  #advance(seq: number): void {
    if (seq <= this.offset) return;
    this.offset = seq;
    this.#armCommitTimer();
  }

  #hasUncommitted(): boolean {
    return this.offset !== this.committedOffset || this.#actors.hasDirty || this.#letters.hasWrites;
  }

  #commitNow(): void {
    if (this.#fencedBy !== undefined) throw this.#fencedBy;
    if (!this.#hasUncommitted()) {
      this.#commitRequested = false;
      return;
    }
    const lease = this.#lease.current;
    if (!lease) throw new RecqError('NOT_REGISTERED', `consumer ${this.consumer} has no lease; it cannot commit`);
    if (this.#o.checkLeaseLocally) this.#lease.assertValid();
    const { snapshots, emitted } = this.#actors.collect();
    try {
      this.#o.store.commit(this.consumer, { offset: this.offset, snapshots, emitted, deadLetters: this.#letters.writes() }, this.#o.fence(lease));
    } catch (error) {
      if (error instanceof StaleEpochError) this.#fencedBy = error;
      throw error instanceof RecqError ? error : new StorageError(`checkpoint consumer ${this.consumer}`, error);
    }
    this.#actors.committed();
    this.#o.relay?.kick(lease);
    this.#letters.committed();
    this.#pending = 0;
    this.committedOffset = this.offset;
    this.#commitRequested = false;
    this.#o.clock.clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    this.#o.onProgress();
  }

  #armCommitTimer(): void {
    const delay = this.#o.checkpoint.maxDelayMs;
    if (this.#commitTimer !== undefined || delay === 0) return;
    this.#commitTimer = this.#o.clock.setTimeout(() => {
      this.#commitTimer = undefined;
      this.requestCommit();
    }, delay);
  }

  #scheduleSweep(): void {
    const after = this.#o.passivateAfterMs;
    if (!this.component.keyed || this.#sweepTimer !== undefined || this.#actors.size === 0) return;
    this.#sweepTimer = this.#o.clock.setTimeout(() => {
      this.#sweepTimer = undefined;
      this.#actors.passivateIdleSince(this.#o.clock.now() - after);
      this.#scheduleSweep();
    }, after);
  }
}

function viewOfStored(component: string, key: string | undefined, stored: StoredSnapshot): ActorView {
  const snapshot = JSON.parse(stored.snapshot) as { value?: unknown; context?: unknown; status: ActorView['status'] };
  return { component, key, value: snapshot.value, context: snapshot.context, status: snapshot.status, seq: stored.seq };
}
