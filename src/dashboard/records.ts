import type { DeadLetter } from '../css/records.ts';
import type { Envelope } from '../envelope.ts';
import type { StoredTimer } from '../host/durable-timers.ts';
import { compilePatterns } from '../topic.ts';
import { HISTORY_LIMIT } from './source.ts';
import type { DashboardDeadLetter, DashboardEvent, DashboardTimer } from './wire.ts';

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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
