import type { Workload } from '../workloads.ts';

/** One timed pass of one workload. */
export interface Measurement {
  /** Row label, e.g. `embedded`, `nats publish`, `in-memory`. */
  mode: string;
  events: number;
  seconds: number;
  verified: boolean;
  durability: string;
  /** End-to-end rows get a ratio to the in-memory baseline; partial phases (publish only) do not. */
  endToEnd: boolean;
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
