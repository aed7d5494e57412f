import { type Actor, type AnyActorLogic, createActor } from 'xstate';
import type { Clock } from '../clock.ts';
import type { StoredSnapshot } from '../css/consumer-store.ts';
import type { Envelope, EventMeta, PreparedAppend, StoredEvent } from '../envelope.ts';
import { prepareAppend } from '../envelope.ts';
import { SnapshotRestoreError, VersionMismatchError } from '../errors.ts';
import type { Component } from './component.ts';

/** What a cell reports to its host. */
export interface CellOwner {
  /** A cell's actor changed outside event processing (a child finished, say): commit it soon. */
  changedOutsideProcessing(cell: ActorCell): void;
  /** An event emitted outside processing could not be published (bad topic, too large). */
  emitRefused(cell: ActorCell, error: unknown): void;
  readonly maxPayloadBytes: number;
}

/**
 * One live actor of a component (the singleton, or one key of a keyed component), with what
 * it did since its last checkpoint: the events it processed and the events it emitted.
 */
export class ActorCell {
  readonly key: string | undefined;
  readonly actor: Actor<AnyActorLogic>;
  /** Seq of the last event this actor processed. */
  lastSeq: number;
  lastActive: number;
  dirty = false;
  /** Events processed since the last checkpoint, replayed if a later one fails. */
  uncommitted: Envelope[] = [];
  /** Events emitted since the last checkpoint, with their deterministic ids. */
  emitted: PreparedAppend[] = [];
  /** The failure of the event being processed, if the actor errored. */
  failure: unknown;
  #current: Envelope | undefined;
  /** Set while the actor starts or stops: those snapshot changes are not the actor's doing. */
  #quiet = false;
  #emitSeq = -1;
  #emitIndex = 0;
  readonly #component: Component;
  readonly #owner: CellOwner;

  private constructor(component: Component, owner: CellOwner, key: string | undefined, actor: Actor<AnyActorLogic>, lastSeq: number, now: number) {
    this.#component = component;
    this.#owner = owner;
    this.key = key;
    this.actor = actor;
    this.lastSeq = lastSeq;
    this.lastActive = now;
  }

  /**
   * Creates the actor for `key` from its stored snapshot, or fresh if there is none. A fresh
   * actor starts while `first` is being processed, so what its entry actions emit is
   * attributed to that event.
   */
  static open(
    component: Component,
    owner: CellOwner,
    clock: Clock,
    key: string | undefined,
    stored: StoredSnapshot | undefined,
    first: Envelope | undefined,
  ): ActorCell {
    let snapshot: unknown;
    if (stored) {
      snapshot = JSON.parse(stored.snapshot) as unknown;
      if (stored.version !== component.version) {
        if (!component.migrate) throw new VersionMismatchError(component.name, key, stored.version, component.version);
        snapshot = component.migrate(snapshot, stored.version);
      }
    }
    const actor = createActor(component.logic, {
      clock,
      input: component.inputOf(key),
      ...(snapshot === undefined ? {} : { snapshot: snapshot as never }),
    });
    const cell = new ActorCell(component, owner, key, actor, stored?.seq ?? 0, clock.now());
    actor.on('*', (event) => cell.#onEmit(event as StoredEvent));
    actor.subscribe({
      next: () => {
        if (cell.#current === undefined && !cell.#quiet) owner.changedOutsideProcessing(cell);
      },
      error: (error) => {
        cell.failure = error;
      },
    });
    cell.#current = first;
    cell.#quiet = first === undefined;
    try {
      actor.start();
    } finally {
      cell.#current = undefined;
      cell.#quiet = false;
    }
    if (actor.getSnapshot().status === 'error') {
      const error = (actor.getSnapshot() as { error?: unknown }).error ?? cell.failure;
      if (stored) throw new SnapshotRestoreError(component.name, key, (snapshot as { value?: unknown })?.value, error);
      // A fresh actor that fails on start fails the event that created it.
      cell.failure = error;
    }
    return cell;
  }

  /**
   * Sends one event to the actor. Returns false if processing failed (an action or guard
   * threw, or the actor ended in status `error`); the failure is in `failure`.
   */
  process(envelope: Envelope): boolean {
    if (this.failure !== undefined) return false;
    // Object.assign, not a spread: a spread followed by a new field is ten times slower in V8.
    const delivered = Object.assign({}, envelope.event) as StoredEvent & { meta: EventMeta };
    delivered.meta = { seq: envelope.seq, id: envelope.id, topic: envelope.topic, key: envelope.key, time: envelope.time };
    this.#current = envelope;
    try {
      this.actor.send(delivered);
    } catch (error) {
      this.failure = error;
    } finally {
      this.#current = undefined;
    }
    if (this.failure === undefined) {
      const snapshot = this.actor.getSnapshot() as { status: string; error?: unknown };
      if (snapshot.status === 'error') this.failure = snapshot.error ?? new Error('actor ended in status error');
    }
    if (this.failure !== undefined) return false;
    this.lastSeq = envelope.seq;
    this.uncommitted.push(envelope);
    return true;
  }

  /** The persisted snapshot as JSON, with the seq it reflects. */
  persist(): StoredSnapshot {
    return {
      key: this.key ?? '',
      version: this.#component.version,
      seq: this.lastSeq,
      snapshot: JSON.stringify(this.actor.getPersistedSnapshot()),
    };
  }

  /** Forgets what was checkpointed. `dirty` is the host's mark that the cell is in its commit list. */
  committed(): void {
    this.dirty = false;
    this.uncommitted = [];
    this.emitted = [];
  }

  stop(): void {
    this.#quiet = true;
    this.actor.stop();
  }

  #onEmit(event: StoredEvent): void {
    // Outside processing (a child finished, say), the emit is attributed to the last event
    // under "async": a child re-run after a restore then emits the same id, and is dropped.
    const source = this.#current;
    const seq = source ? source.seq : this.lastSeq;
    const slot = source ? seq : -seq - 1;
    if (slot !== this.#emitSeq) {
      this.#emitSeq = slot;
      this.#emitIndex = 0;
    }
    const n = this.#emitIndex++;
    let payload = event;
    if ('meta' in event) {
      // An emit that forwards a delivered event carries its meta: the log adds its own.
      const { meta: _meta, ...rest } = event as StoredEvent & { meta?: unknown };
      payload = rest as StoredEvent;
    }
    const component = this.#component;
    try {
      const prepared = prepareAppend(
        {
          topic: component.topicOf(payload as StoredEvent),
          event: payload,
          key: component.emittedKeyOf(payload as StoredEvent, this.key),
          id: `${component.name}/${this.key ?? '_'}/${seq}/${source ? n : `async/${n}`}`,
          causation: source?.id,
          correlationId: source ? (source.correlationId ?? source.id) : undefined,
        },
        this.#owner.maxPayloadBytes,
      );
      this.emitted.push(prepared);
      if (!source) this.#owner.changedOutsideProcessing(this);
    } catch (error) {
      if (source) this.failure = error;
      else this.#owner.emitRefused(this, error);
    }
  }
}
