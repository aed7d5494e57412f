import { matchesState, type StateValue } from 'xstate';
import { UnknownKeyError, WaitTimeoutError } from '../errors.ts';
import type { ActorView } from './actor-view.ts';

/** What `waitFor` waits for: a state value (`'paid'`, `'checkout.paying'`, `{ checkout: 'paying' }`), or a predicate on the actor's view. */
export type Awaited = StateValue | ((view: ActorView) => boolean);

export interface WaitForOptions {
  /** How long to wait, in real milliseconds (not the system's clock), before a `WaitTimeoutError`. Default 30 s. */
  timeoutMs?: number;
}

export const DEFAULT_WAIT_FOR_MS = 30_000;
/** Changes no batch reports (an invoked child finishing, a timer firing) are looked for this often. */
const LOOK_AGAIN_MS = 20;

/** What the wait needs of the runner: the actor's view now, and a way to hear of each batch and checkpoint. */
export interface WaitSource {
  view(): ActorView;
  onProgress(listener: () => void): () => void;
}

/**
 * Resolves with the actor's view once it matches `awaited` (a state value, as XState's
 * `matches`, or a predicate); an actor that does not exist yet is waited for. Rejects with a
 * `WaitTimeoutError` naming what it waited for once `timeoutMs` has passed.
 *
 * @example
 * const view = await waitForActor(source, 'order', 'o-1', 'paid', { timeoutMs: 5000 });
 */
export function waitForActor(
  source: WaitSource,
  component: string,
  key: string | undefined,
  awaited: Awaited,
  options: WaitForOptions = {},
): Promise<ActorView> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_FOR_MS;
  const accepts = typeof awaited === 'function' ? awaited : (view: ActorView) => matchesState(awaited, view.value as StateValue);
  return new Promise((resolve, reject) => {
    let last: ActorView | undefined;
    let done = false;
    const finish = (end: () => void) => {
      done = true;
      unsubscribe();
      clearInterval(poll);
      clearTimeout(timer);
      end();
    };
    const look = () => {
      if (done) return;
      try {
        last = source.view();
        if (accepts(last)) finish(() => resolve(last as ActorView));
      } catch (error) {
        // No actor for the key yet: the event that creates it may be on its way.
        if (!(error instanceof UnknownKeyError)) finish(() => reject(error));
      }
    };
    const unsubscribe = source.onProgress(look);
    const poll = setInterval(look, LOOK_AGAIN_MS);
    poll.unref();
    const what = typeof awaited === 'function' ? 'a view the predicate accepts' : `state ${JSON.stringify(awaited)}`;
    const timer = setTimeout(() => finish(() => reject(new WaitTimeoutError(component, key, what, timeoutMs, last?.value))), timeoutMs);
    timer.unref();
    look();
  });
}
