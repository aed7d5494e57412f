import { type Actor, type AnyActorLogic, createActor } from 'xstate';
import type { Clock } from '../clock.ts';
import type { StoredSnapshot } from '../css/consumer-store.ts';
import type { Envelope, EventMeta, PreparedAppend, StoredEvent } from '../envelope.ts';
import { prepareAppend } from '../envelope.ts';
import { SnapshotRestoreError } from '../errors.ts';
import { restorableSnapshot } from './compatibility.ts';
import type { Component } from './component.ts';
import { DurableTimers, type PendingTimer, type StoredTimer } from './durable-timers.ts';

/** What a cell reports to its host. */
export interface CellOwner {
  /** A cell's actor changed outside event processing (a child finished, say): commit it soon. */
  changedOutsideProcessing(cell: ActorCell): void;
  /** An event emitted outside processing could not be published (bad topic, too large). */
  emitRefused(cell: ActorCell, error: unknown): void;
  /** One of the cell's delayed events fell due; the host applies it in turn. */
  timerDue(cell: ActorCell, timer: PendingTimer): void;
  readonly maxPayloadBytes: number;
}

/** What the actor is processing: its emitted events get ids under `idPrefix`. */
interface Source {
  idPrefix: string;
  causation: string | undefined;
  correlationId: string | undefined;
}

/**
 * One live actor of a component (the singleton, or one key of a keyed component), with what
 * it did since its last checkpoint: the events it processed and the events it emitted.
 */
export class ActorCell {
  readonly key: string | undefined;
  readonly actor: Actor<AnyActorLogic>;
  readonly timers: DurableTimers;
  /** Seq of the last event this actor processed. */
  lastSeq: number;
  lastActive: number;
  /** The host's mark that the cell is in its commit list. */
  dirty = false;
  /** Events processed since the last checkpoint, replayed if a later one fails. */
  uncommitted: Envelope[] = [];
  /** Events emitted since the last checkpoint, with their deterministic ids. */
  emitted: PreparedAppend[] = [];
  /** The failure of the event being processed, if the actor errored. */
  failure: unknown;
  #current: Source | undefined;
  /** Set while the actor starts or stops: those snapshot changes are not the actor's doing. */
  #quiet = false;
  #emitSlot = '';
  #emitIndex = 0;
  readonly #component: Component;
  readonly #owner: CellOwner;

  private constructor(
    component: Component,
    owner: CellOwner,
    key: string | undefined,
    actor: Actor<AnyActorLogic>,
    timers: DurableTimers,
    lastSeq: number,
    now: number,
  ) {
    this.#component = component;
    this.#owner = owner;
    this.key = key;
    this.actor = actor;
    this.timers = timers;
    this.lastSeq = lastSeq;
    this.lastActive = now;
  }

  /**
   * Creates the actor for `key` from its stored snapshot, or fresh if there is none. A fresh
   * actor starts while `first` is being processed, so what its entry actions emit or schedule
   * is attributed to that event. A restored actor gets its pending delayed events back.
   */
  static open(
    component: Component,
    owner: CellOwner,
    clock: Clock,
    key: string | undefined,
    stored: StoredSnapshot | undefined,
    first: Envelope | undefined,
  ): ActorCell {
    const snapshot = stored ? restorableSnapshot(component, key, stored) : undefined;
    let cell: ActorCell | undefined;
    const timers = new DurableTimers(clock, (timer) => {
      if (cell) owner.timerDue(cell, timer);
    });
    const actor = createActor(component.logic, {
      clock: timers.clock,
      input: component.inputOf(key),
      ...(snapshot === undefined ? {} : { snapshot: snapshot as never }),
    });
    timers.attach(actor);
    const opened = new ActorCell(component, owner, key, actor, timers, stored?.seq ?? 0, clock.now());
    cell = opened;
    actor.on('*', (event) => opened.#onEmit(event as StoredEvent));
    actor.subscribe({
      next: () => {
        if (opened.#current === undefined && !opened.#quiet) owner.changedOutsideProcessing(opened);
      },
      error: (error) => {
        opened.failure = error;
      },
    });
    if (first) {
      opened.#current = opened.#sourceOf(first);
      timers.scheduledBy(first.seq, first.id);
    }
    opened.#quiet = first === undefined;
    try {
      actor.start();
      if (stored?.timers) timers.restore(JSON.parse(stored.timers) as StoredTimer[]);
    } finally {
      opened.#current = undefined;
      opened.#quiet = false;
    }
    if (actor.getSnapshot().status === 'error') {
      const error = (actor.getSnapshot() as { error?: unknown }).error ?? opened.failure;
      if (stored) throw new SnapshotRestoreError(component.name, key, (snapshot as { value?: unknown })?.value, error);
      // A fresh actor that fails on start fails the event that created it.
      opened.failure = error;
    }
    return opened;
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
    this.timers.scheduledBy(envelope.seq, envelope.id);
    if (!this.#run(this.#sourceOf(envelope), () => this.actor.send(delivered))) return false;
    this.lastSeq = envelope.seq;
    this.uncommitted.push(envelope);
    return true;
  }

  /** Delivers a due delayed event. What it emits gets ids under `component/key/timer/<seq>/<id>`. */
  fireTimer(timer: PendingTimer): boolean {
    if (this.failure !== undefined) return false;
    const { scheduledSeq, id, causation } = timer.stored;
    const source: Source = { idPrefix: `${this.#component.name}/${this.key ?? '_'}/timer/${scheduledSeq}/${id}`, causation, correlationId: causation };
    return this.#run(source, () => this.timers.fire(timer));
  }

  /** The persisted snapshot as JSON, with the seq it reflects and the delayed events still pending. */
  persist(): StoredSnapshot {
    const timers = this.timers.stored();
    return {
      key: this.key ?? '',
      version: this.#component.version,
      seq: this.lastSeq,
      snapshot: JSON.stringify(this.actor.getPersistedSnapshot()),
      timers: timers.length > 0 ? JSON.stringify(timers) : null,
    };
  }

  /** Forgets what was checkpointed. */
  committed(): void {
    this.dirty = false;
    this.uncommitted = [];
    this.emitted = [];
  }

  stop(): void {
    this.#quiet = true;
    this.actor.stop();
  }

  #sourceOf(envelope: Envelope): Source {
    return {
      idPrefix: `${this.#component.name}/${this.key ?? '_'}/${envelope.seq}`,
      causation: envelope.id,
      correlationId: envelope.correlationId ?? envelope.id,
    };
  }

  #run(source: Source, work: () => void): boolean {
    this.#current = source;
    try {
      work();
    } catch (error) {
      this.failure = error;
    } finally {
      this.#current = undefined;
    }
    if (this.failure === undefined) {
      const snapshot = this.actor.getSnapshot() as { status: string; error?: unknown };
      if (snapshot.status === 'error') this.failure = snapshot.error ?? new Error('actor ended in status error');
    }
    return this.failure === undefined;
  }

  #onEmit(event: StoredEvent): void {
    // Outside processing (a child finished, say), the emit is attributed to the last event
    // under "async": a child re-run after a restore then emits the same id, and is dropped.
    const source = this.#current;
    const prefix = source ? source.idPrefix : `${this.#component.name}/${this.key ?? '_'}/${this.lastSeq}/async`;
    if (prefix !== this.#emitSlot) {
      this.#emitSlot = prefix;
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
          topic: component.topicOf(payload),
          event: payload,
          key: component.emittedKeyOf(payload, this.key),
          id: `${prefix}/${n}`,
          causation: source?.causation,
          correlationId: source?.correlationId,
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
