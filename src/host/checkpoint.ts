import type { ActorTable } from '../actor/actor-table.ts';
import type { Clock } from '../clock.ts';
import type { CheckpointPolicy } from '../component/component.ts';
import type { ConsumerStore } from '../css/consumer-store.ts';
import { NotRegisteredError, RecqError, StaleEpochError, StorageError } from '../errors.ts';
import type { ConsumerProbe } from '../metrics/probe.ts';
import type { CommitPort } from './commit-port.ts';
import type { ConsumerLease } from './consumer-lease.ts';
import type { DeadLetterBook } from './dead-letter-book.ts';
import type { ConsumerPosition } from './position.ts';
import type { Relay } from './relay.ts';

/**
 * The seam between applying events and checkpointing them: processing says what changed, and
 * asks for a commit once the batch is full; when and how the checkpoint is written is not its concern.
 */
export interface Checkpointer {
  /** Something the next checkpoint writes changed; `counted` changes (applied events, timers) fill the batch. */
  changed(counted: boolean): void;
  /** Commits now if the batch is full (a long read from the log commits as it goes). */
  commitIfFull(): void;
}

export interface CheckpointOptions {
  consumer: string;
  store: ConsumerStore;
  lease: ConsumerLease;
  actors: ActorTable;
  letters: DeadLetterBook;
  position: ConsumerPosition;
  clock: Clock;
  policy: CheckpointPolicy;
  /** Where commits go: the deployment's sink and fence. */
  commits: CommitPort;
  /** Moves what commits emit on to the log, where they go to an outbox. */
  relay: Relay | undefined;
  /** A checkpoint is due (its timer fired, or one was asked for). */
  onDue: () => void;
  /** A commit found another owner holding the consumer. */
  onFenced: (error: StaleEpochError) => void;
  onCommitted: () => void;
  /** Hears how long each commit took and how many applied events it held. */
  probe?: ConsumerProbe;
}

/**
 * A consumer's checkpoint: the batch applied since the last one, the timer that bounds its age,
 * and the commit that writes offset, dirty snapshots, dead letters and emitted events in one
 * transaction. Once fenced (or halted) it refuses to write, whatever step is still running.
 */
export class Checkpoint implements Checkpointer {
  /** The check every write of the consumer's store (a commit, a replay's reset) runs first in its transaction. */
  readonly fence: () => void;
  readonly #o: CheckpointOptions;
  #pending = 0;
  #timer: unknown;
  #requested = false;
  #refusedBy: unknown;

  constructor(options: CheckpointOptions) {
    this.#o = options;
    this.fence = options.commits.fence(options.lease);
  }

  /** Why this checkpoint writes no more (a fence or a halt), if it does not. */
  get refusedBy(): unknown {
    return this.#refusedBy;
  }

  /** From now on every commit throws `error`. */
  refuse(error: unknown): void {
    this.#refusedBy ??= error;
  }

  get isFull(): boolean {
    return this.#pending >= this.#o.policy.maxEvents;
  }

  get hasUncommitted(): boolean {
    return this.#o.position.hasUncommittedOffset || this.#o.actors.hasDirty || this.#o.letters.hasWrites;
  }

  /** True when there is something to write and the batch is full, old enough, or a commit was asked for. */
  isDue(): boolean {
    if (!this.hasUncommitted) return false;
    return this.isFull || this.#requested || this.#o.policy.maxDelayMs === 0;
  }

  /** Asks for a checkpoint as soon as the current batch ends. */
  request(): void {
    this.#requested = true;
    this.#o.onDue();
  }

  changed(counted: boolean): void {
    if (counted) this.#pending++;
    const delay = this.#o.policy.maxDelayMs;
    if (this.#timer !== undefined || delay === 0) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.request();
    }, delay);
  }

  commitIfFull(): void {
    if (this.isFull) this.commit();
  }

  commit(): void {
    if (this.#refusedBy !== undefined) throw this.#refusedBy;
    if (!this.hasUncommitted) {
      this.#requested = false;
      return;
    }
    const { consumer, store, actors, letters, position } = this.#o;
    const lease = this.#o.lease.current;
    if (!lease) throw new NotRegisteredError(consumer, 'commit');
    const { snapshots, emitted } = actors.collect();
    // Wall time, not the clock: a simulated clock stands still while SQLite works.
    const startedAt = performance.now();
    try {
      store.commit(consumer, { offset: position.offset, snapshots, emitted, deadLetters: letters.writes() }, this.fence);
    } catch (error) {
      if (error instanceof StaleEpochError) {
        this.refuse(error);
        this.#o.onFenced(error);
      }
      throw error instanceof RecqError ? error : new StorageError(`checkpoint consumer ${consumer}`, error);
    }
    this.#o.probe?.checkpointed(performance.now() - startedAt, this.#pending);
    actors.committed();
    this.#o.relay?.kick(lease);
    letters.committed();
    this.#pending = 0;
    position.committed();
    this.#requested = false;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#o.onCommitted();
  }

  /** A replay reset the consumer: nothing applied is waiting any more. */
  reset(): void {
    this.#pending = 0;
  }

  stop(): void {
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
