import { isDeepStrictEqual } from 'node:util';
import { compilePattern } from '../../src/topic.ts';
import type { RunResult } from './worker.ts';

/** Subscriptions of the workload's consumers, to tell which events each had to process. */
export const SUBSCRIPTIONS: Record<string, readonly string[]> = {
  acc: ['work.add'],
  gate: ['acc.added'],
  audit: ['acc.added', 'gate.cycled', 'acc.called', 'gate.cooled'],
};

/** The topic of a consumer's input records (each component here is one consumer of its own name). */
const INPUT_PREFIX = '$input.';
const isInputRecord = (entry: { topic: string }): boolean => entry.topic.startsWith(INPUT_PREFIX);

type LogEntry = RunResult['log'][number];

export interface CanonicalEvent {
  topic: string;
  key: string | undefined;
  event: unknown;
  causation: string | undefined;
}

export interface CanonicalRun {
  /** Events and input records by a run-independent id; see `canonicalize`. */
  events: Map<string, CanonicalEvent>;
  /**
   * Canonical ids in log order per `topic/key`: the order that must not change between runs.
   * Input records, and what actors emitted while taking one in, are left out: a timer's firing
   * and a child's outcome are appended when they happen (real time), so their order among
   * themselves and against events differs from run to run. They are in `events`, so every run
   * must have the same ones.
   */
  streams: Map<string, string[]>;
  /** Actors by `component/key`: value, context, status and the canonical id of their last event. */
  actors: Map<string, unknown>;
  /** Events emitted by actors (while taking in an event or an input record). */
  emitted: number;
  /** Input records: timers fired, children's outcomes. */
  inputs: number;
  /** Whatever is wrong with the run on its own: gaps, doubled ids, ids that disagree with their causation. */
  problems: string[];
}

/**
 * What an id derived from processing says about where it came from. Such ids are
 * `component/key/<tag>/<what>`, and a tag names what was being processed:
 *
 * - `<seq>`: an event (what it emits: `component/key/<seq>/<n>`);
 * - `timer/<cause>/<timer id>`: a timer's firing record, `cause` being what set the timer
 *   (a `<seq>`, or the tag of an input record taken in), e.g. `acc/k01/timer/17/tick-p-3/fired`;
 * - `<cause>/invoke/<child path>/<n>/done` (or `/event/<n>`, `/next/<n>`): a child's record,
 *   `cause` being what invoked it, e.g. `acc/k01/17/invoke/call-p-3/0/done`.
 *
 * Either way the seq at the root of the tag is the event the chain began with, and the id's
 * causation names that event.
 */
interface DerivedId {
  component: string;
  key: string;
  /** The tokens after `component/key`, with the root seq's position. */
  tokens: string[];
  seqAt: number;
}

function parseDerived(id: string): DerivedId | undefined {
  const [component, key, ...tokens] = id.split('/');
  if (component === undefined || key === undefined) return undefined;
  let seqAt = 0;
  while (tokens[seqAt] === 'timer') seqAt++;
  if (!/^[1-9][0-9]*$/.test(tokens[seqAt] ?? '')) return undefined;
  return { component, key, tokens, seqAt };
}

const INTEGER = /^(0|[1-9][0-9]*)$/;

/** An emitted event's tokens: `<seq>/<n>`, or a record's tag and `<n>`. */
function isEmittedShape(tokens: readonly string[]): boolean {
  return tokens.length >= 2 && INTEGER.test(tokens[tokens.length - 1] as string);
}

/** Tokens that end as a child's record does: `<cause>/invoke/<path>/<n>/done` (`/event/<n>`, `/next/<n>`). */
function isChildRecord(tokens: readonly string[]): boolean {
  const last = tokens[tokens.length - 1] as string;
  if (!tokens.includes('invoke')) return false;
  return last === 'done' || (INTEGER.test(last) && ['event', 'next'].includes(tokens[tokens.length - 2] as string));
}

/** Tokens that are a timer's firing: `timer/<cause>/<timer id>/fired`. */
const isFiring = (tokens: readonly string[]): boolean => tokens[0] === 'timer' && tokens.length >= 4 && tokens[tokens.length - 1] === 'fired';

/** An input record's tokens: a firing or a child's record. */
const isRecordShape = (tokens: readonly string[]): boolean => isFiring(tokens) || isChildRecord(tokens);

/**
 * The id of the input record a tag names (a child's record, or a timer's, `timer/...`, whose
 * record is its firing), or undefined for a tag that is an event's seq.
 */
function recordOfTag(component: string, key: string, tag: readonly string[]): string | undefined {
  if (tag.length <= 1) return undefined;
  const id = `${component}/${key}/${tag.join('/')}`;
  return isChildRecord(tag) ? id : `${id}/fired`;
}

/**
 * The tag of what led to an input record: for a firing, what set the timer (`timer/<cause>/<id>/fired`
 * gives `cause`); for a child's record, what invoked the child (`<cause>/invoke/...`).
 */
function causeOfRecord(tokens: readonly string[]): string[] {
  if (isFiring(tokens)) return tokens.slice(1, -2);
  return tokens.slice(0, tokens.lastIndexOf('invoke'));
}

/**
 * Seqs differ between runs (the log interleaves producer batches, checkpoint commits, timers
 * and children's outcomes by timing), and every id derived from processing embeds the seq of
 * the event its chain began with. So that seq is replaced by the canonical id of that event:
 * an emitted `component/key/<seq>/n` becomes `component/key/<canonical id of its cause>/n`, a
 * firing `component/key/timer/<seq>/<timer id>/fired` becomes
 * `component/key/timer/<canonical id>/<timer id>/fired`, and so on; the records' fields that
 * name a timer or a child are renamed alike. Producer ids are fixed already. Two runs that did
 * the same work then have the same canonical events.
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
  /** `id` with its root seq replaced by the canonical id of the event at that seq, or undefined if it has no such seq. */
  const renamed = (id: string): string | undefined => {
    const derived = parseDerived(id);
    const cause = derived && bySeq.get(Number(derived.tokens[derived.seqAt]));
    if (!derived || !cause) return undefined;
    const tokens = [...derived.tokens];
    tokens[derived.seqAt] = nameOf(cause);
    return [derived.component, derived.key, ...tokens].join('/');
  };
  const nameOf = (entry: LogEntry): string => {
    const known = names.get(entry.id);
    if (known !== undefined) return known;
    let name = entry.id;
    if (entry.causation !== undefined) {
      const derived = parseDerived(entry.id);
      const cause = derived && bySeq.get(Number(derived.tokens[derived.seqAt]));
      const shapeOk = derived !== undefined && (isInputRecord(entry) ? isRecordShape(derived.tokens) : isEmittedShape(derived.tokens));
      if (!derived || !shapeOk || !cause || cause.id !== entry.causation) {
        problems.push(`id ${entry.id} does not name its cause ${entry.causation} by seq`);
      } else {
        if (cause.seq >= entry.seq) problems.push(`${entry.id} (seq ${entry.seq}) precedes its cause (seq ${cause.seq})`);
        name = renamed(entry.id) as string;
        // What a record led to comes after that record: an emitted event after the record it was
        // emitted from, a record after the record whose taking in set its timer or invoked its child.
        const tag = isInputRecord(entry) ? causeOfRecord(derived.tokens) : derived.tokens.slice(0, -1);
        const source = recordOfTag(derived.component, derived.key, tag);
        const record = source === undefined ? undefined : byId.get(source);
        if (source !== undefined && (!record || !isInputRecord(record) || record.seq >= entry.seq)) {
          problems.push(
            `${entry.id} (seq ${entry.seq}) does not follow the record it came from, ${source} (${record ? `seq ${record.seq}` : 'not in the log'})`,
          );
        }
      }
    }
    names.set(entry.id, name);
    return name;
  };
  /** A record's event with the timer or child it names renamed as ids are. */
  const canonicalEvent = (entry: LogEntry): unknown => {
    if (!isInputRecord(entry)) return entry.event;
    const record = entry.event as { type: string; timer?: string; child?: string };
    const prefix = `${entry.id.split('/').slice(0, 2).join('/')}/`;
    if (typeof record.timer === 'string') return { ...record, timer: renamed(prefix + record.timer)?.slice(prefix.length) ?? `(unnamed) ${record.timer}` };
    if (typeof record.child === 'string') return { ...record, child: renamed(record.child) ?? `(unnamed) ${record.child}` };
    return record;
  };

  /** Whether an event came from taking in an input record: a record itself, or what an actor emitted while taking one in. */
  const fromRecord = (entry: LogEntry): boolean => {
    if (isInputRecord(entry)) return true;
    const derived = entry.causation === undefined ? undefined : parseDerived(entry.id);
    return derived !== undefined && derived.tokens.length > 2;
  };

  const events = new Map<string, CanonicalEvent>();
  const streams = new Map<string, string[]>();
  let emitted = 0;
  let inputs = 0;
  for (const entry of run.log) {
    const name = nameOf(entry);
    if (!fromRecord(entry)) {
      const stream = `${entry.topic}/${entry.key ?? '_'}`;
      const order = streams.get(stream);
      if (order) order.push(name);
      else streams.set(stream, [name]);
    }
    if (events.has(name)) problems.push(`two events stand for ${name}: the same work was recorded twice`);
    const cause = entry.causation === undefined ? undefined : byId.get(entry.causation);
    events.set(name, { topic: entry.topic, key: entry.key, event: canonicalEvent(entry), causation: cause && nameOf(cause) });
    if (isInputRecord(entry)) {
      inputs++;
      if (entry.causation === undefined) problems.push(`input record ${entry.id} names no cause`);
    } else if (entry.causation !== undefined) emitted++;
  }

  /** What is routed to a component: the events it subscribes to, and its own input records. */
  const routedTo = (component: string): ((entry: LogEntry) => boolean) => {
    const matchers = (SUBSCRIPTIONS[component] ?? []).map(compilePattern);
    return (entry) => entry.topic === `${INPUT_PREFIX}${component}` || matchers.some((match) => match(entry.topic));
  };
  const lastRouted = new Map<string, number>();
  /** Per `component/key`: the last entry routed to that actor, and the last of them that is an event (not a record). */
  const lastPerActor = new Map<string, { taken: LogEntry; event: LogEntry | undefined }>();
  for (const component of Object.keys(SUBSCRIPTIONS)) {
    const routed = routedTo(component);
    for (const entry of run.log) {
      if (!routed(entry)) continue;
      lastRouted.set(component, entry.seq);
      const actor = `${component}/${entry.key ?? '_'}`;
      const event = isInputRecord(entry) ? lastPerActor.get(actor)?.event : entry;
      lastPerActor.set(actor, { taken: entry, event });
    }
  }

  const actors = new Map<string, unknown>();
  for (const { component, key, view } of run.actors) {
    if (key === undefined) {
      // A singleton over several keys ends on whichever key's event the log happened to hold last.
      if (view.seq !== lastRouted.get(component)) {
        problems.push(`singleton ${component} last processed seq ${view.seq}, not its last event ${lastRouted.get(component)}`);
      }
      actors.set(`${component}/_`, { value: view.value, context: view.context, status: view.status });
      continue;
    }
    // A keyed actor's events come in a fixed order, so its last one is the same in every run; its
    // input records come when they happen, so the last thing it took in may be one of them.
    const last = lastPerActor.get(`${component}/${key}`);
    if (view.seq !== (last?.taken.seq ?? 0)) {
      problems.push(`${component}/${key} last processed seq ${view.seq}, not the last event or record routed to it (${last?.taken.seq ?? 0})`);
    }
    actors.set(`${component}/${key}`, { value: view.value, context: view.context, status: view.status, lastEvent: last?.event && nameOf(last.event) });
  }

  for (const consumer of run.consumers) {
    const lastSeq = lastRouted.get(consumer.component) ?? 0;
    if (consumer.committedOffset !== consumer.offset) {
      problems.push(`consumer ${consumer.component} applied through ${consumer.offset} but committed only ${consumer.committedOffset}`);
    }
    if (consumer.offset < lastSeq || consumer.offset > run.head) {
      problems.push(`consumer ${consumer.component} is at offset ${consumer.offset}; its last event is seq ${lastSeq} and the head is ${run.head}`);
    }
  }
  if (run.deadLetters > 0) problems.push(`${run.deadLetters} events were parked`);
  return { events, streams, actors, emitted, inputs, problems };
}

/** One process lifetime on a file, as the call count sees it. */
export interface Lifetime {
  /** The log's head when it started (`opened` line), or undefined if it was killed before saying. */
  head: number | undefined;
  /** The effect ids of the calls its children made, in order. */
  calls: string[];
}

export interface CallCount {
  /** Calls made, and effects whose call was made more than once (each time by a later lifetime, the outcome not yet in the log). */
  calls: number;
  repeated: number;
  mostCalls: number;
  problems: string[];
}

/**
 * Checks that each child's call was made once, and again only by a lifetime that started with
 * the call made before (by a lifetime killed since) and its outcome not in the log: a call in
 * flight at a kill. A call made while its outcome was already in the log, made twice by one
 * lifetime, whose outcome never reached the log, or an outcome in the log without a call, is a problem.
 */
export function countCalls(lives: readonly Lifetime[], run: RunResult): CallCount {
  const problems: string[] = [];
  const outcomeSeq = new Map<string, number>();
  for (const entry of run.log) {
    const record = entry.event as { type?: string; child?: string };
    if (isInputRecord(entry) && record.type === 'recq.child.done' && typeof record.child === 'string') outcomeSeq.set(record.child, entry.seq);
  }
  const perEffect = new Map<string, number>();
  lives.forEach((life, index) => {
    const seen = new Set<string>();
    for (const effect of life.calls) {
      perEffect.set(effect, (perEffect.get(effect) ?? 0) + 1);
      if (seen.has(effect)) problems.push(`lifetime ${index + 1} called ${effect} twice`);
      seen.add(effect);
      const seq = outcomeSeq.get(effect);
      if (seq === undefined) problems.push(`${effect} was called (lifetime ${index + 1}) but its outcome is not in the log`);
      else if (life.head === undefined || seq <= life.head) {
        problems.push(`lifetime ${index + 1} called ${effect} though its outcome (seq ${seq}) was in the log when it started (head ${life.head})`);
      }
    }
  });
  for (const effect of outcomeSeq.keys()) if (!perEffect.has(effect)) problems.push(`${effect} has an outcome in the log but was never called`);
  const counts = [...perEffect.values()];
  return {
    calls: counts.reduce((sum, n) => sum + n, 0),
    repeated: counts.filter((n) => n > 1).length,
    mostCalls: Math.max(0, ...counts),
    problems: problems.slice(0, 20),
  };
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
