import type { AnyActorLogic, AnyStateMachine } from 'xstate';
import { shown } from '../errors/shown.ts';
import { isMachine } from './logic-version.ts';

/** The parts of an XState state node the check reads. */
interface StateNodeLike {
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly states: Record<string, StateNodeLike>;
  readonly config: { readonly invoke?: unknown };
}

type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Statuses a snapshot can be restored in: an errored or stopped actor is not one to go on with. */
const RESTORABLE = new Set(['active', 'done']);

/** Initial-context fields of machines whose context is an object, not a function of input. */
const staticFields = new WeakMap<AnyStateMachine, readonly string[]>();

/**
 * What in a persisted snapshot does not fit `logic`, in words (empty when it fits): a status it
 * cannot be restored in, a state in its value (nested or parallel) or in its history that the
 * machine does not have, a child whose logic the machine cannot resolve, and fields of the
 * machine's initial context (for `input`) that its context lacks. XState would restore such a
 * snapshot without a word, dropping the child or reading the field as `undefined`.
 *
 * A field whose initial value is `undefined` is not asked for: JSON drops it from snapshots.
 *
 * @example
 * snapshotMisfits(checkout, { status: 'active', value: { payment: 'awaiting' }, context: {}, children: {} }, { key: 'o1' });
 * // ['state "payment.awaiting" no longer exists']
 */
export function snapshotMisfits(logic: AnyActorLogic, snapshot: unknown, input: unknown): string[] {
  if (!isRecord(snapshot)) return [`the snapshot is ${shown(snapshot)}, not an object`];
  const problems: string[] = [];
  if (!RESTORABLE.has(snapshot.status as string)) problems.push(`its status ${shown(snapshot.status)} is not "active" or "done"`);
  if (!isMachine(logic)) return problems;
  machineMisfits(logic, snapshot, problems);
  contextMisfits(logic, snapshot.context, input, problems);
  return problems;
}

/** State value, history and children: what does not depend on the actor's input. */
function machineMisfits(machine: AnyStateMachine, snapshot: Fields, problems: string[]): void {
  if (snapshot.value === undefined) problems.push('it has no state value');
  else valueMisfits(machine, machine.root as unknown as StateNodeLike, snapshot.value, [], problems);
  if (snapshot.historyValue !== undefined) historyMisfits(machine, snapshot.historyValue, problems);
  if (!isRecord(snapshot.children)) {
    problems.push(`its children are ${shown(snapshot.children)}, not an object`);
    return;
  }
  for (const [id, child] of Object.entries(snapshot.children)) childMisfits(machine, id, child, problems);
}

function valueMisfits(machine: AnyStateMachine, node: StateNodeLike, value: unknown, path: string[], problems: string[]): void {
  if (typeof value === 'string') {
    stateMisfit(node.states[value], [...path, value], problems);
    return;
  }
  if (!isRecord(value)) {
    problems.push(`${shown(value)} in state ${named(path)} is not a state value`);
    return;
  }
  const keys = Object.keys(value);
  if (node.type === 'compound' && keys.length > 1) problems.push(`state ${named(path)} is in ${keys.map((k) => named([...path, k])).join(' and ')} at once`);
  for (const key of keys) {
    // XState reads a key that starts with "#" as a state id.
    const child = key.startsWith('#') ? nodeById(machine, key.slice(1)) : node.states[key];
    if (stateMisfit(child, [...path, key], problems)) valueMisfits(machine, child as StateNodeLike, value[key], [...path, key], problems);
  }
}

/** Reports a state the value names that is missing or a history state; true when it is a state to go on into. */
function stateMisfit(node: StateNodeLike | undefined, path: string[], problems: string[]): boolean {
  if (node === undefined) {
    problems.push(`state ${named(path)} no longer exists`);
    return false;
  }
  if (node.type === 'history') {
    problems.push(`state ${named(path)} is a history state, which no snapshot can be in`);
    return false;
  }
  return true;
}

function historyMisfits(machine: AnyStateMachine, history: unknown, problems: string[]): void {
  if (!isRecord(history)) return;
  for (const [historyId, remembered] of Object.entries(history)) {
    // A history state that is gone is never entered again: what it remembered does not matter.
    if (nodeById(machine, historyId) === undefined || !Array.isArray(remembered)) continue;
    for (const entry of remembered) {
      const id = isRecord(entry) ? entry.id : undefined;
      if (typeof id !== 'string' || nodeById(machine, id) === undefined) {
        problems.push(`history state "${historyId}" remembers state ${shown(id)}, which no longer exists`);
      }
    }
  }
}

function childMisfits(machine: AnyStateMachine, id: string, child: unknown, problems: string[]): void {
  const src = isRecord(child) ? child.src : undefined;
  if (typeof src !== 'string') {
    problems.push(`child "${id}" has no logic name (src ${shown(src)}), so it cannot be restored`);
    return;
  }
  const logic = childLogic(machine, src);
  if (logic === undefined) {
    const invoked = /^xstate\.invoke\.\d+\.(.*)$/.exec(src);
    problems.push(
      invoked
        ? `child "${id}" was invoked by state "${invoked[1]}", which no longer invokes it`
        : `child "${id}" has no logic "${src}" (name it in setup({ actors }))`,
    );
    return;
  }
  const snapshot = (child as Fields).snapshot;
  // A child machine's input is not stored, so its context fields cannot be asked for.
  if (isMachine(logic) && isRecord(snapshot)) {
    const inner: string[] = [];
    machineMisfits(logic, snapshot, inner);
    for (const problem of inner) problems.push(`child "${id}": ${problem}`);
  }
}

/** The logic XState would give a stored child with this `src`, resolved the way it does on restore. */
function childLogic(machine: AnyStateMachine, src: string): AnyActorLogic | undefined {
  const invoked = /^xstate\.invoke\.(\d+)\.(.*)$/.exec(src);
  if (!invoked) return (machine.implementations.actors as Record<string, AnyActorLogic | undefined>)[src];
  const node = nodeById(machine, invoked[2] as string);
  const config = node?.config.invoke;
  const invocation = (Array.isArray(config) ? config[Number(invoked[1])] : config) as { src?: unknown } | undefined;
  const logic = invocation?.src;
  if (typeof logic === 'string') return (machine.implementations.actors as Record<string, AnyActorLogic | undefined>)[logic];
  return typeof logic === 'object' && logic !== null ? (logic as AnyActorLogic) : undefined;
}

function contextMisfits(machine: AnyStateMachine, context: unknown, input: unknown, problems: string[]): void {
  const fields = initialFields(machine, input);
  if (fields.length === 0) return;
  const missing = isRecord(context) ? fields.filter((field) => !(field in context)) : fields;
  if (missing.length === 0) return;
  const list = missing.map((field) => `"${field}"`).join(', ');
  problems.push(
    missing.length === 1
      ? `context field ${list} is missing (the current logic's initial context has it)`
      : `context fields ${list} are missing (the current logic's initial context has them)`,
  );
}

/** Fields of the machine's initial context with a value; none when it cannot be computed without running the machine. */
function initialFields(machine: AnyStateMachine, input: unknown): readonly string[] {
  const cached = staticFields.get(machine);
  if (cached) return cached;
  const context = (machine.config as { context?: unknown }).context;
  if (typeof context !== 'function') {
    const fields = definedFields(context);
    staticFields.set(machine, fields);
    return fields;
  }
  try {
    // The context factory alone, not the initial state's entry actions: nothing of the actor runs.
    return definedFields(context({ input, self: undefined, spawn: refuseSpawn }));
  } catch {
    // A factory that spawns (or needs `self`) builds its context with the actor: not checked.
    return [];
  }
}

const definedFields = (context: unknown): readonly string[] => (isRecord(context) ? Object.keys(context).filter((field) => context[field] !== undefined) : []);

function refuseSpawn(): never {
  throw new Error('spawning is not checked');
}

function nodeById(machine: AnyStateMachine, id: string): StateNodeLike | undefined {
  try {
    return machine.getStateNodeById(id) as unknown as StateNodeLike;
  } catch {
    return undefined;
  }
}

/** A state path as a message names it: `"payment.awaiting"`, or `(the root)` for the empty path. */
function named(path: readonly string[]): string {
  return path.length === 0 ? '(the root)' : `"${path.join('.')}"`;
}
