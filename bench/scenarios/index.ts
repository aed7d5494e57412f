import type { Scenario } from './scenario.ts';
import { w5Latency } from './w5-latency.ts';

/** W3 to W5, in the order they run. */
export const SCENARIOS: readonly Scenario[] = [w5Latency];
