import type { Scenario } from './scenario.ts';

/** W3 to W5, in the order they run. */
export const SCENARIOS: readonly Scenario[] = [];
