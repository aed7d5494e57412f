import type { Actor, AnyActorLogic, AnyActorRef, EventObject } from 'xstate';
import type { Clock } from '../clock.ts';
import { compactTag } from './journal-values.ts';

/** A delayed event as the CSS keeps it: enough to schedule it again after a restart. */
export interface StoredTimer {
  /** XState's id for the delayed event (`after` ids, or the `id` given to a delayed send). */
  id: string;
  /** Child ids from the root actor to the sender and the receiver ([] is the root itself). */
  source: string[];
  target: string[];
  event: EventObject;
  /** Clock time at which it fires. */
  due: number;
  /** Seq of the event whose processing scheduled it (or the actor's last event, when no event did). */
  scheduledSeq: number;
  /** Id of that event, for the causation of what the timer emits. */
  causation: string | undefined;
  /**
   * What scheduled it when no event did: the tag of the child's outcome (`<seq>/invoke/.../done`)
   * or of the timer's firing (`timer/...`) being applied. With `id`, it names the timer
   * (`timer/<cause or scheduledSeq>/<id>`), in every run alike.
   */
  cause?: string;
}

/** What is being processed while a timer is scheduled: an event (`seq`), or an input record (`cause`), committed at `time`. */
export interface TimerCause {
  seq: number;
  causation: string | undefined;
  cause?: string | undefined;
  /** When the event or record was committed: a timer it sets is due its delay after that, whenever it is applied. */
  time?: number | undefined;
}

/**
 * The name of a timer: `timer/<seq>/<id>` for one an event scheduled, `timer/<cause>/<id>` for
 * one scheduled while an input record (an outcome, a firing) was taken in. What it emits gets
 * ids under it, and its firing is recorded under it.
 */
export function timerTag(stored: StoredTimer): string {
  return `timer/${stored.cause ?? stored.scheduledSeq}/${stored.id}`;
}

/** A timer waiting in the clock, as this process tracks it. */
export interface PendingTimer {
  stored: StoredTimer;
  /** XState's callback: removes the timer from XState's books and delivers the event. */
  fire: () => void;
  handle: unknown;
  cancelled: boolean;
  /** The actor the event goes to: XState drops it if that actor stopped, even if another took its id since. */
  targetRef?: AnyActorRef;
}

interface SchedulingContext {
  seq: number;
  causation: string | undefined;
  cause: string | undefined;
  time: number | undefined;
  counter: number;
}

type Scheduler = Actor<AnyActorLogic>['system']['scheduler'];

/**
 * Makes an actor's delayed events durable. XState keeps them only in memory; this records
 * each one (sender, receiver, event, due time) as it is scheduled, forgets it when XState
 * cancels it, and hands it to `onDue` instead of firing it from the timer callback: the host
 * records its firing in the log, and `fire` runs it when that record comes back in turn. A
 * delayed event is due its delay after the commit time of what scheduled it, so an actor rebuilt
 * from the log later gets the same due times.
 *
 * Use: pass `clock` to `createActor`, then `attach(actor)` before starting it.
 */
export class DurableTimers {
  readonly pending = new Set<PendingTimer>();
  readonly clock: Clock;
  readonly #inner: Clock;
  readonly #onDue: (timer: PendingTimer) => void;
  #actor: Actor<AnyActorLogic> | undefined;
  #scheduling: { source: AnyActorRef; target: AnyActorRef; event: EventObject; id: string } | undefined;
  #context: SchedulingContext = { seq: 0, causation: undefined, cause: undefined, time: undefined, counter: 0 };

  constructor(inner: Clock, onDue: (timer: PendingTimer) => void) {
    this.#inner = inner;
    this.#onDue = onDue;
    this.clock = {
      now: () => inner.now(),
      setTimeout: (fn, ms) => this.#setTimeout(fn, ms),
      clearTimeout: (handle) => this.#clearTimeout(handle),
    };
  }

  /** Hooks the actor's scheduler so that every delayed event it schedules is recorded. */
  attach(actor: Actor<AnyActorLogic>): void {
    this.#actor = actor;
    const scheduler: Scheduler = actor.system.scheduler;
    const schedule = scheduler.schedule;
    scheduler.schedule = (source, target, event, delay, id) => {
      // A delayed send without an id gets a deterministic one instead of XState's random one.
      const timerId = id ?? `recq.${this.#context.cause ?? this.#context.seq}.${this.#context.counter++}`;
      this.#scheduling = { source, target, event, id: timerId };
      try {
        schedule(source, target, event, delay, timerId);
      } finally {
        this.#scheduling = undefined;
      }
    };
  }

  /** Attributes timers scheduled from now on to what is being processed: an event, or an outcome or firing (`cause`). */
  scheduledBy(by: TimerCause): void {
    const cause = by.cause === undefined ? undefined : compactTag(by.cause);
    if (by.seq !== this.#context.seq || cause !== this.#context.cause)
      this.#context = { seq: by.seq, causation: by.causation, cause, time: by.time, counter: 0 };
  }

  /** Schedules stored timers again after a restore, for the time they have left. */
  restore(timers: readonly StoredTimer[]): void {
    const actor = this.#actor;
    if (!actor) throw new Error('DurableTimers.restore before attach');
    // Overdue ones fire at once, so they are scheduled again in the order they fall due.
    for (const timer of [...timers].sort((a, b) => a.due - b.due)) {
      const source = refAt(actor, timer.source);
      const target = refAt(actor, timer.target);
      if (!source || !target) continue;
      const saved = this.#context;
      this.#context = { seq: timer.scheduledSeq, causation: timer.causation, cause: timer.cause, time: undefined, counter: 0 };
      try {
        actor.system.scheduler.schedule(source, target, timer.event, Math.max(0, timer.due - this.#inner.now()), timer.id);
      } finally {
        this.#context = saved;
      }
    }
  }

  /** Cancels a pending timer (by its `timerTag`) through XState, as if the actor had left the state that set it. */
  drop(tag: string): void {
    const actor = this.#actor;
    if (!actor) return;
    for (const timer of this.pending) {
      if (timerTag(timer.stored) !== tag) continue;
      const source = refAt(actor, timer.stored.source);
      if (source) actor.system.scheduler.cancel(source, timer.stored.id);
      else this.#clearTimeout(timer);
    }
  }

  /**
   * The timers still waiting, for the checkpoint. One whose receiver has stopped is left out:
   * XState would drop it when it fires, and after a restart its path could name a new child.
   */
  stored(): StoredTimer[] {
    const list: StoredTimer[] = [];
    const actor = this.#actor;
    for (const timer of this.pending) {
      if (actor && timer.targetRef && timer.stored.target.length > 0 && refAt(actor, timer.stored.target) !== timer.targetRef) continue;
      list.push(timer.stored);
    }
    return list;
  }

  #setTimeout(fn: () => void, ms: number): unknown {
    const scheduling = this.#scheduling;
    const actor = this.#actor;
    // Only XState's scheduler is made durable; any other use of the clock passes through.
    if (!scheduling || !actor) return this.#inner.setTimeout(fn, ms);
    const source = pathOf(actor, scheduling.source);
    const target = pathOf(actor, scheduling.target);
    const now = this.#inner.now();
    const due = (this.#context.time ?? now) + Math.max(0, ms);
    const timer: PendingTimer = {
      stored: {
        id: scheduling.id,
        source: source ?? [],
        target: target ?? [],
        event: scheduling.event,
        due,
        scheduledSeq: this.#context.seq,
        causation: this.#context.causation,
        ...(this.#context.cause === undefined ? {} : { cause: this.#context.cause }),
      },
      fire: fn,
      handle: undefined,
      cancelled: false,
      targetRef: scheduling.target,
    };
    // A sender or receiver outside this actor's tree cannot be found again after a restart.
    if (source && target) this.pending.add(timer);
    const fall = () => {
      if (timer.cancelled) return;
      // A timer of the host's may come a millisecond before the wall clock says: never fire early.
      const left = due - this.#inner.now();
      if (left > 0) timer.handle = this.#inner.setTimeout(fall, left);
      else this.#onDue(timer);
    };
    if (due <= now) queueMicrotask(fall);
    else timer.handle = this.#inner.setTimeout(fall, due - now);
    return timer;
  }

  #clearTimeout(handle: unknown): void {
    if (!isPendingTimer(handle)) {
      this.#inner.clearTimeout(handle);
      return;
    }
    handle.cancelled = true;
    this.pending.delete(handle);
    if (handle.handle !== undefined) this.#inner.clearTimeout(handle.handle);
  }

  /** Runs a due timer's delivery; the caller has set up the processing context. */
  fire(timer: PendingTimer): void {
    this.pending.delete(timer);
    timer.fire();
  }
}

function isPendingTimer(handle: unknown): handle is PendingTimer {
  return typeof handle === 'object' && handle !== null && 'stored' in handle && 'fire' in handle;
}

interface WithChildren {
  getSnapshot(): { children?: Record<string, AnyActorRef> };
}

/** Child ids from the root to `ref`, or undefined if `ref` is not in the root's tree. */
function pathOf(root: AnyActorRef, ref: AnyActorRef): string[] | undefined {
  if (ref === root) return [];
  const children = (root as unknown as WithChildren).getSnapshot().children ?? {};
  for (const [id, child] of Object.entries(children)) {
    const below = pathOf(child, ref);
    if (below) return [id, ...below];
  }
  return undefined;
}

function refAt(root: AnyActorRef, path: readonly string[]): AnyActorRef | undefined {
  let ref: AnyActorRef | undefined = root;
  for (const id of path) ref = ref && (ref as unknown as WithChildren).getSnapshot().children?.[id];
  return ref;
}
