/**
 * The seam for time. Everything in recq that waits or stamps a time goes through a `Clock`,
 * and XState actors get the same clock, so tests advance time instead of sleeping.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node fires a timer longer than this (about 24.8 days) at once: longer waits go in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A wall-clock timer that waits in steps, so a 30-day delay waits 30 days. */
interface LongTimer {
  current: NodeJS.Timeout | undefined;
}

function startTimer(timer: LongTimer, fn: () => void, due: number): void {
  const left = due - Date.now();
  const step = Math.min(Math.max(0, left), MAX_TIMER_MS);
  timer.current = setTimeout(() => (left > MAX_TIMER_MS ? startTimer(timer, fn, due) : fn()), step);
  timer.current.unref?.();
}

/** Wall-clock time and Node timers. Timers are unref'd so they never keep a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer: LongTimer = { current: undefined };
    startTimer(timer, fn, Date.now() + ms);
    return timer;
  },
  clearTimeout: (handle) => clearTimeout((handle as LongTimer | undefined)?.current),
};

interface PendingTimer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Timers due at or before the new time fire in due
 * order during `advance`; a timer set with no delay fires on the next turn of the event loop.
 *
 * @example
 * const clock = new SimulatedClock(0);
 * const system = await createSystem({ db, components, clock });
 * clock.advance(30_000); // fires every timer due within the next 30 s
 */
export class SimulatedClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, PendingTimer>();
  #flushScheduled = false;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), fn });
    // A timer already due fires on the next turn, as a real one would, without an advance.
    if (ms <= 0 && !this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.advance(0);
      });
    }
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.due <= target && (!next || timer.due < next.due || (timer.due === next.due && timer.id < next.id))) next = timer;
      }
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
    }
    this.#now = target;
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.#timers.size;
  }
}
