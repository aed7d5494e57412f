import type { HostWork } from '../../actors/host.machine.ts';
import type { Clock } from '../clock.ts';
import type { ConsumerStore, DeadLetter, HostState, StoredSnapshot } from '../css/consumer-store.ts';
import type { Envelope } from '../envelope.ts';
import { MissingKeyError, RecqError, StaleEpochError, StorageError, UnknownKeyError, VersionMismatchError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { LogAccess } from '../sss/log-access.ts';
import type { Lease } from '../supervisor/leases.ts';
import type { Delivery, Transport } from '../transport/transport.ts';
import { ActorCell, type CellOwner } from './actor-cell.ts';
import type { CheckpointPolicy, Component } from './component.ts';

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
  passivateAfterMs: number;
  leaseTtlMs: number;
  readPageSize: number;
  maxPayloadBytes: number;
  /** A check run inside each checkpoint transaction that the lease is still held. */
  fence: (lease: Lease) => (() => void) | undefined;
  /** Called after each batch and each checkpoint, so waiters can look again. */
  onProgress: () => void;
}

type HostSignal = { type: 'work' } | { type: 'commit.due' };

/** A routed delivery, or (without an envelope) a note that the route has reached `prev`. */
interface InboxItem {
  envelope: Envelope | undefined;
  prev: number;
}

/**
 * Runs one consumer: keeps its actors, applies events in seq order, and checkpoints offset,
 * snapshots, dead letters and emitted events together. The host machine in
 * `actors/host.machine.ts` decides when each step below runs.
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
  readonly #cells = new Map<string, ActorCell>();
  #dirty: ActorCell[] = [];
  #deadLetters: DeadLetter[] = [];
  #pending = 0;
  #inbox: InboxItem[] = [];
  #inboxHead = 0;
  #lease: Lease | undefined;
  #watermark = 0;
  #unroute: (() => void) | undefined;
  #signal: ((event: HostSignal) => void) | undefined;
  #commitTimer: unknown;
  #commitRequested = false;
  #heartbeatTimer: unknown;
  #sweepTimer: unknown;
  #fencedBy: unknown;
  #woken = false;
  /** False while the CSS holds no snapshot of this consumer: new keys then skip the lookup. */
  #anyStored = true;

  constructor(options: HostOptions) {
    this.#o = options;
    this.consumer = options.consumer;
    this.component = options.component;
    this.maxPayloadBytes = options.maxPayloadBytes;
  }

  /** Connects the host machine, so deliveries and timers can wake it. */
  attach(send: (event: HostSignal) => void): void {
    this.#signal = send;
  }

  entered(state: HostState): void {
    this.state = state;
    try {
      this.#o.store.setHostState(this.consumer, state);
    } catch {
      // Status is advisory; a locked or full disk must not stop the lifecycle.
    }
    this.#o.onProgress();
  }

  isFencing(error: unknown): boolean {
    return error instanceof StaleEpochError || this.#fencedBy !== undefined;
  }

  async restore(): Promise<void> {
    const { component, store, log, transport } = this.#o;
    this.#unroute = transport.onRoute(this.consumer, (delivery) => this.#deliver(delivery));
    const registration = await log.register(this.consumer, component.patterns, this.#o.owner);
    this.#lease = registration.lease;
    this.#watermark = registration.watermark;
    this.#scheduleHeartbeat();
    const record = store.open(this.consumer, component.name, component.version, component.patterns);
    if (!component.migrate) {
      const other = store.otherVersions(this.consumer, component.version)[0];
      if (other !== undefined) {
        throw new VersionMismatchError(component.name, undefined, other, component.version);
      }
    }
    store.adopt(this.consumer, component.version, component.patterns);
    this.offset = record.offset;
    this.committedOffset = record.offset;
    this.#anyStored = store.countSnapshots(this.consumer) > 0;
    if (!component.keyed) this.#cells.set('', ActorCell.open(component, this, this.#o.clock, undefined, store.loadSnapshot(this.consumer, ''), undefined));
  }

  async catchUp(): Promise<void> {
    await this.#readThrough(this.#watermark);
  }

  hasInbox(): boolean {
    return this.#inboxHead < this.#inbox.length || this.#fencedBy !== undefined;
  }

  async processBatch(): Promise<void> {
    this.#woken = false;
    if (this.#fencedBy !== undefined) throw this.#fencedBy;
    const room = Math.max(1, this.#o.checkpoint.maxEvents - this.#pending);
    const end = Math.min(this.#inbox.length, this.#inboxHead + room);
    for (; this.#inboxHead < end; ) {
      const { envelope, prev } = this.#inbox[this.#inboxHead++] as InboxItem;
      if (envelope && envelope.seq <= this.offset) continue;
      if (prev > this.offset) await this.#readThrough(prev);
      if (envelope && envelope.seq > this.offset) this.#apply(envelope);
    }
    if (this.#inboxHead === this.#inbox.length) {
      this.#inbox = [];
      this.#inboxHead = 0;
    }
    this.#o.onProgress();
  }

  commitDue(): boolean {
    if (this.offset === this.committedOffset && this.#dirty.length === 0 && this.#deadLetters.length === 0) return false;
    return this.#pending >= this.#o.checkpoint.maxEvents || this.#commitRequested || this.#o.checkpoint.maxDelayMs === 0;
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
    const { clock, log } = this.#o;
    this.#signal = undefined;
    clock.clearTimeout(this.#commitTimer);
    clock.clearTimeout(this.#heartbeatTimer);
    clock.clearTimeout(this.#sweepTimer);
    this.#unroute?.();
    this.#unroute = undefined;
    for (const cell of this.#cells.values()) cell.stop();
    this.#cells.clear();
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease && this.#fencedBy === undefined) await log.unregister(lease).catch(() => {});
  }

  /** True when every routed event is applied and checkpointed. */
  isSettled(lastRouted: number): boolean {
    return (
      this.state === 'live' &&
      this.#inboxHead >= this.#inbox.length &&
      this.offset >= lastRouted &&
      this.committedOffset === this.offset &&
      this.#dirty.length === 0 &&
      this.#deadLetters.length === 0
    );
  }

  /** Number of actors in memory. */
  get activeActors(): number {
    return this.#cells.size;
  }

  /** The current state of the actor for `key` (in memory if active, else from the CSS). */
  query(key: string | undefined): ActorView {
    const cell = this.#cells.get(key ?? '');
    if (cell) {
      const snapshot = cell.actor.getSnapshot() as { value?: unknown; context?: unknown; status: ActorView['status'] };
      return { component: this.component.name, key, value: snapshot.value, context: snapshot.context, status: snapshot.status, seq: cell.lastSeq };
    }
    const stored = this.#o.store.loadSnapshot(this.consumer, key ?? '');
    if (!stored) throw new UnknownKeyError(this.component.name, key);
    return viewOfStored(this.component.name, key, stored);
  }

  changedOutsideProcessing(cell: ActorCell): void {
    this.#markDirty(cell);
    this.#pending++;
    this.#armCommitTimer();
  }

  emitRefused(cell: ActorCell, error: unknown): void {
    this.#o.logger.error(`component ${this.component.name} emitted an event that cannot be published; it was dropped`, {
      key: cell.key,
      error,
    });
  }

  #deliver(delivery: Delivery): void {
    this.#inbox.push(delivery);
    if (this.state === 'live') this.#wake({ type: 'work' });
  }

  /**
   * Tells the host that its route has reached `lastRouted`. If that is past what it has
   * applied and nothing is waiting in the inbox, the last deliveries were lost: read them
   * from the log.
   */
  sync(lastRouted: number): void {
    if (lastRouted <= this.offset || this.#inboxHead < this.#inbox.length) return;
    this.#inbox.push({ envelope: undefined, prev: lastRouted });
    if (this.state === 'live') this.#wake({ type: 'work' });
  }

  #wake(event: HostSignal): void {
    if (event.type === 'work') {
      if (this.#woken) return;
      this.#woken = true;
    }
    const signal = this.#signal;
    if (signal) queueMicrotask(() => signal(event));
  }

  /** Applies every matching event in (offset, until] from the log, then moves the offset to `until`. */
  async #readThrough(until: number): Promise<void> {
    const { log, component, readPageSize } = this.#o;
    while (this.offset < until) {
      const page = await log.read({ after: this.offset, until, patterns: component.patterns, limit: readPageSize });
      for (const envelope of page) {
        this.#apply(envelope);
        if (this.#pending >= this.#o.checkpoint.maxEvents) this.#commitNow();
      }
      if (page.length < readPageSize) this.#advance(until);
    }
  }

  #advance(seq: number): void {
    if (seq <= this.offset) return;
    this.offset = seq;
    this.#armCommitTimer();
  }

  #apply(envelope: Envelope): void {
    const { component, store, clock } = this.#o;
    const key = component.keyOf(envelope);
    if (component.keyed && (typeof key !== 'string' || key.length === 0)) {
      this.#park(envelope, undefined, new MissingKeyError(component.name, envelope.seq, envelope.topic));
    } else {
      let cell = this.#cells.get(key ?? '');
      let failure: unknown;
      if (!cell) {
        try {
          const stored = this.#anyStored ? store.loadSnapshot(this.consumer, key ?? '') : undefined;
          cell = ActorCell.open(component, this, clock, key, stored, envelope);
          this.#cells.set(key ?? '', cell);
          this.#scheduleSweep();
        } catch (error) {
          failure = error;
        }
      }
      if (cell?.process(envelope)) {
        cell.lastActive = clock.now();
        this.#markDirty(cell);
      } else {
        failure ??= cell?.failure;
        if (cell) this.#rollBack(cell);
        this.#park(envelope, key, failure);
      }
    }
    this.#pending++;
    this.#advance(envelope.seq);
  }

  #markDirty(cell: ActorCell): void {
    if (cell.dirty) return;
    cell.dirty = true;
    this.#dirty.push(cell);
  }

  /**
   * Restores a failed actor to its last checkpoint and re-applies the events it processed
   * since, so that only the failing event is lost to it (and parked).
   */
  #rollBack(failed: ActorCell): void {
    const { component, store, clock } = this.#o;
    failed.stop();
    const key = failed.key ?? '';
    this.#cells.delete(key);
    this.#dirty = this.#dirty.filter((c) => c !== failed);
    const replay = failed.uncommitted;
    const stored = store.loadSnapshot(this.consumer, key);
    // The failing event was this key's first: there is nothing to go back to.
    if (!stored && replay.length === 0) return;
    let cell: ActorCell;
    try {
      cell = ActorCell.open(component, this, clock, failed.key, stored, replay[0]);
    } catch (error) {
      this.#o.logger.error(`component ${component.name} could not reopen an actor after a failure`, { key: failed.key, error });
      return;
    }
    this.#cells.set(key, cell);
    for (const envelope of replay) {
      if (cell.process(envelope)) {
        this.#markDirty(cell);
      } else {
        this.#o.logger.error(`component ${component.name} failed differently on replay; the event is parked`, { key: failed.key, seq: envelope.seq });
        this.#rollBack(cell);
        this.#park(envelope, failed.key, cell.failure);
        return;
      }
    }
  }

  #park(envelope: Envelope, key: string | undefined, error: unknown): void {
    const now = this.#o.clock.now();
    const message = error instanceof Error ? error.message : String(error);
    this.#deadLetters.push({
      consumer: this.consumer,
      seq: envelope.seq,
      eventId: envelope.id,
      key,
      error: message,
      stack: error instanceof Error ? error.stack : undefined,
      attempts: 1,
      firstFailedAt: now,
      lastFailedAt: now,
      status: 'parked',
    });
    this.#o.logger.warn(`component ${this.component.name} parked event seq ${envelope.seq}: ${message}`, { key, topic: envelope.topic });
  }

  #commitNow(): void {
    if (this.#fencedBy !== undefined) throw this.#fencedBy;
    if (this.offset === this.committedOffset && this.#dirty.length === 0 && this.#deadLetters.length === 0) {
      this.#commitRequested = false;
      return;
    }
    const lease = this.#lease;
    if (!lease) throw new RecqError('NOT_REGISTERED', `consumer ${this.consumer} has no lease; it cannot commit`);
    const dirty = this.#dirty;
    const snapshots: StoredSnapshot[] = [];
    const emitted = [];
    for (const cell of dirty) {
      try {
        snapshots.push(cell.persist());
      } catch (error) {
        throw new RecqError(
          'SNAPSHOT_NOT_SERIALIZABLE',
          `component ${this.component.name} key ${JSON.stringify(cell.key ?? null)} has a snapshot that is not JSON: ${(error as Error).message}`,
          { cause: error },
        );
      }
      for (const e of cell.emitted) emitted.push(e);
    }
    try {
      this.#o.store.commit(this.consumer, { offset: this.offset, snapshots, emitted, deadLetters: this.#deadLetters }, this.#o.fence(lease));
    } catch (error) {
      if (error instanceof StaleEpochError) this.#fencedBy = error;
      throw error instanceof RecqError ? error : new StorageError(`checkpoint consumer ${this.consumer}`, error);
    }
    for (const cell of dirty) cell.committed();
    if (snapshots.length > 0) this.#anyStored = true;
    this.#dirty = [];
    this.#deadLetters = [];
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

  #scheduleHeartbeat(): void {
    const { clock, log, leaseTtlMs, logger } = this.#o;
    this.#heartbeatTimer = clock.setTimeout(
      () => {
        const lease = this.#lease;
        if (!lease) return;
        log.heartbeat(lease).then(
          () => this.#scheduleHeartbeat(),
          (error: unknown) => {
            if (error instanceof StaleEpochError) {
              this.#fencedBy = error;
              this.#wake({ type: 'work' });
            } else {
              logger.warn(`consumer ${this.consumer} could not renew its lease; retrying`, { error });
              this.#scheduleHeartbeat();
            }
          },
        );
      },
      Math.max(1, Math.floor(leaseTtlMs / 3)),
    );
  }

  #scheduleSweep(): void {
    const after = this.#o.passivateAfterMs;
    if (!this.component.keyed || this.#sweepTimer !== undefined || !Number.isFinite(after)) return;
    this.#sweepTimer = this.#o.clock.setTimeout(() => {
      this.#sweepTimer = undefined;
      this.#passivateIdle();
      if (this.#cells.size > 0) this.#scheduleSweep();
    }, after);
  }

  /** Drops checkpointed actors idle past the limit from memory; their snapshots stay in the CSS. */
  #passivateIdle(): void {
    const cutoff = this.#o.clock.now() - this.#o.passivateAfterMs;
    for (const [key, cell] of this.#cells) {
      if (!cell.dirty && cell.lastActive <= cutoff) {
        cell.stop();
        this.#cells.delete(key);
      }
    }
  }
}

function viewOfStored(component: string, key: string | undefined, stored: StoredSnapshot): ActorView {
  const snapshot = JSON.parse(stored.snapshot) as { value?: unknown; context?: unknown; status: ActorView['status'] };
  return { component, key, value: snapshot.value, context: snapshot.context, status: snapshot.status, seq: stored.seq };
}
