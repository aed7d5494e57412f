import { WRITE_HEADER } from '../wire.ts';

/** A write to the dashboard: resolves with what was done, or rejects with the server's refusal, in its words. */
export async function post(path: string): Promise<string> {
  const response = await fetch(path, { method: 'POST', headers: { [WRITE_HEADER]: '1' } });
  const body = (await response.json().catch(() => ({}))) as { message?: string; error?: { message?: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `The dashboard answered ${response.status}.`);
  return body.message ?? 'Done.';
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path);
  const body = (await response.json()) as T & { error?: { message?: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `The dashboard answered ${response.status}.`);
  return body;
}

/** A time as the page shows it: local, to the second. */
export function timeOf(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { hour12: false });
}

/** `{ type: 'approve', ... }` → `approve`. */
export function typeOf(event: unknown): string {
  return typeof event === 'object' && event !== null && 'type' in event ? String((event as { type: unknown }).type) : '?';
}

/** `xstate.after.reviewDeadline.document.review.legal.pending` → `after reviewDeadline in review.legal.pending`. */
export function timerLabel(type: string): string {
  const after = /^xstate\.after\.([^.]+)\.[^.]+\.?(.*)$/.exec(type);
  return after ? `after ${after[1]}${after[2] ? ` in ${after[2]}` : ''}` : type;
}
