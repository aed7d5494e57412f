import type { AnyActorRef } from 'xstate';
import { ActorCell, type CellOwner } from '../actor/actor-cell.ts';
import { timerTag } from '../actor/durable-timers.ts';
import { idempotencyKey } from '../actor/idempotency-key.ts';
import { inputRecordOf } from '../actor/input-records.ts';
import type { Clock } from '../clock.ts';
import type { Component } from '../component/component.ts';
import type { Envelope } from '../envelope.ts';
import { DashboardRequestError } from '../errors.ts';
import { inputTopicOf, isInputTopic } from '../topic.ts';
import { childPathOf, eventOf, invokeSources } from './records.ts';
import { HISTORY_LIMIT, type LogReader } from './source.ts';
import type { DashboardReplay, DashboardStep } from './wire.ts';

/** What a source knows of an actor to replay it: its component's definition, its consumer, and the log. */
export interface ReplayInputs {
  definition: Component | undefined;
  component: string;
  /** The consumer whose input records (`$input.<consumer>`) the actor takes in: today, its component's name. */
  consumer: string;
  key: string | undefined;
  read: LogReader;
}

const PAGE = 5_000;

/**
 * An actor's history rebuilt in memory from the log alone: every event its component routes
 * to its key and every input record of its (a timer's firing, a child's outcome, event or
 * value), from the beginning of the log, in seq order, through a fresh actor of its machine,
 * the way a host rebuilds an actor after `recq replay`. The `ActorCell` records nothing and
 * starts no child: a child meets its outcome where the log has it, and one whose outcome the
 * log has not got is pending; a delayed event fires where its firing is in the log. Nothing is written.
 *
 * @example
 * const replay = await replayActor({ definition: orders, component: 'orders', consumer: 'orders', key: 'o-1', read });
 * replay.steps.map((s) => s.value); // ['pricing', 'priced', 'shipped']: place, the quote's outcome, ship
 */
export async function replayActor(inputs: ReplayInputs): Promise<DashboardReplay> {
  const { definition, component } = inputs;
  if (!definition) {
    throw new DashboardRequestError(
      404,
      `Cannot replay ${component}: the dashboard has not got its logic. Start it with the system's module (recq dashboard <module>) or pass components to serveDashboard.`,
    );
  }
  if (definition.keyed && inputs.key === undefined)
    throw new DashboardRequestError(400, `Component ${component} is keyed: give the key of the actor to replay.`);
  // A singleton has no key: every event on its topics is its own.
  const key = definition.keyed ? inputs.key : undefined;
  const logStart = (await inputs.read(0, [], 1))[0]?.seq;
  const patterns = [...definition.patterns, inputTopicOf(inputs.consumer)];
  const events: Envelope[] = [];
  for (let after = 0; ; ) {
    const page = await inputs.read(after, patterns, PAGE);
    for (const envelope of page) if (key === undefined || definition.keyOf(envelope) === key) events.push(envelope);
    if (page.length < PAGE) break;
    after = (page.at(-1) as Envelope).seq;
  }
  return replayEvents(definition, inputs.consumer, key, events, logStart);
}

function replayEvents(
  definition: Component,
  consumer: string,
  key: string | undefined,
  events: readonly Envelope[],
  logStart: number | undefined,
): DashboardReplay {
  const sources = invokeSources(definition.logic);
  const childName = (effect: string) => {
    const name = childPathOf(effect);
    const src = sources.get(name);
    return src === undefined ? name : `${src} (${name})`;
  };
  let now = events[0]?.time ?? 0;
  const clock: Clock = { now: () => now, setTimeout: () => undefined, clearTimeout: () => {} };
  // Nothing is recorded and no child is started: what the actor met is all in the log.
  const owner: CellOwner = {
    consumer,
    changedOutsideProcessing() {},
    emitRefused() {},
    record() {},
    holdsEffects: true,
    maxPayloadBytes: Number.POSITIVE_INFINITY,
  };
  const open = (first: Envelope | undefined) => ActorCell.open(definition, owner, clock, key, undefined, first);

  const initial = open(undefined);
  const start = stateOf(initial);
  let cell: ActorCell | undefined = definition.keyed ? undefined : initial;
  if (definition.keyed) initial.stop();
  const applied: Envelope[] = [];
  /** After a failed event, the actor as the host leaves it: its events so far without the failed one. */
  const rebuild = (): ActorCell | undefined => {
    const first = definition.keyed ? applied[0] : undefined;
    const fresh = definition.keyed && !first ? undefined : open(first);
    for (const envelope of applied) fresh?.process(envelope);
    return fresh;
  };

  const steps: DashboardStep[] = [];
  let failures = 0;
  for (const envelope of events) {
    now = envelope.time;
    cell ??= open(envelope);
    const notes = isInputTopic(envelope.topic) ? idleRecord(cell, envelope, childName) : [];
    let failed: string | undefined;
    if (cell.process(envelope)) {
      applied.push(envelope);
    } else {
      failed = messageOf(cell.failure);
      failures++;
      cell.stop();
      cell = rebuild();
    }
    const state = cell ? stateOf(cell) : start;
    steps.push({ event: eventOf(envelope, sources), ...state, ...(failed === undefined ? {} : { failed }), notes });
  }
  const pendingTimers = cell?.timers.pending.size ?? 0;
  const pendingChildren = cell
    ? [...childrenOf(cell.actor)].filter(([, ref]) => ref.getSnapshot().status === 'active').map(([effect]) => childName(effect))
    : [];
  cell?.stop();
  return {
    component: definition.name,
    key,
    start,
    steps: steps.slice(-HISTORY_LIMIT),
    notes: notesOf({ steps: steps.length, logStart, failures, pendingTimers, pendingChildren }),
  };
}

/** What an input record meets before it is taken in: nothing to change when its timer is no longer pending or its child no longer active. */
function idleRecord(cell: ActorCell, envelope: Envelope, childName: (effect: string) => string): string[] {
  const record = inputRecordOf(envelope.event);
  if (!record) return ['this record is of a kind this version does not know: the actor takes in nothing from it'];
  if (record.type === 'recq.timer.fired') {
    const pending = [...cell.timers.pending].some((t) => timerTag(t.stored) === record.timer);
    return pending ? [] : [`timer ${record.timer} was not pending (cancelled when its state was left, or never set): this firing changed nothing`];
  }
  const child = childrenOf(cell.actor).get(record.child);
  return child?.getSnapshot().status === 'active'
    ? []
    : [`child ${childName(record.child)} was not running here (stopped when its state was left, or never invoked): this record changed nothing`];
}

/** The actor's invoked children that recq runs (promises, callbacks, observables), at any depth, by effect id. */
function childrenOf(root: AnyActorRef): Map<string, AnyActorRef> {
  const found = new Map<string, AnyActorRef>();
  const visit = (ref: AnyActorRef): void => {
    const children = (ref.getSnapshot() as { children?: Record<string, AnyActorRef> }).children ?? {};
    for (const child of Object.values(children)) {
      const effect = idempotencyKey(child);
      if (effect === undefined) visit(child);
      else found.set(effect, child);
    }
  };
  visit(root);
  return found;
}

interface ReplayFacts {
  steps: number;
  logStart: number | undefined;
  failures: number;
  pendingTimers: number;
  pendingChildren: string[];
}

function notesOf(facts: ReplayFacts): string[] {
  const notes: string[] = [];
  const { steps, logStart, failures, pendingTimers, pendingChildren } = facts;
  if (logStart !== undefined && logStart > 1) {
    notes.push(
      `The log starts at seq ${logStart}: events before it are gone, so the replay starts from a fresh actor there and may not reach the actor's real state.`,
    );
  }
  if (failures > 0) {
    notes.push(
      `${failures} event${failures === 1 ? '' : 's'} failed and ${failures === 1 ? 'was' : 'were'} dead-lettered: the actor went on without ${failures === 1 ? 'it' : 'them'}.`,
    );
  }
  for (const child of pendingChildren) {
    notes.push(
      `Child ${child} is pending at the end: its outcome is not in the log yet. The replay runs no child; its host records the outcome when it settles.`,
    );
  }
  if (pendingTimers > 0) {
    notes.push(
      `${pendingTimers} delayed event${pendingTimers === 1 ? ' is' : 's are'} pending at the end: ${pendingTimers === 1 ? 'its' : 'their'} firing is not in the log yet; the host records it when it falls due.`,
    );
  }
  if (steps > HISTORY_LIMIT) notes.push(`Showing the last ${HISTORY_LIMIT} of ${steps} steps; the replay ran them all.`);
  return notes;
}

function stateOf(cell: ActorCell): { value: unknown; context: unknown; status: string } {
  // The persisted form is JSON: spawned children in the context are references, not actors.
  const persisted = cell.actor.getPersistedSnapshot() as { value?: unknown; context?: unknown; status: string };
  return { value: persisted.value, context: persisted.context, status: persisted.status };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
