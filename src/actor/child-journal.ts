import type { AnyActorLogic, AnyActorRef, EventObject, InspectionEvent } from 'xstate';
import { setIdempotencyKey } from './idempotency-key.ts';
import { childDone, childEvent, childNext, type EffectRef, type InputDraft, type InputRecord } from './input-records.ts';
import { compactTag, errorJson, outputJson, reviveError } from './journal-values.ts';

/** The private event that makes a child settle with the outcome its record holds. */
const OUTCOME_EVENT = 'recq.child.outcome';
/** XState's event for an observable's value. */
const OBSERVABLE_NEXT = 'xstate.observable.next';
/** Marks an observable's value that comes from its record, so it is taken in rather than recorded. */
const RECORDED = Symbol('recq.recorded');
/** Where a child's effect id (and how many events it has sent) travels in its persisted snapshot, so a restored child keeps them. */
const EFFECT_FIELD = 'recqEffect';

/** What an invoked child's records are named after: its effect id (also its idempotency key), and the event that invoked it. */
export interface Effect extends EffectRef {
  /** `component/key/<tag>/invoke/<child path>/<n>`. */
  id: string;
}

/** What is being processed, as the cell tells it: the tag of its ids, and its causation. */
export interface SourceTag {
  tag: string;
  causation: string | undefined;
  correlationId: string | undefined;
}

/** What a journal asks of the cell it serves. */
export interface JournalLink {
  /** `component/key` of the cell's actor. */
  prefix: string;
  /** The source being processed (`<seq>/async` outside processing). */
  current(): SourceTag;
  /** True while the consumer catches up with the log: a child created then is not started, its records may lie ahead. */
  held(): boolean;
  /** A child settled, sent an event, or emitted a value: append its record, which brings it to the actor in turn. */
  record(draft: InputDraft, valid: () => boolean): void;
}

/** The snapshot fields every non-machine logic has (promise, callback, observable). */
interface ChildSnapshot {
  status: 'active' | 'done' | 'error' | 'stopped';
  output?: unknown;
  error?: unknown;
  input?: unknown;
}

type AnyScope = Parameters<AnyActorLogic['transition']>[2];

interface OutcomeEvent extends EventObject {
  outcome: 'done' | 'error';
  value: string | null;
}

/** What the journal keeps of each child it adopted. */
interface Child {
  ref: AnyActorRef;
  effect: Effect;
  /**
   * Events or values it has sent (recorded, or taken in from the log): the next one's number. A
   * child started again after a crash (with the same idempotency key) numbers on from there:
   * what it sends then is new input, as a promise called again is a new call.
   */
  sent: number;
  /** Its logic ran (`start`): it is doing its work, not only waiting for records. */
  started: boolean;
  /** Its outcome is recorded and on its way: it is not started again, and waits for the record. */
  settled: boolean;
  /** Starts its logic (the snapshot and scope it was created with), once the consumer is caught up. */
  start?: () => void;
}

/**
 * The journal of one actor's invoked children (promises, callbacks, observables; child machines
 * are state, not effects). It sees every child as XState creates it and wraps its logic. What a
 * child does that changes the actor (its outcome, an event it sends back, an observable's value)
 * is not given to the actor as it happens: it is recorded in the log (an input record), and the
 * actor takes it in when the record comes back in seq order, so a replay, a restart or another
 * machine rebuilding the actor from the log meets it at the same point and in the same form. A
 * child created while the consumer catches up is not started: what it did is in the log ahead,
 * and if its outcome is not, it starts once the consumer is caught up, with the same idempotency key.
 *
 * Use: pass `inspect` to `createActor`; it hooks the actor system before any child is created.
 */
export class ChildJournal {
  /** The first child created from inline logic (a spawn of a logic object), which no snapshot can restore. */
  inlineSpawn: AnyActorRef | undefined;
  readonly #link: JournalLink;
  readonly #children = new Map<AnyActorRef, Child>();
  readonly #byEffect = new Map<string, Child>();
  /** Effects whose outcome a rolled-back actor recorded: their children are not invoked again. */
  readonly #carried: Set<string>;
  #root: AnyActorRef | undefined;
  #countTag = '';
  readonly #counts = new Map<string, number>();
  #stopping = false;

  constructor(link: JournalLink, carried: readonly string[] = []) {
    this.#link = link;
    this.#carried = new Set(carried);
  }

  /**
   * The `inspect` option of the cell's `createActor`. XState announces each actor it creates
   * (`@xstate.actor`) before initializing it; the root's announcement comes first, and from then
   * on the system's announcer is replaced, so no inspection event is built for anything else.
   */
  readonly inspect = (event: InspectionEvent): void => {
    if (this.#root) return;
    const root = event.actorRef as AnyActorRef;
    this.#root = root;
    const system = root.system as unknown as { _sendInspectionEvent: (event: InspectionEvent) => void };
    system._sendInspectionEvent = (announced) => {
      if (announced.type === '@xstate.actor' && announced.actorRef !== root) this.#adopt(announced.actorRef as AnyActorRef);
    };
  };

  /** True while a child is active: it runs, waits to start, or waits for its outcome's record. The actor must stay in memory. */
  get busy(): boolean {
    for (const child of this.#children.values()) if (child.ref.getSnapshot().status === 'active') return true;
    return false;
  }

  /** The effects whose outcome is recorded but not yet taken in: a rolled-back actor's replacement does not invoke them again. */
  carry(): string[] {
    return [...this.#children.values()].filter((child) => child.settled).map((child) => child.effect.id);
  }

  /** The actor stops as a whole (passivation, shutdown, rollback): its children's stops are no outcome. */
  stopping(): void {
    this.#stopping = true;
  }

  /** The consumer caught up with the log: the children created meanwhile whose outcome it did not hold start now. */
  release(): void {
    for (const child of [...this.#children.values()]) {
      if (child.started || child.settled || !child.start || child.ref.getSnapshot().status !== 'active') continue;
      child.start();
    }
  }

  /** The source tag under which a record of `effect` is taken in: what that emits gets ids under it. */
  recordTag(effect: Effect, what: string): SourceTag {
    return { tag: compactTag(`${effect.id.slice(this.#link.prefix.length + 1)}/${what}`), causation: effect.causation, correlationId: effect.correlationId };
  }

  /** The source a record of a child's is taken in under, or undefined if the record names no child of this actor. */
  sourceOf(record: Exclude<InputRecord, { type: 'recq.timer.fired' }>): SourceTag | undefined {
    const child = this.#byEffect.get(record.child);
    if (!child) return undefined;
    return this.recordTag(
      child.effect,
      record.type === 'recq.child.done' ? 'done' : record.type === 'recq.child.event' ? `event/${record.n}` : `next/${record.n}`,
    );
  }

  /**
   * Takes in a child's record (the caller runs this as processing): its outcome settles it, its
   * event goes to its parent, its value to it. False if the record names no child that is still
   * active here (it was stopped first, in this run as in the first): then it changes nothing.
   */
  take(record: Exclude<InputRecord, { type: 'recq.timer.fired' }>): boolean {
    const child = this.#byEffect.get(record.child);
    if (child?.ref.getSnapshot().status !== 'active') return false;
    switch (record.type) {
      case 'recq.child.done':
        child.settled = true;
        child.ref.send({ type: OUTCOME_EVENT, outcome: record.outcome, value: record.value } as OutcomeEvent);
        return true;
      case 'recq.child.event': {
        child.sent = Math.max(child.sent, record.n + 1);
        const parent = (child.ref as unknown as { _parent?: AnyActorRef })._parent;
        if (parent) relayOf(child.ref)(child.ref, parent, record.event);
        return true;
      }
      case 'recq.child.next':
        child.sent = Math.max(child.sent, record.n + 1);
        child.ref.send({ type: OBSERVABLE_NEXT, data: record.value === null ? undefined : JSON.parse(record.value), [RECORDED]: true });
        return true;
    }
  }

  #adopt(ref: AnyActorRef): void {
    const child = ref as unknown as { src: unknown; logic: AnyActorLogic };
    if (typeof child.src !== 'string') this.inlineSpawn ??= ref;
    const logic = child.logic;
    // Child machines are state (restored from the snapshot); their own children are adopted here too.
    if ('root' in logic || typeof logic.start !== 'function') return;
    child.logic = this.#wrap(logic, ref);
  }

  #wrap(inner: AnyActorLogic, ref: AnyActorRef): AnyActorLogic {
    return {
      ...inner,
      getInitialSnapshot: (scope, input) => {
        this.#bind(ref, this.#name(ref), 0);
        return inner.getInitialSnapshot(scope, input);
      },
      restoreSnapshot: (persisted, scope) => {
        const { [EFFECT_FIELD]: effect, ...rest } = persisted as Record<string, unknown>;
        if (isEffect(effect)) this.#bind(ref, { id: effect.id, causation: effect.causation, correlationId: effect.correlationId }, effect.sent ?? 0);
        else this.#bind(ref, this.#name(ref), 0);
        return inner.restoreSnapshot ? inner.restoreSnapshot(rest as never, scope) : rest;
      },
      getPersistedSnapshot: (snapshot, options) => {
        const persisted = inner.getPersistedSnapshot(snapshot, options) as Record<string, unknown>;
        const child = this.#children.get(ref);
        return child && (snapshot as ChildSnapshot).status === 'active' ? { ...persisted, [EFFECT_FIELD]: { ...child.effect, sent: child.sent } } : persisted;
      },
      transition: (snapshot, event, scope) => this.#transition(inner, ref, snapshot as ChildSnapshot, event, scope as AnyScope),
      start: (snapshot, scope) => this.#start(inner, ref, snapshot as ChildSnapshot, scope as AnyScope),
    } as AnyActorLogic;
  }

  #bind(ref: AnyActorRef, effect: Effect, sent: number): void {
    const child: Child = { ref, effect, sent, started: false, settled: this.#carried.has(effect.id) };
    this.#children.set(ref, child);
    this.#byEffect.set(effect.id, child);
    setIdempotencyKey(ref, effect.id);
  }

  /** A deterministic id: the source being processed, the child's path, and how many times that path started in it. */
  #name(ref: AnyActorRef): Effect {
    const source = this.#link.current();
    const path: string[] = [];
    for (let r: AnyActorRef | undefined = ref; r && r !== this.#root; r = (r as unknown as { _parent?: AnyActorRef })._parent) path.unshift(r.id);
    const slot = `${source.tag}/invoke/${path.join('/')}`;
    if (source.tag !== this.#countTag) {
      this.#countTag = source.tag;
      this.#counts.clear();
    }
    const n = this.#counts.get(slot) ?? 0;
    this.#counts.set(slot, n + 1);
    return { id: `${this.#link.prefix}/${slot}/${n}`, causation: source.causation, correlationId: source.correlationId };
  }

  #start(inner: AnyActorLogic, ref: AnyActorRef, snapshot: ChildSnapshot, scope: AnyScope): void {
    const child = this.#children.get(ref);
    if (snapshot.status !== 'active' || !child) {
      inner.start?.(snapshot as never, scope as never);
      return;
    }
    child.start = () => {
      child.started = true;
      try {
        // Its snapshot now: a held observable may have taken in values since it was created.
        inner.start?.(child.ref.getSnapshot() as never, this.#recordingScope(child, scope) as never);
      } catch (error) {
        // XState would put the child in error at once; here that outcome is recorded like any other.
        this.#settle(child, 'error', errorJson(error));
      }
    };
    // Its outcome is recorded already (a rolled-back actor's), or may be in the log ahead: it waits.
    if (child.settled || this.#link.held()) return;
    child.start();
  }

  /** The scope a child's logic runs with: what a callback child sends back to its parent is recorded, not sent. */
  #recordingScope(child: Child, scope: AnyScope): AnyScope {
    const system = scope.system as unknown as { _relay: (source: AnyActorRef, target: AnyActorRef, event: EventObject) => void };
    const recording = Object.create(system, {
      _relay: {
        value: (source: AnyActorRef, target: AnyActorRef, event: EventObject) => {
          if (source !== child.ref || target === child.ref) return system._relay(source, target, event);
          this.#link.record(childEvent(child.effect, child.sent++, event), () => child.ref.getSnapshot().status === 'active');
        },
      },
    });
    return { ...scope, system: recording } as AnyScope;
  }

  #transition(inner: AnyActorLogic, ref: AnyActorRef, snapshot: ChildSnapshot, event: EventObject, scope: AnyScope): ChildSnapshot {
    const child = this.#children.get(ref);
    if (event.type === OUTCOME_EVENT) return settledSnapshot(snapshot, event as OutcomeEvent);
    // A child that never started has nothing to stop, and receives nothing: what it did is in the log.
    if (child && !child.started && snapshot.status === 'active') {
      if (event.type === OBSERVABLE_NEXT && (event as { [RECORDED]?: boolean })[RECORDED])
        return inner.transition(snapshot as never, event, scope as never) as ChildSnapshot;
      if (event.type !== 'xstate.stop') return snapshot;
      this.#forget(child);
      return { ...snapshot, status: 'stopped', input: undefined };
    }
    if (child && snapshot.status === 'active' && event.type === OBSERVABLE_NEXT && !(event as { [RECORDED]?: boolean })[RECORDED]) {
      const value = outputJson((event as { data?: unknown }).data);
      if (value.outcome === 'done') this.#link.record(childNext(child.effect, child.sent++, value.value), () => ref.getSnapshot().status === 'active');
      else this.#settle(child, 'error', value.value);
      return snapshot;
    }
    const next = inner.transition(snapshot as never, event, scope as never) as ChildSnapshot;
    if (!child || snapshot.status !== 'active' || next.status === 'active') return next;
    if (next.status === 'done' || next.status === 'error') {
      // Held active until its outcome's record comes back.
      if (!child.settled) {
        const value = next.status === 'done' ? outputJson(next.output) : { outcome: 'error' as const, value: errorJson(next.error) };
        this.#settle(child, value.outcome, value.value);
      }
      return snapshot;
    }
    // Stopped by its parent before its outcome was taken in: a later record of it changes nothing.
    this.#forget(child);
    return next;
  }

  #settle(child: Child, outcome: 'done' | 'error', value: string | null): void {
    child.settled = true;
    this.#link.record(childDone(child.effect, outcome, value), () => child.ref.getSnapshot().status === 'active');
  }

  #forget(child: Child): void {
    if (this.#stopping) return;
    this.#children.delete(child.ref);
    this.#byEffect.delete(child.effect.id);
  }
}

/** The system's own relay, beneath any recording scope. */
function relayOf(ref: AnyActorRef): (source: AnyActorRef, target: AnyActorRef, event: EventObject) => void {
  const system = ref.system as unknown as { _relay: (source: AnyActorRef, target: AnyActorRef, event: EventObject) => void };
  return (source, target, event) => system._relay(source, target, event);
}

function settledSnapshot(snapshot: ChildSnapshot, event: OutcomeEvent): ChildSnapshot {
  if (event.outcome === 'done') return { ...snapshot, status: 'done', output: event.value === null ? undefined : JSON.parse(event.value), input: undefined };
  return { ...snapshot, status: 'error', error: reviveError(event.value), input: undefined };
}

function isEffect(value: unknown): value is Effect & { sent?: number } {
  return typeof value === 'object' && value !== null && typeof (value as Effect).id === 'string';
}
