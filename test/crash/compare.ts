import { isDeepStrictEqual } from 'node:util';
import { compilePattern } from '../../src/topic.ts';
import type { RunResult } from './worker.ts';

/** Subscriptions of the workload's consumers, to tell which events each had to process. */
export const SUBSCRIPTIONS: Record<string, readonly string[]> = {
  acc: ['work.add'],
  gate: ['acc.added'],
  audit: ['acc.added', 'gate.cycled'],
};

type LogEntry = RunResult['log'][number];

export interface CanonicalEvent {
  topic: string;
  key: string | undefined;
  event: unknown;
  causation: string | undefined;
}

export interface CanonicalRun {
  /** Events by a run-independent id; see `canonicalize`. */
  events: Map<string, CanonicalEvent>;
  /** Canonical ids in log order per `topic/key`: the order that must not change between runs. */
  streams: Map<string, string[]>;
  /** Actors by `component/key`: value, context, status and the canonical id of their last event. */
  actors: Map<string, unknown>;
  emitted: number;
  /** Whatever is wrong with the run on its own: gaps, doubled ids, ids that disagree with their causation. */
  problems: string[];
}

/**
 * Seqs differ between runs (the log interleaves producer batches and checkpoint commits by
 * timing), and an emitted id embeds the seq of the event that caused it. So an emitted
 * `component/key/<seq>/n` is renamed `component/key/<canonical id of its cause>/n`; producer
 * ids are fixed already. Two runs that did the same work then have the same canonical events.
 */
export function canonicalize(run: RunResult): CanonicalRun {
  const problems: string[] = [];
  const bySeq = new Map<number, LogEntry>();
  const byId = new Map<string, LogEntry>();
  run.log.forEach((entry, index) => {
    if (entry.seq !== index + 1) problems.push(`log position ${index + 1} holds seq ${entry.seq}: seqs are not 1..head without gaps`);
    if (byId.has(entry.id)) problems.push(`id ${entry.id} appears twice (seq ${byId.get(entry.id)?.seq} and ${entry.seq})`);
    bySeq.set(entry.seq, entry);
    byId.set(entry.id, entry);
  });
  if (run.head !== run.log.length) problems.push(`head is ${run.head} but the log holds ${run.log.length} events`);

  const names = new Map<string, string>();
  const nameOf = (entry: LogEntry): string => {
    const known = names.get(entry.id);
    if (known !== undefined) return known;
    let name = entry.id;
    if (entry.causation !== undefined) {
      const [component, key, seq, n, ...rest] = entry.id.split('/');
      const cause = bySeq.get(Number(seq));
      if (rest.length > 0 || n === undefined || !cause || cause.id !== entry.causation) {
        problems.push(`emitted id ${entry.id} does not name its cause ${entry.causation} by seq`);
      } else {
        if (cause.seq >= entry.seq) problems.push(`emitted event ${entry.id} (seq ${entry.seq}) precedes its cause (seq ${cause.seq})`);
        name = `${component}/${key}/${nameOf(cause)}/${n}`;
      }
    }
    names.set(entry.id, name);
    return name;
  };

  const events = new Map<string, CanonicalEvent>();
  const streams = new Map<string, string[]>();
  let emitted = 0;
  for (const entry of run.log) {
    const name = nameOf(entry);
    const stream = `${entry.topic}/${entry.key ?? '_'}`;
    const order = streams.get(stream);
    if (order) order.push(name);
    else streams.set(stream, [name]);
    if (events.has(name)) problems.push(`two events stand for ${name}: the same work was recorded twice`);
    const cause = entry.causation === undefined ? undefined : byId.get(entry.causation);
    events.set(name, { topic: entry.topic, key: entry.key, event: entry.event, causation: cause && nameOf(cause) });
    if (entry.causation !== undefined) emitted++;
  }

  const lastMatching = new Map<string, number>();
  for (const [component, patterns] of Object.entries(SUBSCRIPTIONS)) {
    const matchers = patterns.map(compilePattern);
    lastMatching.set(
      component,
      run.log.reduce((last, entry) => (matchers.some((match) => match(entry.topic)) ? entry.seq : last), 0),
    );
  }

  const actors = new Map<string, unknown>();
  for (const { component, key, view } of run.actors) {
    const last = bySeq.get(view.seq);
    // A keyed actor's events come in a fixed order, so its last one is the same in every run; a
    // singleton over several keys ends on whichever key's event the log happened to hold last.
    if (key === undefined && view.seq !== lastMatching.get(component)) {
      problems.push(`singleton ${component} last processed seq ${view.seq}, not its last event ${lastMatching.get(component)}`);
    }
    actors.set(`${component}/${key ?? '_'}`, {
      value: view.value,
      context: view.context,
      status: view.status,
      ...(key === undefined ? {} : { lastEvent: last && nameOf(last) }),
    });
  }

  for (const consumer of run.consumers) {
    const last = lastMatching.get(consumer.component) ?? 0;
    if (consumer.committedOffset !== consumer.offset) {
      problems.push(`consumer ${consumer.component} applied through ${consumer.offset} but committed only ${consumer.committedOffset}`);
    }
    if (consumer.offset < last || consumer.offset > run.head) {
      problems.push(`consumer ${consumer.component} is at offset ${consumer.offset}; its last event is seq ${last} and the head is ${run.head}`);
    }
  }
  if (run.deadLetters > 0) problems.push(`${run.deadLetters} events were parked`);
  return { events, streams, actors, emitted, problems };
}

const brief = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
};

/** Where two JSON values first differ, and how: `path: expected … got …`. */
function firstDifference(want: unknown, got: unknown, path = '$'): string {
  if (typeof want === 'object' && want !== null && typeof got === 'object' && got !== null && Array.isArray(want) === Array.isArray(got)) {
    const wanted = want as Record<string, unknown>;
    const gotten = got as Record<string, unknown>;
    for (const field of new Set([...Object.keys(wanted), ...Object.keys(gotten)])) {
      if (!isDeepStrictEqual(wanted[field], gotten[field])) return firstDifference(wanted[field], gotten[field], `${path}.${field}`);
    }
  }
  return `${path}: expected ${brief(want)}, got ${brief(got)}`;
}

/** Up to `limit` differences between two keyed collections, described for a failure message. */
export function differences(label: string, expected: Map<string, unknown>, actual: Map<string, unknown>, limit = 10): string[] {
  const found: string[] = [];
  for (const [name, want] of expected) {
    if (!actual.has(name)) found.push(`${label} ${name} is missing; expected ${brief(want)}`);
    else if (!isDeepStrictEqual(want, actual.get(name))) {
      found.push(`${label} ${name} differs at ${firstDifference(want, actual.get(name))}`);
    }
    if (found.length >= limit) return found;
  }
  for (const [name, got] of actual) {
    if (!expected.has(name)) found.push(`${label} ${name} is extra: ${brief(got)}`);
    if (found.length >= limit) break;
  }
  return found;
}
