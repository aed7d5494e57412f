import { ActorCell, type CellOwner } from '../actor/actor-cell.ts';
import type { Clock } from '../clock.ts';
import type { Component } from '../component/component.ts';
import type { JournalEntry } from '../css/records.ts';
import type { Envelope } from '../envelope.ts';
import { DashboardRequestError } from '../errors.ts';
import { deliveryOrder, effectOf, eventOf, invokeSources } from './records.ts';
import { HISTORY_LIMIT, type LogReader } from './source.ts';
import type { DashboardReplay, DashboardStep } from './wire.ts';

/** What a source knows of an actor to replay it: its component's definition, the log, and its journal where the source can read it. */
export interface ReplayInputs {
  definition: Component | undefined;
  component: string;
  key: string | undefined;
  read: LogReader;
  /** The actor's journaled outcomes and firings, or why this source cannot read them. */
  journal: readonly JournalEntry[] | { unavailable: string };
}

const PAGE = 5_000;

/**
 * An actor's history rebuilt in memory: every event its component routes to its key, from the
 * beginning of the log, through a fresh actor of its machine, the way a host rebuilds an actor
 * after `recq replay`, on an `ActorCell` whose children never run: a journaled outcome is
 * delivered at its point of history, as on a replay; one that is not journaled is left out
 * (the step says so). Timers fire only where their firing is journaled. Nothing is written.
 *
 * @example
 * const replay = await replayActor({ definition: documents, component: 'documents', key: 'doc-1', read, journal });
 * replay.steps.map((s) => s.value); // ['draft', { review: { legal: 'pending', finance: 'pending' } }, ...]
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
  const events: Envelope[] = [];
  for (let after = 0; ; ) {
    const page = await inputs.read(after, definition.patterns, PAGE);
    for (const envelope of page) if (key === undefined || definition.keyOf(envelope) === key) events.push(envelope);
    if (page.length < PAGE) break;
    after = (page.at(-1) as Envelope).seq;
  }
  return replayEvents(definition, key, events, inputs.journal, logStart);
}

function replayEvents(
  definition: Component,
  key: string | undefined,
  events: readonly Envelope[],
  journal: ReplayInputs['journal'],
  logStart: number | undefined,
): DashboardReplay {
  const entries = new Map(('unavailable' in journal ? [] : journal).map((entry) => [entry.id, entry]));
  const delivered = [...entries.values()].filter((e) => e.outcome !== 'stopped' && e.outcome !== 'parked').sort(deliveryOrder);
  const sources = invokeSources(definition.logic);
  const childName = (id: string) => {
    const { name } = effectOf({ id, key: '', outcome: 'done', value: null, appliedAfter: 0 });
    const src = sources.get(name);
    return src === undefined ? name : `${src} (${name})`;
  };
  let gaps: string[] = [];
  // A child whose outcome is not journaled reads as stopped before it settled, so it is never started.
  const lookup = (id: string): JournalEntry | undefined => {
    const entry = entries.get(id);
    if (entry || !id.includes('/invoke/')) return entry;
    const stand: JournalEntry = { id, key: key ?? '', outcome: 'stopped', value: null, appliedAfter: 0 };
    gaps.push(`child ${childName(id)} was invoked here; its outcome is not in the journal, so the replay does not run it`);
    return stand;
  };
  let now = events[0]?.time ?? 0;
  const clock: Clock = { now: () => now, setTimeout: () => undefined, clearTimeout: () => {} };
  // Nothing is recorded and no child is started: what the actor met is all in the log.
  const owner: CellOwner = {
    consumer: definition.name,
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
    const saved = gaps;
    gaps = [];
    const first = definition.keyed ? applied[0] : undefined;
    const fresh = definition.keyed && !first ? undefined : open(first);
    for (const envelope of applied) fresh?.process(envelope);
    gaps = saved;
    return fresh;
  };

  const steps: DashboardStep[] = [];
  for (const envelope of events) {
    now = envelope.time;
    gaps = [];
    cell ??= open(envelope);
    let failed: string | undefined;
    if (cell.process(envelope)) {
      applied.push(envelope);
    } else {
      failed = messageOf(cell.failure);
      cell.stop();
      cell = rebuild();
    }
    const state = cell ? stateOf(cell) : start;
    const after = delivered
      .filter((e) => e.appliedAfter === envelope.seq)
      .map((e) => (e.outcome === 'fired' ? `timer ${effectOf(e).name} fired` : `child ${childName(e.id)}: ${e.outcome}`));
    steps.push({ event: eventOf(envelope), ...state, ...(failed === undefined ? {} : { failed }), delivered: failed ? [] : after, gaps });
  }
  const pendingTimers = cell?.timers.pending.size ?? 0;
  cell?.stop();
  return { component: definition.name, key, start, steps: steps.slice(-HISTORY_LIMIT), notes: notesOf(steps.length, logStart, journal, pendingTimers) };
}

function notesOf(steps: number, logStart: number | undefined, journal: ReplayInputs['journal'], pendingTimers: number): string[] {
  const notes: string[] = [];
  if (logStart !== undefined && logStart > 1) {
    notes.push(
      `The log starts at seq ${logStart}: events before it are gone, so the replay starts from a fresh actor there and may not reach the actor's real state.`,
    );
  }
  if ('unavailable' in journal) {
    notes.push(`${journal.unavailable}: invoked children are not run and delayed events are not fired, so steps after them may differ.`);
  }
  if (pendingTimers > 0) {
    notes.push(
      `${pendingTimers} delayed event${pendingTimers === 1 ? ' is' : 's are'} pending at the end: the replay fires a delayed event only where its firing is journaled.`,
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
