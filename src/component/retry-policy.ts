import { numberProblem } from './policy-checks.ts';

/**
 * What a consumer does when applying an event fails: retry it with exponential backoff and
 * jitter, then either park it as a dead letter and go on (`park`) or stop and wait for an
 * operator (`block`). While an event is being retried the consumer waits: later events are
 * not applied before it, so order holds.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. 1 means no retry. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  onExhausted: 'park' | 'block';
  /** Errors for which retrying is pointless. Default: errors with `permanent: true`. */
  isPermanent: (error: unknown) => boolean;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  onExhausted: 'park',
  isPermanent: (error) => typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true,
};

/** Delay before attempt `attempt + 1`: doubling from `initialDelayMs`, capped, in [d/2, d]. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (base / 2) * random());
}

/** Why a partial retry policy is unacceptable, or undefined. */
export function retryPolicyProblem(retry: unknown): { field: string; value: unknown; reason: string } | undefined {
  if (retry === undefined) return undefined;
  if (typeof retry !== 'object' || retry === null)
    return { field: 'retry', value: retry, reason: 'expected { maxAttempts?, initialDelayMs?, maxDelayMs?, onExhausted?, isPermanent? }' };
  const r = retry as Record<string, unknown>;
  const checks: [string, Parameters<typeof numberProblem>[1]][] = [
    ['maxAttempts', { integer: true, min: 1 }],
    ['initialDelayMs', { min: 0 }],
    ['maxDelayMs', { min: 0 }],
  ];
  for (const [field, rule] of checks) {
    const problem = r[field] === undefined ? undefined : numberProblem(r[field], rule);
    if (problem) return { field: `retry.${field}`, value: r[field], reason: problem };
  }
  if (r.onExhausted !== undefined && r.onExhausted !== 'park' && r.onExhausted !== 'block') {
    return { field: 'retry.onExhausted', value: r.onExhausted, reason: "expected 'park' or 'block'" };
  }
  if (r.isPermanent !== undefined && typeof r.isPermanent !== 'function')
    return { field: 'retry.isPermanent', value: r.isPermanent, reason: 'expected a function (error) => boolean' };
  return undefined;
}
