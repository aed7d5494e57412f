import type { Clock } from '../clock.ts';
import type { Component } from '../component/component.ts';
import type { ConsumerStore, StoredSnapshot } from '../css/consumer-store.ts';
import type { Envelope, PreparedAppend } from '../envelope.ts';
import { RecqError, SnapshotRestoreError } from '../errors.ts';
import { eventFields } from '../logging/event-fields.ts';
import type { Logger } from '../logging/logger.ts';
import { ActorCell, type CellOwner } from './actor-cell.ts';

/**
 * A consumer's actors in memory: opened on first use (restored from the CSS if it has them),
 * marked dirty when they change, collected into checkpoints, rolled back after a failure, and
 * passivated when idle.
 */
export class ActorTable {
  readonly #cells = new Map<string, ActorCell>();
  #dirty: ActorCell[] = [];
  /** False while the CSS holds no snapshot of this consumer: new keys then skip the lookup. */
  #anyStored = true;
  readonly #component: Component;
  readonly #consumer: string;
  readonly #store: ConsumerStore;
  readonly #clock: Clock;
  readonly #owner: CellOwner;
  readonly #logger: Logger;

  constructor(component: Component, consumer: string, store: ConsumerStore, clock: Clock, owner: CellOwner, logger: Logger) {
    this.#component = component;
    this.#consumer = consumer;
    this.#store = store;
    this.#clock = clock;
    this.#owner = owner;
    this.#logger = logger;
  }

  /** Reads what the CSS holds: the singleton, and every keyed actor with delayed events or children in flight. */
  restore(): void {
    this.#anyStored = this.#store.countSnapshots(this.#consumer) > 0;
    if (!this.#component.keyed) {
      const cell = this.#open(undefined, undefined);
      // A fresh singleton that set a timer (or invoked a child) on start is stored now, so the
      // timer's due time is the one of this first start, not of every later one.
      if (!cell.restored && cell.hasPendingWork) this.#owner.changedOutsideProcessing(cell);
      return;
    }
    for (const key of this.#store.keysWithTimers(this.#consumer)) {
      try {
        this.#open(key, undefined);
      } catch (error) {
        // One key's snapshot that no longer fits must not stop the others: that key's next
        // event meets the same error and becomes a dead letter, naming it.
        if (!(error instanceof SnapshotRestoreError)) throw error;
        this.#logger.error(
          `component ${this.#component.name} could not restore key ${key} at start: ${error.message}`,
          eventFields(this.#component.name, this.#consumer, key, undefined, { error }),
        );
      }
    }
  }

  get size(): number {
    return this.#cells.size;
  }

  get hasDirty(): boolean {
    return this.#dirty.length > 0;
  }

  get(key: string | undefined): ActorCell | undefined {
    return this.#cells.get(key ?? '');
  }

  /** The actor for `key`, opened (restored or created for `first`) if it is not in memory. Throws restore errors. */
  activate(key: string | undefined, first: Envelope | undefined): ActorCell {
    const cell = this.#cells.get(key ?? '');
    if (cell) return cell;
    return this.#open(key, first);
  }

  markDirty(cell: ActorCell): void {
    if (cell.dirty) return;
    cell.dirty = true;
    this.#dirty.push(cell);
  }

  /**
   * Restores a failed actor to its last checkpoint and re-applies the events it processed
   * since, so that only the failing event is lost to it. Returns the new cell, if any.
   */
  rollBack(failed: ActorCell): ActorCell | undefined {
    // Children whose outcome the failed actor recorded are not invoked again: their records come.
    const carried = failed.journal.carry();
    failed.stop();
    const key = failed.key ?? '';
    this.#cells.delete(key);
    this.#dirty = this.#dirty.filter((c) => c !== failed);
    const replay = failed.uncommitted;
    const stored = this.#store.loadSnapshot(this.#consumer, key);
    // The failing event was this key's first: there is nothing to go back to.
    if (!stored && replay.length === 0) return undefined;
    let cell: ActorCell;
    try {
      cell = this.#open(failed.key, replay[0], stored, carried);
    } catch (error) {
      this.#logger.error(
        `component ${this.#component.name} could not reopen an actor after a failure`,
        eventFields(this.#component.name, this.#consumer, failed.key, replay[0]?.seq, { error }),
      );
      return undefined;
    }
    for (const envelope of replay) {
      if (cell.process(envelope)) {
        this.markDirty(cell);
        continue;
      }
      // Applying it worked the first time: the actor is not deterministic. Keep what replayed.
      this.#logger.error(
        `component ${this.#component.name} failed on replay of seq ${envelope.seq}; its state stops before it`,
        eventFields(this.#component.name, this.#consumer, failed.key, envelope.seq, { error: cell.failure }),
      );
      return this.rollBack(cell);
    }
    return cell;
  }

  /** Snapshots and emitted events of every dirty actor, for a checkpoint. */
  collect(): { snapshots: StoredSnapshot[]; emitted: PreparedAppend[] } {
    const snapshots: StoredSnapshot[] = [];
    const emitted: PreparedAppend[] = [];
    for (const cell of this.#dirty) {
      try {
        snapshots.push(cell.persist());
      } catch (error) {
        throw new RecqError(
          'SNAPSHOT_FAILED',
          `component ${this.#component.name} key ${JSON.stringify(cell.key ?? null)} could not be snapshotted (its context must be JSON): ${(error as Error).message}`,
          { cause: error },
        );
      }
      for (const e of cell.emitted) emitted.push(e);
    }
    return { snapshots, emitted };
  }

  /** The checkpoint that held what `collect` returned has committed. */
  committed(): void {
    if (this.#dirty.length > 0) this.#anyStored = true;
    for (const cell of this.#dirty) cell.committed();
    this.#dirty = [];
  }

  /** Drops checkpointed actors idle since `cutoff`, without delayed events or running children; they stay in the CSS. */
  passivateIdleSince(cutoff: number): void {
    for (const [key, cell] of this.#cells) {
      if (!cell.dirty && cell.lastActive <= cutoff && !cell.hasPendingWork) {
        cell.stop();
        this.#cells.delete(key);
      }
    }
  }

  /** Stops every actor and forgets them (their checkpoints stay in the CSS). */
  clear(): void {
    for (const cell of this.#cells.values()) cell.stop();
    this.#cells.clear();
    this.#dirty = [];
  }

  /** The consumer caught up with the log: every actor's held children start. */
  release(): void {
    for (const cell of this.#cells.values()) cell.release();
  }

  #open(key: string | undefined, first: Envelope | undefined, stored?: StoredSnapshot, carried?: readonly string[]): ActorCell {
    const snapshot = stored ?? (this.#anyStored ? this.#store.loadSnapshot(this.#consumer, key ?? '') : undefined);
    const cell = ActorCell.open(this.#component, this.#owner, this.#clock, key, snapshot, first, carried);
    this.#cells.set(key ?? '', cell);
    return cell;
  }
}
