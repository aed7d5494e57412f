import { w3Scale, w4Restart } from './scale.ts';
import type { Scenario } from './scenario.ts';
import { w5Latency } from './w5-latency.ts';
import { w6TimerLateness } from './w6-timer-lateness.ts';

/** W3 to W6, in the order they run (W4 restarts from the file W3 left, when W3 ran). */
export const SCENARIOS: readonly Scenario[] = [w3Scale, w4Restart, w5Latency, w6TimerLateness];
