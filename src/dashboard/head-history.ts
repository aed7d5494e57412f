import type { DashboardSource } from './source.ts';
import type { HeadSample } from './wire.ts';

/** How far apart the samples read back from the log are. */
const STEP_MS = 15_000;

/**
 * Samples of the head over the `windowMs` before `now`, read back from the commit times of the
 * log's events, so the events/s chart covers the last minutes from the moment a page opens,
 * not only since the dashboard started watching. Times rise with seqs, so each sample is a
 * binary search of single-event reads.
 *
 * @example
 * const samples = await headHistory(source, head, Date.now(), 5 * 60_000); // [{ at, head }, ...] oldest first
 */
export async function headHistory(source: DashboardSource, head: number, now: number, windowMs: number): Promise<HeadSample[]> {
  const samples: HeadSample[] = [];
  for (let at = now - windowMs + STEP_MS; at < now; at += STEP_MS) {
    const low = samples.at(-1)?.head ?? 0;
    samples.push({ at, head: await headAt(source, low, head, at) });
  }
  return samples;
}

/** The seq of the last event committed at or before `at`, between `low` (committed by then) and `high`. */
async function headAt(source: DashboardSource, low: number, high: number, at: number): Promise<number> {
  let lo = low;
  let hi = high;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const [event] = await source.events(mid - 1, 1);
    if (event && event.time <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** True when the samples have a hole longer than a step before `now` (no page was open): read them back again. */
export function needsHistory(samples: readonly HeadSample[], now: number): boolean {
  const last = samples.at(-1);
  return !last || now - last.at > STEP_MS;
}
