import type { EventObject } from 'xstate';

/**
 * What changes an actor besides the events it subscribes to, as the log holds it: an input
 * record, on its consumer's `$input.<consumer>` topic, keyed by the actor's key, under an id
 * that follows from what caused it. The host appends one when the input happens (a timer falls
 * due, a child settles or sends an event), and the actor takes it in when the record comes back
 * in seq order, so a rebuild from the log alone meets every input at the same point.
 *
 * - `recq.timer.fired` (`<component>/<key>/<timer tag>/fired`): a delayed event fell due.
 * - `recq.child.done` (`<child's effect id>/done`): an invoked child's output or error.
 * - `recq.child.event` (`<effect id>/event/<n>`): the n-th event a callback child sent back.
 * - `recq.child.next` (`<effect id>/next/<n>`): the n-th value an observable child emitted.
 */
export type InputRecord =
  | { type: 'recq.timer.fired'; timer: string }
  | { type: 'recq.child.done'; child: string; outcome: 'done' | 'error'; value: string | null }
  | { type: 'recq.child.event'; child: string; n: number; event: EventObject }
  | { type: 'recq.child.next'; child: string; n: number; value: string | null };

/** An input record before it is appended: its id and event, and what caused it. */
export interface InputDraft {
  id: string;
  event: InputRecord;
  causation: string | undefined;
  correlationId: string | undefined;
}

const TYPES = new Set(['recq.timer.fired', 'recq.child.done', 'recq.child.event', 'recq.child.next']);

/** The input record an event on an input topic holds, or undefined if it holds none (a record this version does not know). */
export function inputRecordOf(event: unknown): InputRecord | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as Record<string, unknown>;
  if (typeof record.type !== 'string' || !TYPES.has(record.type)) return undefined;
  if (record.type === 'recq.timer.fired') return typeof record.timer === 'string' ? (record as InputRecord) : undefined;
  if (typeof record.child !== 'string') return undefined;
  if (record.type === 'recq.child.done') return record.outcome === 'done' || record.outcome === 'error' ? (record as InputRecord) : undefined;
  if (typeof record.n !== 'number') return undefined;
  if (record.type === 'recq.child.event') return typeof record.event === 'object' && record.event !== null ? (record as InputRecord) : undefined;
  return record as InputRecord;
}

/** The record of a delayed event's firing. `prefix` is the actor's `component/key`. */
export function timerFired(prefix: string, tag: string, causation: string | undefined): InputDraft {
  return { id: `${prefix}/${tag}/fired`, event: { type: 'recq.timer.fired', timer: tag }, causation, correlationId: causation };
}

/** What names a child's records: its effect id (also its idempotency key), and what invoked it. */
export interface EffectRef {
  id: string;
  causation: string | undefined;
  correlationId: string | undefined;
}

/** The record of an invoked child's outcome: its output or error, as JSON. */
export function childDone(effect: EffectRef, outcome: 'done' | 'error', value: string | null): InputDraft {
  return {
    id: `${effect.id}/done`,
    event: { type: 'recq.child.done', child: effect.id, outcome, value },
    causation: effect.causation,
    correlationId: effect.correlationId,
  };
}

/** The record of the `n`-th event a callback child sent back to its parent. */
export function childEvent(effect: EffectRef, n: number, event: EventObject): InputDraft {
  return {
    id: `${effect.id}/event/${n}`,
    event: { type: 'recq.child.event', child: effect.id, n, event },
    causation: effect.causation,
    correlationId: effect.correlationId,
  };
}

/** The record of the `n`-th value an observable child emitted, as JSON. */
export function childNext(effect: EffectRef, n: number, value: string | null): InputDraft {
  return {
    id: `${effect.id}/next/${n}`,
    event: { type: 'recq.child.next', child: effect.id, n, value },
    causation: effect.causation,
    correlationId: effect.correlationId,
  };
}
