import type { ActorTable } from '../actor/actor-table.ts';
import type { Clock } from '../clock.ts';

/**
 * The timer that passivates a keyed component's idle actors: armed while any are in memory,
 * it drops those idle for `afterMs` (their snapshots are in the CSS) and arms itself again.
 */
export class PassivationSweep {
  readonly #actors: ActorTable;
  readonly #clock: Clock;
  readonly #afterMs: number;
  readonly #keyed: boolean;
  #timer: unknown;

  constructor(actors: ActorTable, clock: Clock, afterMs: number, keyed: boolean) {
    this.#actors = actors;
    this.#clock = clock;
    this.#afterMs = afterMs;
    this.#keyed = keyed;
  }

  /** Arms the sweep, unless it is armed, the component is a singleton, or no actor is in memory. */
  schedule(): void {
    if (!this.#keyed || this.#timer !== undefined || this.#actors.size === 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#actors.passivateIdleSince(this.#clock.now() - this.#afterMs);
      this.schedule();
    }, this.#afterMs);
  }

  stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
