import type { Workload } from '../workloads.ts';

/** One timed pass of one workload. */
export interface Measurement {
  /** Row label, e.g. `embedded`, `nats publish`, `in-memory`. */
  mode: string;
  /** Events processed in the timed span (the baseline's repeated rounds count them all). */
  events: number;
  seconds: number;
  verified: boolean;
  durability: string;
  /** End-to-end rows get a ratio to the in-memory baseline; partial phases (publish only) do not. */
  endToEnd: boolean;
  /** How many times the workload ran within the timed span (the baseline repeats itself to ≥ 1 s). */
  rounds?: number;
  /** events/s over the baseline's events/s measured just before, in the same pass. */
  ratio?: number;
}

/**
 * A way to run a workload: the in-memory baseline, recq embedded, or recq over NATS.
 * A mode may report several rows from one pass (end-to-end and its publish phase).
 */
export interface Mode {
  name: string;
  /** The mode every other end-to-end row is compared against. */
  baseline?: boolean;
  run(workload: Workload): Promise<Measurement[]>;
}
