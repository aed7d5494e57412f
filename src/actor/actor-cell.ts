import type { Context } from '@opentelemetry/api';
import { type Actor, type AnyActorLogic, createActor } from 'xstate';
import type { Clock } from '../clock.ts';
import { restorableSnapshot } from '../component/compatibility.ts';
import type { Component } from '../component/component.ts';
import type { StoredSnapshot } from '../css/consumer-store.ts';
import type { Envelope, EventMeta, PreparedAppend, StoredEvent } from '../envelope.ts';
import { prepareAppend } from '../envelope.ts';
import { InlineSpawnError, SnapshotRestoreError } from '../errors.ts';
import { actorIdOf, inspectActor } from '../inspect/actor-inspection.ts';
import type { InspectionListener } from '../inspect/inspect-option.ts';
import { emitSpan } from '../tracing/emit-span.ts';
import { processContextOf } from '../tracing/process-span.ts';
import { type CarriedOutcomes, ChildJournal, type JournalLink, type SettledChild, type SourceTag } from './child-journal.ts';
import { DurableTimers, type PendingTimer, type StoredTimer, type TimerCause, timerTag } from './durable-timers.ts';

/** What a cell reports to its host. */
export interface CellOwner {
  /** A cell's actor changed outside event processing (a child finished, say): commit it soon. */
  changedOutsideProcessing(cell: ActorCell): void;
  /** An event emitted outside processing could not be published (bad topic, too large). */
  emitRefused(cell: ActorCell, error: unknown): void;
  /** One of the cell's delayed events fell due; the host applies it in turn. */
  timerDue(cell: ActorCell, timer: PendingTimer): void;
  readonly maxPayloadBytes: number;
  /** Where the system's `inspect` option streams every actor's inspection events, if it has one. */
  readonly inspect?: InspectionListener | undefined;
}

/**
 * What the actor is processing: its emitted events get ids under `idPrefix`
 * (`component/key/<tag>`), and the children it invokes journal ids under `tag`.
 */
interface Source extends SourceTag, TimerCause {
  idPrefix: string;
  /** The process span of the event being applied: what the actor emits is traced as its child. */
  trace?: Context | undefined;
}

/** What a cell reads the journal through: the committed outcomes of its consumer's children. */
export type JournalLookup = JournalLink['lookup'];

/**
 * One live actor of a component (the singleton, or one key of a keyed component), with what
 * it did since its last checkpoint: the events it processed and the events it emitted.
 */
export class ActorCell {
  readonly key: string | undefined;
  readonly actor: Actor<AnyActorLogic>;
  readonly timers: DurableTimers;
  /** The outcomes of the actor's invoked children. */
  readonly journal: ChildJournal;
  /** Seq of the last event this actor processed. */
  lastSeq: number;
  lastActive: number;
  /** The host's mark that the cell is in its commit list. */
  dirty = false;
  /** True when the actor came from a stored snapshot, false when it started fresh. */
  restored = false;
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
    journal: ChildJournal,
    lastSeq: number,
    now: number,
  ) {
    this.#component = component;
    this.#owner = owner;
    this.key = key;
    this.actor = actor;
    this.timers = timers;
    this.journal = journal;
    this.lastSeq = lastSeq;
    this.lastActive = now;
  }

  /**
   * Creates the actor for `key` from its stored snapshot, or fresh if there is none. A fresh
   * actor starts while `first` is being processed, so what its entry actions emit or schedule
   * is attributed to that event. A restored actor gets its pending delayed events back; its
   * invoked children find their outcomes through `lookup` (and in `carried`, after a rollback).
   */
  static open(
    component: Component,
    owner: CellOwner,
    clock: Clock,
    key: string | undefined,
    stored: StoredSnapshot | undefined,
    first: Envelope | undefined,
    lookup: JournalLookup,
    carried?: CarriedOutcomes,
  ): ActorCell {
    const snapshot = stored ? restorableSnapshot(component, key, stored) : undefined;
    let cell: ActorCell | undefined;
    const timers = new DurableTimers(
      clock,
      (timer) => {
        if (cell) owner.timerDue(cell, timer);
      },
      (timer) => (cell ? cell.#awaitJournaledFiring(timer) : false),
    );
    const journal = new ChildJournal(
      {
        prefix: `${component.name}/${key ?? '_'}`,
        key: key ?? '',
        current: () =>
          (cell ? cell.#current : undefined) ?? { tag: `${cell?.lastSeq ?? stored?.seq ?? 0}/async`, causation: undefined, correlationId: undefined },
        lastSeq: () => cell?.lastSeq ?? stored?.seq ?? 0,
        lookup,
        settled: (child) => {
          if (cell) owner.timerDue(cell, outcomeItem(child, cell.lastSeq));
        },
      },
      carried,
    );
    if (stored) journal.restored(snapshot, stored.seq);
    const actor = createActor(component.logic, {
      id: actorIdOf(component.name, key),
      clock: timers.clock,
      inspect: journal.inspect,
      input: component.inputOf(key),
      ...(snapshot === undefined ? {} : { snapshot: snapshot as never }),
    });
    if (owner.inspect) inspectActor(actor, owner.inspect);
    timers.attach(actor);
    const opened = new ActorCell(component, owner, key, actor, timers, journal, stored?.seq ?? 0, clock.now());
    cell = opened;
    opened.restored = stored !== undefined;
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
      timers.scheduledBy(opened.#current);
    }
    opened.#quiet = first === undefined;
    try {
      actor.start();
      if (stored?.timers) timers.restore(JSON.parse(stored.timers) as StoredTimer[]);
      if (opened.failure === undefined) opened.#refuseInlineSpawn();
      if (opened.failure === undefined && journal.hasWaiting) opened.#deliverJournaled(opened.lastSeq);
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
    // Journaled outcomes first delivered before this event (a replay) come before it again.
    if (this.journal.hasWaiting && !this.#deliverJournaled(envelope.seq - 1)) return false;
    if (!this.#run(this.#sourceOf(envelope), () => this.actor.send(delivered))) return false;
    this.lastSeq = envelope.seq;
    this.uncommitted.push(envelope);
    return !this.journal.hasWaiting || this.#deliverJournaled(envelope.seq);
  }

  /**
   * Delivers a due delayed event, journaled with the next checkpoint. What it emits gets ids
   * under `component/key/<its timerTag>`, and is traced as a child of `trace` (the firing's span).
   */
  fireTimer(timer: PendingTimer, trace?: Context): boolean {
    if (this.failure !== undefined) return false;
    const tag = timerTag(timer.stored);
    const { causation } = timer.stored;
    const source = this.#sourceOfTag({ tag, causation, correlationId: causation });
    source.trace = trace;
    if (!this.#run(source, () => this.timers.fire(timer))) return false;
    this.journal.fired(tag);
    return !this.journal.hasWaiting || this.#deliverJournaled(this.lastSeq);
  }

  /**
   * Delivers a settled child's outcome to its parent, journaled with the next checkpoint. What
   * that emits gets ids under `component/key/<the child's journal id>/done`. False if it failed.
   */
  deliverOutcome(child: SettledChild): boolean {
    if (this.failure !== undefined) return false;
    const source = this.#sourceOfTag(this.journal.outcomeTag(child.effect));
    if (!this.#run(source, () => this.journal.deliverSettled(child))) return false;
    return !this.journal.hasWaiting || this.#deliverJournaled(this.lastSeq);
  }

  /** True while the actor has work outside its events: delayed events, or children that have not settled. */
  get hasPendingWork(): boolean {
    return this.timers.pending.size > 0 || this.journal.busy;
  }

  /** The persisted snapshot as JSON, with the seq it reflects and the delayed events still pending. */
  persist(): StoredSnapshot {
    const timers = this.timers.stored();
    return {
      key: this.key ?? '',
      version: this.#component.version,
      seq: this.lastSeq,
      snapshot: JSON.stringify(this.journal.persisted(this.actor.getPersistedSnapshot())),
      // An empty list still marks the actor as one to restore at start: its children must run again.
      timers: timers.length > 0 || this.journal.busy ? JSON.stringify(timers) : null,
    };
  }

  /** Forgets what was checkpointed. */
  committed(): void {
    this.dirty = false;
    this.uncommitted = [];
    this.emitted = [];
    this.journal.committed();
  }

  stop(): void {
    this.#quiet = true;
    this.journal.stopping();
    this.actor.stop();
  }

  #sourceOf(envelope: Envelope): Source {
    const tag = String(envelope.seq);
    return {
      tag,
      idPrefix: `${this.#component.name}/${this.key ?? '_'}/${tag}`,
      causation: envelope.id,
      correlationId: envelope.correlationId ?? envelope.id,
      seq: envelope.seq,
      trace: processContextOf(envelope),
    };
  }

  /** An outcome or a timer firing: the timers it sets are named after it. */
  #sourceOfTag(source: SourceTag): Source {
    return { ...source, idPrefix: `${this.#component.name}/${this.key ?? '_'}/${source.tag}`, seq: this.lastSeq, cause: source.tag };
  }

  /**
   * Delivers the journaled outcomes and timer firings first delivered once the actor had processed
   * through `seq`, in the order they first arrived, those that the delivered ones invoke or set included.
   */
  #deliverJournaled(seq: number): boolean {
    for (let waiting = this.journal.nextDue(seq); waiting; waiting = this.journal.nextDue(seq)) {
      const delivering = waiting;
      if (!this.#run(this.#sourceOfTag(delivering.source), () => this.journal.deliverJournaled(delivering))) return false;
    }
    return true;
  }

  /** A timer whose firing is journaled waits in the journal for its point of history, not for the clock. */
  #awaitJournaledFiring(timer: PendingTimer): boolean {
    const { stored } = timer;
    const fire = () => this.timers.fire(timer);
    return this.journal.awaitFiring(timerTag(stored), stored.causation, fire, () => !timer.cancelled && this.timers.pending.has(timer));
  }

  /** A child spawned from inline logic cannot be restored: refuse it before any snapshot holds it. */
  #refuseInlineSpawn(): void {
    const child = this.journal.inlineSpawn;
    if (child) this.failure = new InlineSpawnError(this.#component.name, this.key, this.actor.getSnapshot().value, child.id);
  }

  #run(source: Source, work: () => void): boolean {
    this.#current = source;
    this.timers.scheduledBy(source);
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
      else this.#refuseInlineSpawn();
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
      const trace = emitSpan(source?.trace, prepared, component.name);
      if (trace) prepared.trace = trace;
      this.emitted.push(prepared);
      if (!source) this.#owner.changedOutsideProcessing(this);
    } catch (error) {
      if (source) this.failure = error;
      else this.#owner.emitRefused(this, error);
    }
  }
}

/** A settled child's outcome as the inbox carries it: like a delayed event that is due now. */
function outcomeItem(child: SettledChild, seq: number): PendingTimer {
  return {
    stored: {
      id: child.effect.id,
      source: [],
      target: [child.ref.id],
      event: { type: 'recq.child.outcome' },
      due: 0,
      scheduledSeq: seq,
      causation: child.effect.causation,
    },
    fire: () => {},
    handle: undefined,
    cancelled: false,
    child,
  };
}
