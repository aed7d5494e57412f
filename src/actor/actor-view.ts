import type { ConsumerStore, StoredSnapshot } from '../css/consumer-store.ts';
import { UnknownKeyError } from '../errors.ts';
import type { ActorCell } from './actor-cell.ts';
import type { ActorTable } from './actor-table.ts';

/** What `query` returns: an actor's current state. */
export interface ActorView {
  component: string;
  key: string | undefined;
  value: unknown;
  context: unknown;
  status: 'active' | 'done' | 'error' | 'stopped';
  /** Seq of the last event the actor processed. */
  seq: number;
}

type SnapshotFields = { value?: unknown; context?: unknown; status: ActorView['status'] };

/** The view of an actor in memory. */
export function viewOfCell(component: string, cell: ActorCell): ActorView {
  const snapshot = cell.actor.getSnapshot() as SnapshotFields;
  return { component, key: cell.key, value: snapshot.value, context: snapshot.context, status: snapshot.status, seq: cell.lastSeq };
}

/** The view of an actor from its snapshot in the CSS. */
export function viewOfStored(component: string, key: string | undefined, stored: StoredSnapshot): ActorView {
  const snapshot = JSON.parse(stored.snapshot) as SnapshotFields;
  return { component, key, value: snapshot.value, context: snapshot.context, status: snapshot.status, seq: stored.seq };
}

/**
 * The current state of the actor for `key`: in memory if it is active, else from its snapshot
 * in the CSS; `UnknownKeyError` if it has neither.
 *
 * @example
 * queryActor(actors, store, 'orders', 'orders', 'o-17'); // { value: 'paid', seq: 42, ... }
 */
export function queryActor(actors: ActorTable, store: ConsumerStore, consumer: string, component: string, key: string | undefined): ActorView {
  const cell = actors.get(key);
  if (cell) return { ...viewOfCell(component, cell), key };
  const stored = store.loadSnapshot(consumer, key ?? '');
  if (!stored) throw new UnknownKeyError(component, key);
  return viewOfStored(component, key, stored);
}
