import type { AnyActorLogic, EventFromLogic, SnapshotFrom } from 'xstate';
import type { ActorView } from '../actor/actor-view.ts';
import type { Component } from '../component/component.ts';
import type { AppendResult } from '../envelope.ts';
import type { PublishOptions } from './system-options.ts';

/** The state value type of a component's logic (`unknown` for logic without one, e.g. a store). */
export type StateValueOf<TLogic extends AnyActorLogic> = SnapshotFrom<TLogic> extends { value: infer V } ? V : unknown;

/** The context type of a component's logic. */
export type ContextOf<TLogic extends AnyActorLogic> = SnapshotFrom<TLogic> extends { context: infer C } ? C : unknown;

/** An event a component's logic accepts, as published (the runtime adds `meta`). */
export type EventOf<TLogic extends AnyActorLogic> = WithoutMeta<EventFromLogic<TLogic>>;

/** Each member of an event union without `meta` (distributes over the union). */
type WithoutMeta<TEvent> = TEvent extends unknown ? Omit<TEvent, 'meta'> : never;

/** `query`'s view of an actor, typed by its component's logic. */
export interface TypedActorView<TLogic extends AnyActorLogic> extends ActorView {
  value: StateValueOf<TLogic>;
  context: ContextOf<TLogic>;
}

/** What a `ComponentHandle` needs of a system: its untyped `publish` and `query`. */
export interface UntypedAccess {
  publish(topic: string, event: { type: string }, options?: PublishOptions): Promise<AppendResult>;
  query(component: string, key?: string): Promise<ActorView>;
}

/**
 * A system seen through one component's types: `publish` accepts only events its machine
 * accepts, and `query` returns its context and state value types. The untyped
 * `system.publish` and `system.query` remain for everything else.
 *
 * @example
 * const alice = system.component(accounts);
 * await alice.publish('accounts.commands', { type: 'deposit', amount: 100 }, { key: 'alice' });
 * const { context } = await alice.query('alice');
 * context.balance; // number
 */
export class ComponentHandle<TLogic extends AnyActorLogic> {
  readonly #system: UntypedAccess;
  readonly #component: Component<TLogic>;

  constructor(system: UntypedAccess, component: Component<TLogic>) {
    this.#system = system;
    this.#component = component;
  }

  get name(): string {
    return this.#component.name;
  }

  /** Publishes an event of the component's logic on `topic`. */
  publish(topic: string, event: EventOf<TLogic>, options: PublishOptions = {}): Promise<AppendResult> {
    return this.#system.publish(topic, event as unknown as { type: string }, options);
  }

  /** The current state of the component's actor for `key` (none for a singleton). */
  async query(key?: string): Promise<TypedActorView<TLogic>> {
    return (await this.#system.query(this.#component.name, key)) as TypedActorView<TLogic>;
  }
}
