import type { StoredSnapshot } from '../css/consumer-store.ts';
import type { ActorCell } from './actor-cell.ts';

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
