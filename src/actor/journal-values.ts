import { createHash } from 'node:crypto';

// How a child's outcome is kept in the journal and read back, and how long tags are shortened.

const MAX_TAG = 160;

/** A child's output as the journal keeps it; output that is not JSON becomes the child's error. */
export function outputJson(output: unknown): { outcome: 'done' | 'error'; value: string | null } {
  try {
    return { outcome: 'done', value: output === undefined ? null : JSON.stringify(output) };
  } catch (error) {
    return { outcome: 'error', value: errorJson(new Error(`the child's output is not JSON, so it cannot be journaled: ${(error as Error).message}`)) };
  }
}

/** An error keeps its name and message (its stack differs from run to run); anything else thrown is kept as JSON. */
export function errorJson(error: unknown): string {
  if (error instanceof Error) return JSON.stringify({ error: { name: error.name, message: error.message } });
  try {
    return JSON.stringify({ thrown: error ?? null });
  } catch {
    return JSON.stringify({ error: { name: 'Error', message: String(error) } });
  }
}

export function reviveError(value: string | null): unknown {
  const parsed = value === null ? {} : (JSON.parse(value) as { error?: { name: string; message: string }; thrown?: unknown });
  if (!parsed.error) return parsed.thrown;
  const error = new Error(parsed.error.message);
  error.name = parsed.error.name;
  return error;
}

/** A tag short enough for ids: long ones (chains of children, or of timers set on firings) are hashed. */
export function compactTag(tag: string): string {
  return tag.length <= MAX_TAG ? tag : `h/${createHash('sha256').update(tag).digest('hex').slice(0, 32)}`;
}
