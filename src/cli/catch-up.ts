import type { System, SystemStatus } from '../system/system.ts';
import { ProgressBar, type ProgressStream } from './progress.ts';

/**
 * How far behind, in events summed over its consumers, a process must start for a catch-up bar:
 * a smaller gap is applied before a bar would be read.
 */
export const CATCH_UP_MIN_EVENTS = 1000;

/** How often `showCatchUp` asks the system for its status. */
const POLL_MS = 250;

/** The host phases in which a consumer's offset moves on by itself; one in any other (paused, blocked, standby, ...) is no longer waited for. */
const MOVING = new Set(['restoring', 'catchingUp', 'live', 'retrying']);

/** What the catch-up bar reads of `system.status()`. */
export type CatchUpStatus = Pick<SystemStatus, 'head'> & {
  consumers: ReadonlyArray<Pick<SystemStatus['consumers'][number], 'consumer' | 'offset' | 'hostState'>>;
};

/**
 * One aggregate bar for the consumers of a process that start behind the log: the events they
 * applied since the first status, out of those up to the head as it was then. Events published
 * meanwhile do not move the goal, so a busy log cannot keep the bar up forever.
 *
 * @example
 * const catchUp = CatchUp.begin(process.stderr, await system.status());
 * while (catchUp?.update(await system.status())) await later();
 */
export class CatchUp {
  readonly #bar: ProgressBar;
  readonly #target: number;
  /** Each consumer that started behind and has not stopped moving, by name: its offset at the first status. */
  readonly #from: Map<string, number>;

  private constructor(bar: ProgressBar, target: number, from: Map<string, number>) {
    this.#bar = bar;
    this.#target = target;
    this.#from = from;
  }

  /** A bar on `stream` if it is a terminal and the moving consumers are more than `minEvents` behind in all; undefined otherwise. */
  static begin(stream: ProgressStream, first: CatchUpStatus, minEvents = CATCH_UP_MIN_EVENTS): CatchUp | undefined {
    if (!stream.isTTY) return undefined;
    const behind = first.consumers.filter((c) => MOVING.has(c.hostState) && c.offset < first.head);
    const gap = behind.reduce((sum, c) => sum + first.head - c.offset, 0);
    if (gap <= minEvents) return undefined;
    const [only] = behind;
    const label =
      behind.length === 1 && only ? `catching up ${only.consumer} to seq ${first.head}` : `catching up ${behind.length} consumers to seq ${first.head}`;
    const bar = ProgressBar.on(stream, label);
    if (!bar) return undefined;
    const catchUp = new CatchUp(bar, first.head, new Map(behind.map((c) => [c.consumer, c.offset])));
    catchUp.update(first);
    return catchUp;
  }

  /**
   * Redraws the bar from `status`: a consumer that reached the goal counts in full, one that
   * stopped moving no longer counts. Once none is left to wait for, erases the bar and returns false.
   */
  update(status: CatchUpStatus): boolean {
    let done = 0;
    let total = 0;
    let waiting = false;
    for (const c of status.consumers) {
      const from = this.#from.get(c.consumer);
      if (from === undefined) continue;
      if (c.offset < this.#target && !MOVING.has(c.hostState)) {
        this.#from.delete(c.consumer);
        continue;
      }
      waiting ||= c.offset < this.#target;
      done += Math.min(c.offset, this.#target) - from;
      total += this.#target - from;
    }
    if (!waiting) {
      this.#bar.clear();
      return false;
    }
    this.#bar.update(done, total);
    return true;
  }

  /** Erases the bar, caught up or not. */
  clear(): void {
    this.#bar.clear();
  }
}

/**
 * Shows on `stream`, if it is a terminal, a catch-up bar while the consumers `system` runs are
 * far behind the log (see `CatchUp`), asking for its status every 250 ms until they caught up.
 * Off a terminal it asks nothing and writes nothing. Returns a function that erases the bar and
 * stops asking; call it before stopping the system.
 */
export function showCatchUp(system: Pick<System, 'status'>, stream: ProgressStream = process.stderr): () => void {
  if (!stream.isTTY) return () => {};
  let stopped = false;
  let catchUp: CatchUp | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    catchUp?.clear();
  };
  // One status at a time: the next is asked for 250 ms after the last answer.
  const poll = async () => {
    try {
      const status = await system.status();
      if (stopped) return;
      if (catchUp === undefined) catchUp = CatchUp.begin(stream, status);
      else if (!catchUp.update(status)) catchUp = undefined;
      if (catchUp === undefined) return stop();
      timer = setTimeout(() => void poll(), POLL_MS);
      timer.unref();
    } catch {
      // The system stopped meanwhile: whatever stopped it says why.
      stop();
    }
  };
  void poll();
  return stop;
}
