import type { AnyActorRef } from 'xstate';

const keys = new WeakMap<AnyActorRef, string>();

/** Records the key of a child that recq runs (its journal id). @internal */
export function setIdempotencyKey(child: AnyActorRef, key: string): void {
  keys.set(child, key);
}

/**
 * The stable idempotency key of an invoked child that recq runs: the same for every run of that
 * invocation (a child in flight at a crash runs again with the key it had), and different for
 * every other invocation. Forward it to the service the child calls, so that service can drop
 * the repeat. Outside recq (plain XState) it is undefined.
 *
 * @example
 * const charge = fromPromise(async ({ input, self }: { input: { amount: number }; self: AnyActorRef }) =>
 *   payments.charge(input.amount, { idempotencyKey: idempotencyKey(self) }),
 * );
 */
export function idempotencyKey(self: AnyActorRef): string | undefined {
  return keys.get(self);
}
