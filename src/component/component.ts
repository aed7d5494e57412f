import type { AnyActorLogic, AnyStateMachine } from 'xstate';
import type { Envelope, StoredEvent } from '../envelope.ts';
import { EventRejectedError, InlineSpawnError, InvalidComponentError } from '../errors.ts';
import { assertPattern, INPUT_TOKEN, isInputTopic } from '../topic.ts';
import { AUTO_VERSION } from './logic-version.ts';
import { checkpointProblem, numberProblem } from './policy-checks.ts';
import { type RetryPolicy, retryPolicyProblem } from './retry-policy.ts';

/** How often a consumer checkpoints: after `maxEvents` events, or `maxDelayMs` after the first uncommitted one. */
export interface CheckpointPolicy {
  maxEvents: number;
  maxDelayMs: number;
}

/**
 * Everything `defineComponent` accepts.
 *
 * @typeParam TLogic - an XState machine, or `fromStore(...)` logic from `@xstate/store`.
 */
export interface ComponentConfig<TLogic extends AnyActorLogic = AnyActorLogic> {
  /** Unique in the system; letters, digits, `_` and `-`. Names the consumer and prefixes emitted ids. */
  name: string;
  logic: TLogic;
  /** Topic patterns (NATS wildcards: `*` one token, `>` the rest). */
  subscribe: string | readonly string[];
  /**
   * Makes the component keyed: one actor per key. `true` uses the envelope's key; a function
   * picks the key from the envelope.
   */
  key?: true | ((envelope: Envelope) => string | undefined);
  /**
   * The logic version stored with snapshots; give one (and `migrate`) for a breaking change.
   * Without it, snapshots are stored as `'auto'` and restored whenever they fit the current
   * logic (their states, children and context fields exist in it), however it was edited.
   */
  version?: string;
  /**
   * Upgrades a snapshot stored under another version to the current one; what it returns must
   * fit the current logic too. Without it, a snapshot of another version refuses to restore.
   */
  migrate?: (snapshot: unknown, fromVersion: string) => unknown;
  /** Where emitted events go. Default: topic = the event's `type`, key = the emitting actor's key. */
  emits?: {
    topic?: (event: StoredEvent) => string;
    key?: (event: StoredEvent, actorKey: string | undefined) => string | undefined;
  };
  /** Input for a new actor. Default: `{ key }` (key is undefined for a singleton). */
  input?: (key: string | undefined) => unknown;
  checkpoint?: Partial<CheckpointPolicy>;
  /** Drop an idle keyed actor from memory after this long (it stays in the CSS). */
  passivateAfterMs?: number;
  /** Retries and what happens after them (see `RetryPolicy`); defaults come from the system. */
  retry?: Partial<RetryPolicy>;
  /** Where a new consumer starts: the beginning of the log (default), or its head. */
  startFrom?: 'beginning' | 'head';
  /**
   * A Standard Schema (zod, valibot, arktype, …) every event must pass before it reaches the
   * actor. An event that fails is dead-lettered with the validation message, never retried.
   */
  schema?: StandardSchema;
}

/** The part of the Standard Schema interface (standardschema.dev) that recq uses. */
export interface StandardSchema {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult | Promise<StandardResult>;
  };
}

export type StandardResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] }[] };

/** A validated component, ready for `createSystem`. */
export interface Component<TLogic extends AnyActorLogic = AnyActorLogic> {
  readonly name: string;
  readonly logic: TLogic;
  readonly patterns: readonly string[];
  readonly keyed: boolean;
  readonly keyOf: (envelope: Envelope) => string | undefined;
  /** The version stored with snapshots: the given one, or `'auto'` (restored by fit, see `restorableSnapshot`). */
  readonly version: string;
  /** Brings a snapshot of another version to this one (snapshots of the old hash versions read as `'auto'` without it). */
  readonly migrate: ((snapshot: unknown, fromVersion: string) => unknown) | undefined;
  readonly topicOf: (event: StoredEvent) => string;
  readonly emittedKeyOf: (event: StoredEvent, actorKey: string | undefined) => string | undefined;
  readonly inputOf: (key: string | undefined) => unknown;
  readonly checkpoint: Partial<CheckpointPolicy>;
  readonly passivateAfterMs: number | undefined;
  readonly retry: Partial<RetryPolicy>;
  readonly startFrom: 'beginning' | 'head';
  readonly schema: StandardSchema | undefined;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Declares a component: XState logic plus the topics it consumes.
 *
 * @example
 * const counter = defineComponent({
 *   name: 'counter',
 *   logic: counterMachine,
 *   subscribe: ['counts.*'],
 *   key: true, // one actor per event key
 * });
 */
export function defineComponent<TLogic extends AnyActorLogic>(config: ComponentConfig<TLogic>): Component<TLogic> {
  if (typeof config !== 'object' || config === null) throw new InvalidComponentError(config, 'expected { name, logic, subscribe }');
  const { name, logic } = config;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidComponentError(name, 'name must be 1-64 letters, digits, "_" or "-"');
  }
  if (typeof logic !== 'object' || logic === null || typeof (logic as { transition?: unknown }).transition !== 'function') {
    throw new InvalidComponentError(name, 'logic must be XState actor logic (a machine from setup(...).createMachine, or fromStore(...))');
  }
  const patterns = typeof config.subscribe === 'string' ? [config.subscribe] : [...(config.subscribe ?? [])];
  if (patterns.length === 0) throw new InvalidComponentError(name, 'subscribe must list at least one topic pattern');
  for (const pattern of patterns) {
    assertPattern(pattern);
    if (pattern.startsWith(`${INPUT_TOKEN}.`)) {
      throw new InvalidComponentError(name, `subscribe names ${pattern}: ${INPUT_TOKEN} topics hold each consumer's own input records, routed to it alone`);
    }
  }
  if (config.key !== undefined && config.key !== true && typeof config.key !== 'function') {
    throw new InvalidComponentError(name, 'key must be true (use the envelope key) or a function (envelope) => string');
  }
  if (config.version !== undefined && (typeof config.version !== 'string' || config.version.length === 0)) {
    throw new InvalidComponentError(name, 'version must be a non-empty string');
  }
  if (config.migrate !== undefined && typeof config.migrate !== 'function') throw new InvalidComponentError(name, 'migrate must be a function');
  const checkpoint = checkpointProblem(config.checkpoint);
  if (checkpoint) throw new InvalidComponentError(name, `${checkpoint.field} = ${String(checkpoint.value)}: ${checkpoint.reason}`);
  const passivate = config.passivateAfterMs === undefined ? undefined : numberProblem(config.passivateAfterMs, { min: 0, exclusive: true });
  if (passivate) throw new InvalidComponentError(name, `passivateAfterMs = ${String(config.passivateAfterMs)}: ${passivate}`);
  const retry = retryPolicyProblem(config.retry);
  if (retry) throw new InvalidComponentError(name, `${retry.field} = ${String(retry.value)}: ${retry.reason}`);
  if (config.startFrom !== undefined && config.startFrom !== 'beginning' && config.startFrom !== 'head') {
    throw new InvalidComponentError(name, `startFrom = ${String(config.startFrom)}: expected 'beginning' or 'head'`);
  }
  if (config.schema !== undefined && typeof config.schema?.['~standard']?.validate !== 'function') {
    throw new InvalidComponentError(name, 'schema must be a Standard Schema (an object with ["~standard"].validate), such as a zod schema');
  }
  if (isMachine(logic)) assertRestorableChildren(name, logic);
  const keyOption = config.key;
  const keyOfEvent = keyOption === undefined ? () => undefined : keyOption === true ? (envelope: Envelope) => envelope.key : keyOption;
  // An input record carries the key of the actor it is for, whatever the component's key function reads.
  const keyOf = (envelope: Envelope) => (isInputTopic(envelope.topic) ? (keyOption === undefined ? undefined : envelope.key) : keyOfEvent(envelope));
  return {
    name,
    logic,
    patterns,
    keyed: keyOption !== undefined,
    keyOf,
    version: config.version ?? AUTO_VERSION,
    migrate: config.migrate,
    topicOf: config.emits?.topic ?? ((event) => event.type),
    emittedKeyOf: config.emits?.key ?? ((_event, actorKey) => actorKey),
    inputOf: config.input ?? ((key) => ({ key })),
    checkpoint: config.checkpoint ?? {},
    passivateAfterMs: config.passivateAfterMs,
    retry: config.retry ?? {},
    startFrom: config.startFrom ?? 'beginning',
    schema: config.schema,
  };
}

function isMachine(logic: AnyActorLogic): logic is AnyStateMachine {
  return typeof (logic as { definition?: unknown }).definition === 'object' && 'root' in logic;
}

interface ActionLike {
  type?: unknown;
  src?: unknown;
  id?: unknown;
}

interface StateNodeLike {
  id: string;
  invoke: readonly { src: unknown }[];
  states: Record<string, StateNodeLike>;
  entry: readonly unknown[];
  exit: readonly unknown[];
  transitions: Map<string, readonly { actions: readonly unknown[] }[]>;
  always?: readonly { actions: readonly unknown[] }[];
}

const INLINE_INVOKE = /^xstate\.invoke\.(\d+)\.(.*)$/;

/**
 * Refuses children that no snapshot could restore. XState finds inline invoked logic again by
 * state and index (`xstate.invoke.0.(machine).b`), so that is accepted where the lookup works;
 * a child spawned from inline logic is persisted with its logic object instead of a name, so
 * `spawnChild(logic)` is refused here (and `spawn(logic)` in `assign` before its first checkpoint).
 */
function assertRestorableChildren(component: string, machine: AnyStateMachine): void {
  const named = machine.implementations.actors ?? {};
  const refuseInlineSpawn = (action: unknown, state: string): void => {
    const spawn = action as ActionLike | undefined;
    if (spawn?.type === 'xstate.spawnChild' && spawn.src !== undefined && typeof spawn.src !== 'string') {
      throw new InlineSpawnError(component, undefined, state, typeof spawn.id === 'string' ? spawn.id : '(no id)');
    }
  };
  const walk = (node: StateNodeLike): void => {
    for (const invocation of node.invoke) {
      const src = invocation.src;
      if (typeof src === 'string' && src.startsWith('xstate.invoke.') && !(src in named) && !resolvesInline(machine, src)) {
        throw new InvalidComponentError(
          component,
          `state "${node.id}" invokes an inline actor that XState cannot find again when it restores a snapshot. Name it in setup({ actors: { myActor } }) and invoke it with src: 'myActor'`,
        );
      }
    }
    for (const action of [...node.entry, ...node.exit]) refuseInlineSpawn(action, node.id);
    for (const transitions of [...node.transitions.values(), node.always ?? []]) {
      for (const transition of transitions) for (const action of transition.actions) refuseInlineSpawn(action, node.id);
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  for (const action of Object.values(machine.implementations.actions ?? {})) refuseInlineSpawn(action, '(an action in setup)');
  walk(machine.root as unknown as StateNodeLike);
}

/** True if XState's own lookup of an inline invoke's source (state id and index) finds its logic. */
function resolvesInline(machine: AnyStateMachine, src: string): boolean {
  const match = INLINE_INVOKE.exec(src);
  if (!match) return false;
  try {
    const node = machine.getStateNodeById(match[2] as string) as unknown as { config: { invoke?: unknown } };
    const invoke = node.config.invoke;
    const config = (Array.isArray(invoke) ? invoke[Number(match[1])] : invoke) as { src?: unknown } | undefined;
    return typeof config?.src === 'object' || typeof config?.src === 'function';
  } catch {
    return false;
  }
}

/** Checks an event against the component's schema, if it has one; returns why it was rejected. */
export function validateEvent(component: Component, envelope: Envelope): EventRejectedError | undefined {
  const schema = component.schema;
  // An input record is recq's own: the schema is the subscribed events'.
  if (!schema || isInputTopic(envelope.topic)) return undefined;
  const result = schema['~standard'].validate(envelope.event);
  if (result instanceof Promise)
    return new EventRejectedError(component.name, envelope.seq, ['the schema validates asynchronously, which recq does not support']);
  if (!result.issues) return undefined;
  return new EventRejectedError(
    component.name,
    envelope.seq,
    result.issues.map((issue) => {
      const path = issue.path?.map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    }),
  );
}
