import type { GoalRow } from '../goals.ts';

export interface ScenarioContext {
  /** Divide the scenario's size by this (10 with --quick). */
  divisor: number;
  progress: (line: string) => void;
}

/** A workload that is judged against its own goal (scale, restart, latency), not a ratio to in-memory. */
export interface Scenario {
  name: string;
  description: string;
  /** Too long for every run at full size: only with `--only <name>` (or scaled down with --quick). */
  optIn?: boolean;
  run(context: ScenarioContext): Promise<GoalRow[]>;
}
