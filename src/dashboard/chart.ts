import type { ChartNode, ChartTransition } from './wire.ts';

/** The parts of an XState v5 state node the chart reads; logic without them (`fromStore`) has no chart. */
interface StateNodeLike {
  id: string;
  key: string;
  type: ChartNode['type'];
  history?: false | 'shallow' | 'deep';
  states: Record<string, StateNodeLike>;
  initial?: { target?: readonly { id: string }[] };
  transitions: Map<string, readonly TransitionLike[]>;
  always?: readonly TransitionLike[];
}

interface TransitionLike {
  eventType: string;
  target?: readonly { id: string }[];
  guard?: unknown;
}

/**
 * The statechart of a component's logic, as the page draws it: every state node with its type,
 * initial child and transitions (delayed ones labelled by their delay's name). Undefined for
 * logic that is not a state machine.
 *
 * @example
 * chartOf(documentMachine)?.children.map((n) => n.key); // ['draft', 'review', 'onHold', ...]
 */
export function chartOf(logic: unknown): ChartNode | undefined {
  const root = (logic as { root?: unknown } | null)?.root;
  return isStateNode(root) ? nodeOf(root) : undefined;
}

function isStateNode(value: unknown): value is StateNodeLike {
  return (
    typeof value === 'object' && value !== null && 'states' in value && 'transitions' in value && (value as { transitions: unknown }).transitions instanceof Map
  );
}

function nodeOf(node: StateNodeLike): ChartNode {
  const transitions: ChartTransition[] = [];
  for (const list of node.transitions.values()) for (const t of list) transitions.push(transitionOf(t, node.id));
  for (const t of node.always ?? []) transitions.push({ ...transitionOf(t, node.id), label: 'always' });
  const initial = node.initial?.target?.[0]?.id;
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    ...(initial === undefined ? {} : { initial }),
    ...(node.history ? { history: node.history } : {}),
    children: Object.values(node.states).map(nodeOf),
    transitions: transitions.filter((t) => t.targets.length > 0),
  };
}

function transitionOf(t: TransitionLike, source: string): ChartTransition {
  const guard = guardName(t.guard);
  return { label: eventLabel(t.eventType, source), targets: (t.target ?? []).map((s) => s.id), ...(guard === undefined ? {} : { guard }) };
}

/** XState's internal event names, as a reader of the machine's config would write them. */
function eventLabel(eventType: string, source: string): string {
  if (eventType.startsWith('xstate.after.')) {
    const delay = eventType.slice('xstate.after.'.length, eventType.length - source.length - 1);
    return `after ${delay}`;
  }
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  if (eventType.startsWith('xstate.done.actor.')) return `done ${eventType.slice('xstate.done.actor.'.length)}`;
  if (eventType.startsWith('xstate.error.actor.')) return `error ${eventType.slice('xstate.error.actor.'.length)}`;
  return eventType;
}

/** A named guard, or `and(a, b)` / `or(...)` / `not(...)` of named ones. */
function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') return guard.type;
  if (typeof guard === 'function') {
    const inner = (guard as { guards?: unknown }).guards;
    if (Array.isArray(inner)) return `${guard.name}(${inner.map((g) => guardName(g) ?? '…').join(', ')})`;
    const single = (guard as { guard?: unknown }).guard ?? inner;
    if (single !== undefined) return `${guard.name}(${guardName(single) ?? '…'})`;
    return guard.name || 'guard';
  }
  return 'guard';
}
