import type { ActorView } from '../actor/actor-view.ts';
import type { StoredTimer } from '../actor/durable-timers.ts';
import { inputRecordOf } from '../actor/input-records.ts';
import type { Component } from '../component/component.ts';
import type { DeadLetter } from '../css/records.ts';
import type { Envelope } from '../envelope.ts';
import { compilePatterns, consumerOfInput, inputTopicOf, isInputTopic } from '../topic.ts';
import { HISTORY_LIMIT, HISTORY_WINDOW, type LogReader } from './source.ts';
import type { DashboardActor, DashboardDeadLetter, DashboardEffect, DashboardEvent, DashboardInput, DashboardTimer } from './wire.ts';

// How the sources turn recq's records into what the page reads.

/** An event of the log as the page reads it; an input record also says what it holds (`sources`: the invokes of its actor's machine, for each child's `src`). */
export function eventOf(envelope: Envelope, sources?: ReadonlyMap<string, string>): DashboardEvent {
  const event: DashboardEvent = { seq: envelope.seq, id: envelope.id, topic: envelope.topic, key: envelope.key, time: envelope.time, event: envelope.event };
  const input = isInputTopic(envelope.topic) ? inputOf(consumerOfInput(envelope.topic), envelope.event, sources) : undefined;
  return input ? { ...event, input } : event;
}

/**
 * Events of the whole log as the page reads them: an input record names its child's `src`
 * where `definitions` has the machine of the consumer it is for (a consumer is named after its component).
 */
export function logEventsOf(definitions: ReadonlyMap<string, { logic: unknown }>): (envelope: Envelope) => DashboardEvent {
  const sources = new Map<string, Map<string, string>>();
  return (envelope) => {
    if (!isInputTopic(envelope.topic)) return eventOf(envelope);
    const consumer = consumerOfInput(envelope.topic);
    let known = sources.get(consumer);
    if (!known) {
      known = invokeSources(definitions.get(consumer)?.logic);
      sources.set(consumer, known);
    }
    return eventOf(envelope, known);
  };
}

/** What an input record of `consumer`'s says, or undefined if it is not one this version knows. */
export function inputOf(consumer: string, event: unknown, sources?: ReadonlyMap<string, string>): DashboardInput | undefined {
  const record = inputRecordOf(event);
  if (!record) return undefined;
  if (record.type === 'recq.timer.fired') return { consumer, kind: 'timer', name: timerIdOf(record.timer), effect: record.timer, value: null };
  const name = childPathOf(record.child);
  const src = sources?.get(name);
  const child = { consumer, name, effect: record.child, ...(src === undefined ? {} : { src }) };
  switch (record.type) {
    case 'recq.child.done':
      return { ...child, kind: record.outcome, value: record.value === null ? null : parseJson(record.value) };
    case 'recq.child.event':
      return { ...child, kind: 'event', n: record.n, value: record.event };
    case 'recq.child.next':
      return { ...child, kind: 'value', n: record.n, value: record.value === null ? null : parseJson(record.value) };
  }
}

/** An effect id's child path: `component/key/<tag>/invoke/<path>/<n>` → `<path>`. */
export function childPathOf(effect: string): string {
  const at = effect.lastIndexOf('/invoke/');
  return at < 0 ? effect : effect.slice(at + '/invoke/'.length, effect.lastIndexOf('/'));
}

/** A timer tag's delayed event: `timer/<seq or cause>/<id>` → `<id>` (an `after` id, or a delayed send's). */
function timerIdOf(tag: string): string {
  const after = tag.indexOf('/xstate.after.');
  return after >= 0 ? tag.slice(after + 1) : tag.slice(tag.lastIndexOf('/') + 1);
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

/** What the log holds of one actor: its history (events and input records) and its effects (the input records alone). */
export interface ActorRecords {
  history: DashboardEvent[];
  effects: DashboardEffect[];
}

/** Where an actor's records are and how to tell its own: its consumer's topics and input topic, its key, and its machine for the children's `src`. */
export interface ActorTopics {
  patterns: readonly string[];
  consumer: string;
  key: string | undefined;
  keyOf?: ((envelope: Envelope) => string | undefined) | undefined;
  logic?: unknown;
}

/** What the dashboard reads an actor's records by, from its component's definition (where it has it). */
export function actorTopics(component: string, key: string | undefined, definition: Component | undefined): ActorTopics {
  return { patterns: definition?.patterns ?? [], consumer: component, key, keyOf: definition?.keyOf, logic: definition?.logic };
}

/**
 * The events among `envelopes` that reached one actor: on its consumer's topics and on its
 * input topic (`$input.<consumer>`) and, for a keyed one, of its key; the most recent
 * `HISTORY_LIMIT` of each list, oldest first.
 */
export function recordsOf(envelopes: readonly Envelope[], actor: ActorTopics): ActorRecords {
  const own = inputTopicOf(actor.consumer);
  const subscribed = actor.patterns.length === 0 ? (topic: string) => !isInputTopic(topic) : compilePatterns(actor.patterns);
  const keyOf = actor.keyOf ?? ((e: Envelope) => e.key);
  const sources = invokeSources(actor.logic);
  const mine = envelopes
    .filter((e) => (e.topic === own || subscribed(e.topic)) && (actor.key === undefined || keyOf(e) === actor.key))
    .map((e) => eventOf(e, sources));
  const effects = mine.filter((e): e is DashboardEffect => e.input !== undefined);
  return { history: mine.slice(-HISTORY_LIMIT), effects: effects.slice(-HISTORY_LIMIT) };
}

/** The records of one actor (see `recordsOf`) among the last `HISTORY_WINDOW` events of the log up to `head`. */
export async function recentRecordsOf(read: LogReader, head: number, actor: ActorTopics): Promise<ActorRecords> {
  // No pattern reads the whole log, input records too.
  const patterns = actor.patterns.length === 0 ? [] : [...actor.patterns, inputTopicOf(actor.consumer)];
  const window = await read(Math.max(0, head - HISTORY_WINDOW), patterns, HISTORY_WINDOW);
  return recordsOf(window, actor);
}

/** An actor as the page shows it: its state as its host reports it, and what the source could read of the rest. */
export function actorOf(component: string, view: ActorView, rest: Pick<DashboardActor, 'timers' | 'history' | 'effects' | 'unavailable'>): DashboardActor {
  return { component, key: view.key, value: view.value, context: view.context, status: view.status, seq: view.seq, ...rest };
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
