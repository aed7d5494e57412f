import type { System } from '../../src/index.ts';
import { WAIT_MS } from './child-process.ts';

/** What the system's live view holds: its head and each consumer's host state, offsets and lag. */
export type ViewContext = ReturnType<System['view']['get']>['context'];

/**
 * Resolves once `check` returns something other than undefined for the system's live view,
 * looking again at each update; rejects after `timeoutMs`, naming what it waited for.
 *
 * @example
 * await untilView(system, (view) => (view.consumers.applier?.hostState === 'retrying' ? true : undefined), 'applier retrying');
 */
export function untilView<T>(system: System, check: (view: ViewContext) => T | undefined, what: string, timeoutMs = WAIT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = check(system.view.get().context);
    if (first !== undefined) {
      resolve(first);
      return;
    }
    const subscription = system.view.subscribe((snapshot) => {
      const found = check(snapshot.context);
      if (found === undefined) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve(found);
    });
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`waited ${timeoutMs} ms for ${what}; the view shows ${JSON.stringify(system.view.get().context.consumers)}`));
    }, timeoutMs);
  });
}

/** Resolves once the consumer's host is in `state`, as the live view shows it. */
export function untilHostState(system: System, consumer: string, state: string, timeoutMs?: number): Promise<true> {
  return untilView(system, (view) => (view.consumers[consumer]?.hostState === state ? true : undefined), `consumer ${consumer} ${state}`, timeoutMs);
}
