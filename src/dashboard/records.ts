import type { ActorView } from '../actor/actor-view.ts';
import type { StoredTimer } from '../actor/durable-timers.ts';
import type { DeadLetter, JournalEntry } from '../css/records.ts';
import type { Envelope } from '../envelope.ts';
import { compilePatterns } from '../topic.ts';
import { HISTORY_LIMIT, HISTORY_WINDOW, type LogReader } from './source.ts';
import type { DashboardActor, DashboardDeadLetter, DashboardEffect, DashboardEvent, DashboardTimer } from './wire.ts';

// How the sources turn recq's records into what the page reads.

export function eventOf(envelope: Envelope): DashboardEvent {
  return { seq: envelope.seq, id: envelope.id, topic: envelope.topic, key: envelope.key, time: envelope.time, event: envelope.event };
}

export function letterOf(letter: DeadLetter & { id: number }): DashboardDeadLetter {
  return {
    id: letter.id,
    consumer: letter.consumer,
    seq: letter.seq,
    topic: letter.topic,
    key: letter.key,
    eventId: letter.eventId,
    event: parseJson(letter.event),
    error: letter.error,
    stack: letter.stack,
    attempts: letter.attempts,
    status: letter.status,
    firstFailedAt: letter.firstFailedAt,
    lastFailedAt: letter.lastFailedAt,
  };
}

/** A snapshot's `timers` column (a JSON list of `StoredTimer`), soonest first. */
export function timersOf(json: string | null | undefined): DashboardTimer[] {
  if (!json) return [];
  const timers = parseJson(json);
  if (!Array.isArray(timers)) return [];
  return (timers as StoredTimer[]).map((t) => ({ id: t.id, event: t.event, due: t.due })).sort((a, b) => a.due - b.due);
}

/**
 * The events among `envelopes` that reached one actor: on its consumer's topics and, for a
 * keyed one, of its key; the most recent `HISTORY_LIMIT`, oldest first.
 */
export function historyOf(
  envelopes: readonly Envelope[],
  patterns: readonly string[],
  key: string | undefined,
  keyOf: (envelope: Envelope) => string | undefined = (e) => e.key,
): DashboardEvent[] {
  const matches = patterns.length === 0 ? () => true : compilePatterns(patterns);
  const mine = envelopes.filter((e) => matches(e.topic) && (key === undefined || keyOf(e) === key));
  return mine.slice(-HISTORY_LIMIT).map(eventOf);
}

/** The events of one actor (see `historyOf`) among the last `HISTORY_WINDOW` of the log up to `head`. */
export async function recentHistoryOf(
  read: LogReader,
  head: number,
  patterns: readonly string[],
  key: string | undefined,
  keyOf?: (envelope: Envelope) => string | undefined,
): Promise<DashboardEvent[]> {
  const window = await read(Math.max(0, head - HISTORY_WINDOW), patterns, HISTORY_WINDOW);
  return historyOf(window, patterns, key, keyOf);
}

/** An actor as the page shows it: its state as its host reports it, and what the source could read of the rest. */
export function actorOf(component: string, view: ActorView, rest: Pick<DashboardActor, 'timers' | 'history' | 'journal' | 'unavailable'>): DashboardActor {
  return { component, key: view.key, value: view.value, context: view.context, status: view.status, seq: view.seq, ...rest };
}

/** A journal id's child path (`…/invoke/<path>/<n>`) or timer name (`…/timer/<cause>/<name>/fired`). */
export function effectOf(entry: JournalEntry): DashboardEffect {
  const timer = entry.outcome === 'fired';
  const at = entry.id.lastIndexOf('/invoke/');
  const name = timer
    ? (entry.id.slice(0, -'/fired'.length).split('/').pop() ?? entry.id)
    : at < 0
      ? entry.id
      : entry.id.slice(at + '/invoke/'.length, entry.id.lastIndexOf('/'));
  return {
    id: entry.id,
    kind: timer ? 'timer' : 'child',
    name,
    outcome: entry.outcome,
    value: entry.value === null ? null : parseJson(entry.value),
    appliedAfter: entry.appliedAfter,
  };
}

/** An actor's journal as the page lists it: the most recent `HISTORY_LIMIT` entries, in delivery order, each child with its `src` where `logic` names it. */
export function effectsOf(entries: readonly JournalEntry[], logic?: unknown): DashboardEffect[] {
  const sources = invokeSources(logic);
  return [...entries]
    .sort(deliveryOrder)
    .slice(-HISTORY_LIMIT)
    .map((entry) => {
      const effect = effectOf(entry);
      const src = effect.kind === 'child' ? sources.get(effect.name) : undefined;
      return src === undefined ? effect : { ...effect, src };
    });
}

interface InvokingNode {
  states?: Record<string, InvokingNode>;
  invoke?: readonly { id?: unknown; src?: unknown }[];
}

/** Each invoke of a machine by its id (`0.order.pricing`, or the one given), with its `src` as the machine's `setup` names it. */
export function invokeSources(logic: unknown): Map<string, string> {
  const sources = new Map<string, string>();
  const visit = (node: InvokingNode | undefined): void => {
    for (const invoke of node?.invoke ?? []) {
      if (typeof invoke.id === 'string') sources.set(invoke.id, typeof invoke.src === 'string' ? invoke.src : 'inline logic');
    }
    for (const child of Object.values(node?.states ?? {})) visit(child);
  };
  visit((logic as { root?: InvokingNode } | null | undefined)?.root);
  return sources;
}

/** In the order the actor was given them: by the event after which they came, then by position. */
export function deliveryOrder(a: JournalEntry, b: JournalEntry): number {
  return a.appliedAfter - b.appliedAfter || (a.position ?? 0) - (b.position ?? 0);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
