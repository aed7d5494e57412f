import type { InspectionEvent, Observer } from 'xstate';
import { InvalidOptionError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';

/** An XState inspection observer: a function, or an observer with `next`. */
export type InspectionObserver = ((event: InspectionEvent) => void) | Partial<Observer<InspectionEvent>>;

/**
 * What `createSystem({ inspect })` takes: an XState inspection observer, or an inspector that
 * has one as its `inspect` property (what `@statelyai/inspect`'s `createWebSocketInspector()`
 * or `createBrowserInspector()` return).
 */
export type InspectOption = InspectionObserver | { inspect: InspectionObserver };

/** Where every actor's inspection events go, once the option is checked. */
export type InspectionListener = (event: InspectionEvent) => void;

/**
 * Checks the `inspect` option and returns one function for it. An observer that throws does
 * not fail the actor it watches: the first such error is logged, the others are dropped.
 */
export function inspectionListenerOf(option: unknown, logger: Logger): InspectionListener | undefined {
  if (option === undefined) return undefined;
  const observer = typeof option === 'object' && option !== null && 'inspect' in option ? (option as { inspect: unknown }).inspect : option;
  const next =
    typeof observer === 'function' ? observer : typeof observer === 'object' && observer !== null ? (observer as { next?: unknown }).next : undefined;
  if (typeof next !== 'function') {
    throw new InvalidOptionError(
      'inspect',
      option,
      'expected an XState inspection observer ((event) => void or { next }), or an inspector with one as .inspect, e.g. createWebSocketInspector() from @statelyai/inspect',
    );
  }
  const target = observer === next ? undefined : observer;
  let failed = false;
  return (event) => {
    try {
      next.call(target, event);
    } catch (error) {
      if (failed) return;
      failed = true;
      logger.warn('the inspect observer failed; recq goes on without telling it about this failure again', { error });
    }
  };
}
