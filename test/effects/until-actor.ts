import type { ActorView } from '../../src/host/component-host.ts';
import type { TestSystem } from '../../src/public/testing.ts';

/** How many turns of the event loop an invoked child may take to settle and be applied. */
const TURNS = 500;

/**
 * Resolves with the actor's view once `check` holds for it. An invoked child settles outside
 * any publish, so this lets the event loop turn (no timer, no clock) between looks, and fails
 * after a bound with what the actor last showed.
 */
export async function untilActor(t: TestSystem, component: string, key: string | undefined, check: (actor: ActorView) => boolean): Promise<ActorView> {
  let last: ActorView | undefined;
  for (let turn = 0; turn < TURNS; turn++) {
    await t.settled();
    last = await t.query(component, key);
    if (check(last)) return last;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`actor ${component}/${key ?? '_'} never got there; it shows ${JSON.stringify(last)}`);
}
