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
import { isInputTopic } from '../topic.ts';
import { emitSpan } from '../tracing/emit-span.ts';
import { processContextOf } from '../tracing/process-span.ts';
import { timerSpan } from '../tracing/timer-span.ts';
import { ChildJournal, type SourceTag } from './child-journal.ts';
import { DurableTimers, type StoredTimer, type TimerCause, timerTag } from './durable-timers.ts';
import { childDone, type InputDraft, inputRecordOf, timerFired } from './input-records.ts';

/** What a cell reports to its host. */
export interface CellOwner {
  /** A cell's actor changed outside event processing (a child finished, say): commit it soon. */
  changedOutsideProcessing(cell: ActorCell): void;
  /** An event emitted outside processing could not be published (bad topic, too large). */
  emitRefused(cell: ActorCell, error: unknown): void;
  /**
   * Something happened to the cell's actor outside its events (a timer fell due, a child settled
   * or sent an event): the host appends its input record to the log, and the actor takes it in
   * when the record comes back. `valid` says, when a held record is about to be appended,
   * whether it still applies. Throws if the record cannot be published (not JSON, too large).
   */
  record(cell: ActorCell, draft: InputDraft, valid: () => boolean): void;
  /** True while the consumer catches up with the log: children are not started, what they did is in the log ahead. */
  readonly holdsEffects: boolean;
  readonly maxPayloadBytes: number;
  /** The consumer the cell's actor belongs to, as traces name it. */
  readonly consumer: string;
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

/**
 * One live actor of a component (the singleton, or one key of a keyed component), with what
 * it did since its last checkpoint: the events it processed and the events it emitted.
 */
export class ActorCell {
  readonly key: string | undefined;
  readonly actor: Actor<AnyActorLogic>;
  readonly timers: DurableTimers;
  /** The actor's invoked children, whose outcomes and events go through the log. */
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
   * is attributed to that event. A restored actor gets its pending delayed events back. After a
   * rollback, `carried` names the children whose outcome the failed actor recorded: they are
   * not invoked again, their records are on their way.
   */
  static open(
    component: Component,
    owner: CellOwner,
    clock: Clock,
    key: string | undefined,
    stored: StoredSnapshot | undefined,
    first: Envelope | undefined,
    carried?: readonly string[],
  ): ActorCell {
    const snapshot = stored ? restorableSnapshot(component, key, stored) : undefined;
    const prefix = `${component.name}/${key ?? '_'}`;
    let cell: ActorCell | undefined;
    const timers = new DurableTimers(clock, (timer) => {
      if (cell)
        cell.#record(timerFired(prefix, timerTag(timer.stored), timer.stored.causation), () => !timer.cancelled && cell?.timers.pending.has(timer) === true);
    });
    const journal = new ChildJournal(
      {
        prefix,
        current: () =>
          (cell ? cell.#current : undefined) ?? { tag: `${cell?.lastSeq ?? stored?.seq ?? 0}/async`, causation: undefined, correlationId: undefined },
        held: () => owner.holdsEffects,
        record: (draft, valid) => {
          if (cell) cell.#record(draft, valid);
        },
      },
      carried,
    );
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
   * Sends one event to the actor, or takes in one of its input records (a timer's firing, a
   * child's outcome or event). Returns false if processing failed (an action or guard threw, or
   * the actor ended in status `error`); the failure is in `failure`.
   */
  process(envelope: Envelope): boolean {
    if (this.failure !== undefined) return false;
    if (isInputTopic(envelope.topic)) {
      if (!this.#takeInput(envelope)) return false;
    } else {
      // Object.assign, not a spread: a spread followed by a new field is ten times slower in V8.
      const delivered = Object.assign({}, envelope.event) as StoredEvent & { meta: EventMeta };
      delivered.meta = { seq: envelope.seq, id: envelope.id, topic: envelope.topic, key: envelope.key, time: envelope.time };
      if (!this.#run(this.#sourceOf(envelope), () => this.actor.send(delivered))) return false;
    }
    this.lastSeq = envelope.seq;
    this.uncommitted.push(envelope);
    return true;
  }

  /**
   * An input record of this actor's, in its turn: a due timer fires (if it is still pending), a
   * child's outcome settles it, its event goes to its parent (if the child is still active).
   * What that emits gets ids under the record's tag (`timer/...`, `<child>/done`, ...), and a
   * firing is traced as the timer's span.
   */
  #takeInput(envelope: Envelope): boolean {
    const record = inputRecordOf(envelope.event);
    if (!record) return true;
    if (record.type === 'recq.timer.fired') {
      const timer = [...this.timers.pending].find((t) => timerTag(t.stored) === record.timer);
      if (!timer) return true;
      const { causation } = timer.stored;
      const source = this.#sourceOfTag({ tag: record.timer, causation, correlationId: causation }, envelope);
      const fired = { consumer: this.#owner.consumer, component: this.#component.name, key: this.key, timer: record.timer, causation };
      return timerSpan(
        fired,
        (trace) => {
          source.trace = trace;
          return this.#run(source, () => this.timers.fire(timer));
        },
        () => this.failure,
      );
    }
    const tag = this.journal.sourceOf(record);
    if (!tag) return true;
    return this.#run(this.#sourceOfTag(tag, envelope), () => this.journal.take(record));
  }

  /** The consumer caught up with the log: children held meanwhile start. */
  release(): void {
    this.journal.release();
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
      snapshot: JSON.stringify(this.actor.getPersistedSnapshot()),
      // An empty list still marks the actor as one to restore at start: its children must run again.
      timers: timers.length > 0 || this.journal.busy ? JSON.stringify(timers) : null,
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
      time: envelope.time,
      trace: processContextOf(envelope),
    };
  }

  /** An input record's: the timers it sets are named after its tag, and due from its time. */
  #sourceOfTag(source: SourceTag, record: Envelope): Source {
    return {
      ...source,
      idPrefix: `${this.#component.name}/${this.key ?? '_'}/${source.tag}`,
      seq: record.seq,
      time: record.time,
      cause: source.tag,
      trace: processContextOf(record),
    };
  }

  /**
   * Hands an input to the host to record. One that cannot be published is refused here: an
   * outcome becomes the child's error, saying why; anything else is dropped, and said.
   */
  #record(draft: InputDraft, valid: () => boolean): void {
    try {
      this.#owner.record(this, draft, valid);
    } catch (error) {
      if (draft.event.type === 'recq.child.done' && draft.event.outcome === 'done') {
        const why = new Error(`the child's output cannot be recorded in the log: ${(error as Error).message}`);
        this.#record(
          childDone(
            { id: draft.event.child, causation: draft.causation, correlationId: draft.correlationId },
            'error',
            JSON.stringify({ error: { name: why.name, message: why.message } }),
          ),
          valid,
        );
        return;
      }
      this.#owner.emitRefused(this, error);
    }
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
