import type { StoredSnapshot } from '../css/consumer-store.ts';
import { IncompatibleSnapshotError, VersionMismatchError } from '../errors.ts';
import type { Component } from './component.ts';
import { readsAsIs } from './logic-version.ts';
import { snapshotMisfits } from './snapshot-fit.ts';

/**
 * The snapshot an actor of `component` restores from, given what the CSS holds for `key`: read
 * as it is when its version is the component's (or an old default one under `auto`), else
 * upgraded by the component's `migrate`. Either way it must then fit the current logic.
 * Runs once per restore, before the actor exists; nothing per event.
 *
 * @throws VersionMismatchError when the versions differ and there is no `migrate`.
 * @throws IncompatibleSnapshotError naming each state, child or context field that does not fit.
 * @example
 * const snapshot = restorableSnapshot(component, 'order-1', store.loadSnapshot(consumer, 'order-1'));
 * createActor(component.logic, { snapshot, input: component.inputOf('order-1') });
 */
export function restorableSnapshot(component: Component, key: string | undefined, stored: StoredSnapshot): unknown {
  let snapshot = JSON.parse(stored.snapshot) as unknown;
  let migratedFrom: string | undefined;
  if (!readsAsIs(component.version, stored.version, component.logic)) {
    if (!component.migrate) throw new VersionMismatchError(component.name, key, stored.version, component.version);
    try {
      snapshot = component.migrate(snapshot, stored.version);
    } catch (error) {
      // The default migrate of a component without version does not know the key: name it here.
      if (error instanceof VersionMismatchError && error.key !== key) throw new VersionMismatchError(component.name, key, error.stored, error.current);
      throw error;
    }
    migratedFrom = stored.version;
  }
  const problems = snapshotMisfits(component.logic, snapshot, component.inputOf(key));
  if (problems.length > 0) {
    const state = (snapshot as { value?: unknown } | null)?.value;
    throw new IncompatibleSnapshotError(component.name, key, state, problems, component.version, migratedFrom);
  }
  return snapshot;
}
