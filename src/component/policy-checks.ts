/** Why a numeric setting is unacceptable, or undefined if it is fine. */
export function numberProblem(value: unknown, rule: { integer?: boolean; min: number; exclusive?: boolean }): string | undefined {
  const bound = rule.exclusive ? `> ${rule.min}` : `≥ ${rule.min}`;
  const wanted = `expected ${rule.integer ? 'an integer' : 'a number'} ${bound}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return wanted;
  if (rule.integer && !Number.isInteger(value)) return wanted;
  if (rule.exclusive ? value <= rule.min : value < rule.min) return wanted;
  return undefined;
}

/** Checks a checkpoint policy's fields (either may be absent). */
export function checkpointProblem(checkpoint: unknown): { field: string; value: unknown; reason: string } | undefined {
  if (checkpoint === undefined) return undefined;
  if (typeof checkpoint !== 'object' || checkpoint === null) return { field: 'checkpoint', value: checkpoint, reason: 'expected { maxEvents?, maxDelayMs? }' };
  const { maxEvents, maxDelayMs } = checkpoint as Record<string, unknown>;
  const events = maxEvents === undefined ? undefined : numberProblem(maxEvents, { integer: true, min: 1 });
  if (events) return { field: 'checkpoint.maxEvents', value: maxEvents, reason: events };
  const delay = maxDelayMs === undefined ? undefined : numberProblem(maxDelayMs, { min: 0 });
  if (delay) return { field: 'checkpoint.maxDelayMs', value: maxDelayMs, reason: delay };
  return undefined;
}
