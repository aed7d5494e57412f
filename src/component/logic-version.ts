import type { AnyActorLogic, AnyStateMachine } from 'xstate';

/**
 * The version stored with the snapshots of a component that names none. Its snapshots are
 * accepted when they fit the current logic (see `snapshotMisfits`), not by comparing versions.
 */
export const AUTO_VERSION = 'auto';

/**
 * Whether `stored` is a version that earlier releases wrote for a component without `version`:
 * a 12-digit hash of the machine definition, or `'1'` for other logic. Such snapshots are read
 * as `auto` ones.
 *
 * @example
 * isDefaultVersionOfOld('3f9c0a1b2d4e', machine); // true
 */
export function isDefaultVersionOfOld(stored: string, logic: AnyActorLogic): boolean {
  return isMachine(logic) ? /^[0-9a-f]{12}$/.test(stored) : stored === '1';
}

/**
 * Whether a snapshot stored under `stored` is read as it is by a component of version
 * `current`, with no `migrate`: the same version, or an old default one under `auto`.
 *
 * @example
 * readsAsIs('auto', '3f9c0a1b2d4e', machine); // true
 * readsAsIs('2', '1', machine); // false: migrate it
 */
export function readsAsIs(current: string, stored: string, logic: AnyActorLogic): boolean {
  return stored === current || (current === AUTO_VERSION && (stored === AUTO_VERSION || isDefaultVersionOfOld(stored, logic)));
}

/** Whether `logic` is a state machine (it has a definition and a root state node). */
export function isMachine(logic: AnyActorLogic): logic is AnyStateMachine {
  return typeof (logic as { definition?: unknown }).definition === 'object' && 'root' in logic;
}
