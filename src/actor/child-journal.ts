import type { AnyActorLogic, AnyActorRef, EventObject, InspectionEvent } from 'xstate';
import type { JournalEntry } from '../css/consumer-store.ts';
import { setIdempotencyKey } from './idempotency-key.ts';
import { compactTag, errorJson, outputJson, reviveError } from './journal-values.ts';

/** The private event that makes a journaling child settle with its journaled outcome. */
const OUTCOME_EVENT = 'recq.child.outcome';
/** Where a child's effect id travels in its persisted snapshot, so a restored child keeps it. */
const EFFECT_FIELD = 'recqEffect';
/** Tags longer than this (a chain of children invoked on each other's outcomes) are hashed. */

/** What an invoked child's outcome is attributed to: its journal id, and the event that invoked it. */
export interface Effect {
  /** `component/key/<tag>/invoke/<child path>/<n>`, also the child's idempotency key. */
  id: string;
  causation: string | undefined;
  correlationId: string | undefined;
}

/** A child that settled in this process; its outcome waits in the host's inbox to be delivered. */
export interface SettledChild {
  ref: AnyActorRef;
  effect: Effect;
  outcome: 'done' | 'error';
  /** The output or error as JSON (what the journal keeps, and what the parent receives). */
  value: string | null;
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
  key: string;
  /** The source being processed (`<seq>/async` outside processing). */
  current(): SourceTag;
  lastSeq(): number;
  /** The committed journal entry under `id`. */
  lookup(id: string): JournalEntry | undefined;
  /** A child settled: queue its outcome for delivery in turn. */
  settled(child: SettledChild): void;
}

/**
 * A journaled input (a child's outcome, or a timer's firing) waiting for the actor to reach the
 * point of its history where it was first delivered: after event `appliedAfter`, at `position`.
 */
export interface Waiting {
  entry: JournalEntry;
  /** What delivering it is processed as: its emitted events' ids, and the children it invokes, follow from it. */
  source: SourceTag;
  /** Delivers it as it was delivered the first time. */
  deliver(): void;
  /** False once it can no longer be delivered (its child stopped, its timer was cancelled). */
  live(): boolean;
  /** The child, for an outcome. */
  ref?: AnyActorRef;
}

/** Where a root snapshot keeps how many inputs the actor had since its last event, so that a restored actor numbers the next one on. */
const INPUTS_FIELD = 'recqInputs';

/** The snapshot fields every non-machine logic has (promise, callback, observable). */
interface ChildSnapshot {
  status: 'active' | 'done' | 'error' | 'stopped';
  output?: unknown;
  error?: unknown;
  input?: unknown;
}

type AnyScope = Parameters<AnyActorLogic['transition']>[2];

interface OutcomeEvent extends EventObject {
  entry: JournalEntry;
}

/** What a rolled-back actor hands to the actor that replaces it, so that its children are not invoked again. */
export interface CarriedOutcomes {
  journaled: readonly JournalEntry[];
  settled: readonly SettledChild[];
}

/**
 * The journal of one actor's invoked children (promises, callbacks, observables; child machines
 * are state, not effects). It sees every child as XState creates it and wraps its logic: a child
 * whose outcome is journaled is not started, its outcome is delivered at the point of the actor's
 * history where it was first delivered; any other child runs, and when it settles its outcome goes
 * to the host's inbox and is delivered from there, in order with events, and journaled with the
 * checkpoint that holds its effect on the actor. The parent always receives the journaled (JSON)
 * form, so a replay gives it exactly what the first run did.
 *
 * Use: pass `inspect` to `createActor`; it hooks the actor system before any child is created.
 */
export class ChildJournal {
  /** Outcomes delivered since the last checkpoint (and those carried from a rolled-back actor). */
  journaled: JournalEntry[];
  /** The first child created from inline logic (a spawn of a logic object), which no snapshot can restore. */
  inlineSpawn: AnyActorRef | undefined;
  readonly #link: JournalLink;
  readonly #effects = new WeakMap<AnyActorRef, Effect>();
  readonly #running = new Set<AnyActorRef>();
  readonly #settled = new Map<string, SettledChild>();
  readonly #carriedSettled: Map<string, SettledChild>;
  #waiting: Waiting[] = [];
  #root: AnyActorRef | undefined;
  #countTag = '';
  readonly #counts = new Map<string, number>();
  #stopping = false;
  /** How many outcomes and firings were delivered since event `after` (the actor's last): the next one's position. */
  #inputs = { after: 0, next: 0 };

  constructor(link: JournalLink, carried?: CarriedOutcomes) {
    this.#link = link;
    this.journaled = carried ? [...carried.journaled] : [];
    this.#carriedSettled = new Map((carried?.settled ?? []).map((child) => [child.effect.id, child]));
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

  /** True while a child runs, has settled unapplied, or waits for its journaled outcome: the actor must stay in memory. */
  get busy(): boolean {
    return this.#running.size > 0 || this.#settled.size > 0 || this.#waiting.length > 0;
  }

  get hasWaiting(): boolean {
    return this.#waiting.length > 0;
  }

  /** What a rolled-back actor hands on: its uncommitted outcomes, delivered or not. */
  carry(): CarriedOutcomes {
    return { journaled: this.journaled, settled: [...this.#settled.values()] };
  }

  /** The actor stops as a whole (passivation, shutdown, rollback): its children's stops are no outcome. */
  stopping(): void {
    this.#stopping = true;
  }

  committed(): void {
    this.journaled = [];
  }

  /** The source tag under which `effect`'s outcome is processed: its emitted events' ids follow from it. */
  outcomeTag(effect: Effect): SourceTag {
    return { tag: compactTag(`${effect.id.slice(this.#link.prefix.length + 1)}/done`), causation: effect.causation, correlationId: effect.correlationId };
  }

  /** Delivers a settled child's outcome to its parent (the caller runs this as processing). False if it is stale. */
  deliverSettled(child: SettledChild): boolean {
    if (this.#settled.get(child.effect.id) !== child) return false;
    this.#settled.delete(child.effect.id);
    this.#running.delete(child.ref);
    const entry: JournalEntry = {
      id: child.effect.id,
      key: this.#link.key,
      outcome: child.outcome,
      value: child.value,
      appliedAfter: this.#link.lastSeq(),
      position: this.#nextPosition(),
    };
    this.journaled.push(entry);
    deliver(child.ref, entry);
    return true;
  }

  /** Records that delivering `child`'s outcome failed: it is neither invoked nor delivered again. */
  parked(child: SettledChild, appliedAfter: number): JournalEntry {
    return { id: child.effect.id, key: this.#link.key, outcome: 'parked', value: child.value, appliedAfter };
  }

  /**
   * Takes the journaled input that comes first of those due once the actor has processed through
   * `seq`: the order in which they first arrived. Delivering one can make another due (a child it
   * invokes, a timer it sets, whose outcome or firing is journaled too), so take them one at a time.
   */
  nextDue(seq: number): Waiting | undefined {
    let first: Waiting | undefined;
    let index = -1;
    for (let i = 0; i < this.#waiting.length; i++) {
      const w = this.#waiting[i] as Waiting;
      if (!w.live()) {
        this.#waiting.splice(i--, 1);
        continue;
      }
      if (w.entry.appliedAfter > seq) continue;
      if (!first || comesBefore(w.entry, first.entry)) {
        first = w;
        index = i;
      }
    }
    if (first) this.#waiting.splice(index, 1);
    return first;
  }

  /** Delivers a journaled input again, as it was delivered the first time; the inputs after it are numbered on from it. */
  deliverJournaled(waiting: Waiting): void {
    const inputs = this.#inputsSinceLastEvent();
    const { appliedAfter, position } = waiting.entry;
    if (appliedAfter === inputs.after && position !== undefined && position >= inputs.next) inputs.next = position + 1;
    waiting.deliver();
  }

  /**
   * A delayed event is being scheduled under `tag` (`timer/<cause>/<id>`). If its firing is
   * journaled (a replay, or an actor rebuilt after a rollback), it is not left to the clock: it
   * waits, like a journaled outcome, to be fired at the point of history where it fired first.
   * True if it waits.
   */
  awaitFiring(tag: string, causation: string | undefined, fire: () => void, live: () => boolean): boolean {
    const id = `${this.#link.prefix}/${tag}/fired`;
    const entry = this.journaled.find((e) => e.id === id) ?? this.#link.lookup(id);
    if (entry?.outcome !== 'fired') return false;
    this.#waiting.push({ entry, source: { tag, causation, correlationId: causation }, deliver: fire, live });
    return true;
  }

  /** A delayed event under `tag` fired and was applied: journaled, so that a replay fires it at this same point. */
  fired(tag: string): void {
    const id = `${this.#link.prefix}/${tag}/fired`;
    if (this.journaled.some((e) => e.id === id)) return;
    this.journaled.push({ id, key: this.#link.key, outcome: 'fired', value: null, appliedAfter: this.#link.lastSeq(), position: this.#nextPosition() });
  }

  /** The actor's persisted snapshot, with how many inputs it had since its last event (when it had any). */
  persisted(snapshot: unknown): unknown {
    const inputs = this.#inputs;
    if (inputs.next === 0 || inputs.after !== this.#link.lastSeq() || typeof snapshot !== 'object' || snapshot === null) return snapshot;
    return { ...snapshot, [INPUTS_FIELD]: inputs.next };
  }

  /** The actor was restored from `snapshot`, taken once it had processed through `seq`. */
  restored(snapshot: unknown, seq: number): void {
    const next = (snapshot as Record<string, unknown> | undefined)?.[INPUTS_FIELD];
    this.#inputs = { after: seq, next: typeof next === 'number' ? next : 0 };
  }

  /** The position of the next input: numbered from 0 after each event the actor processes. */
  #nextPosition(): number {
    return this.#inputsSinceLastEvent().next++;
  }

  #inputsSinceLastEvent(): { after: number; next: number } {
    const seq = this.#link.lastSeq();
    if (this.#inputs.after !== seq) this.#inputs = { after: seq, next: 0 };
    return this.#inputs;
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
        this.#bind(ref, this.#name(ref));
        return inner.getInitialSnapshot(scope, input);
      },
      restoreSnapshot: (persisted, scope) => {
        const { [EFFECT_FIELD]: effect, ...rest } = persisted as Record<string, unknown>;
        this.#bind(ref, isEffect(effect) ? effect : this.#name(ref));
        return inner.restoreSnapshot ? inner.restoreSnapshot(rest as never, scope) : rest;
      },
      getPersistedSnapshot: (snapshot, options) => {
        const persisted = inner.getPersistedSnapshot(snapshot, options) as Record<string, unknown>;
        const effect = this.#effects.get(ref);
        return effect && (snapshot as ChildSnapshot).status === 'active' ? { ...persisted, [EFFECT_FIELD]: effect } : persisted;
      },
      transition: (snapshot, event, scope) => this.#transition(inner, ref, snapshot as ChildSnapshot, event, scope as AnyScope),
      start: (snapshot, scope) => this.#start(inner, ref, snapshot as ChildSnapshot, scope as AnyScope),
    } as AnyActorLogic;
  }

  #bind(ref: AnyActorRef, effect: Effect): void {
    this.#effects.set(ref, effect);
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
    const effect = this.#effects.get(ref);
    if (snapshot.status !== 'active' || !effect) {
      inner.start?.(snapshot as never, scope as never);
      return;
    }
    const entry = this.journaled.find((e) => e.id === effect.id) ?? this.#link.lookup(effect.id);
    if (entry) {
      // Settled before (in an earlier life, or before a replay): its outcome is history, not work.
      if (entry.outcome === 'done' || entry.outcome === 'error') {
        this.#waiting.push({
          entry,
          ref,
          source: this.outcomeTag(effect),
          deliver: () => deliver(ref, entry),
          live: () => ref.getSnapshot().status === 'active',
        });
      }
      return;
    }
    this.#running.add(ref);
    const carried = this.#carriedSettled.get(effect.id);
    if (carried) {
      this.#carriedSettled.delete(effect.id);
      this.#settle({ ...carried, ref, effect });
      return;
    }
    try {
      inner.start?.(snapshot as never, scope as never);
    } catch (error) {
      // XState would put the child in error at once; here that outcome is journaled like any other.
      this.#settle({ ref, effect, outcome: 'error', value: errorJson(error) });
    }
  }

  #transition(inner: AnyActorLogic, ref: AnyActorRef, snapshot: ChildSnapshot, event: EventObject, scope: AnyScope): ChildSnapshot {
    if (event.type === OUTCOME_EVENT) return settledSnapshot(snapshot, (event as OutcomeEvent).entry);
    const next = inner.transition(snapshot as never, event, scope as never) as ChildSnapshot;
    const effect = this.#effects.get(ref);
    if (!effect || snapshot.status !== 'active' || next.status === 'active') return next;
    if (next.status === 'done' || next.status === 'error') {
      // Held active until the host delivers the outcome in turn.
      if (!this.#settled.has(effect.id)) {
        const value = next.status === 'done' ? outputJson(next.output) : { outcome: 'error' as const, value: errorJson(next.error) };
        this.#settle({ ref, effect, ...value });
      }
      return snapshot;
    }
    // Stopped by its parent before its outcome was delivered: a replay must not invoke it again either.
    this.#running.delete(ref);
    this.#settled.delete(effect.id);
    this.#waiting = this.#waiting.filter((w) => w.ref !== ref);
    if (!this.#stopping && !this.journaled.some((e) => e.id === effect.id)) {
      this.journaled.push({ id: effect.id, key: this.#link.key, outcome: 'stopped', value: null, appliedAfter: this.#link.lastSeq() });
    }
    return next;
  }

  #settle(child: SettledChild): void {
    this.#settled.set(child.effect.id, child);
    this.#link.settled(child);
  }
}

function deliver(ref: AnyActorRef, entry: JournalEntry): void {
  if (ref.getSnapshot().status === 'active') ref.send({ type: OUTCOME_EVENT, entry } as OutcomeEvent);
}

function settledSnapshot(snapshot: ChildSnapshot, entry: JournalEntry): ChildSnapshot {
  if (entry.outcome === 'done') return { ...snapshot, status: 'done', output: entry.value === null ? undefined : JSON.parse(entry.value), input: undefined };
  return { ...snapshot, status: 'error', error: reviveError(entry.value), input: undefined };
}

/** Whether `a` was first delivered before `b`: by the event after which it came, then by its position after that event. */
function comesBefore(a: JournalEntry, b: JournalEntry): boolean {
  return a.appliedAfter !== b.appliedAfter ? a.appliedAfter < b.appliedAfter : (a.position ?? 0) < (b.position ?? 0);
}

function isEffect(value: unknown): value is Effect {
  return typeof value === 'object' && value !== null && typeof (value as Effect).id === 'string';
}
