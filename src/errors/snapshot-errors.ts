import { RecqError } from './recq-error.ts';
import { reasonOf, shown } from './shown.ts';

const actor = (component: string, key: string | undefined) => `Component "${component}"${key === undefined ? '' : ` key ${shown(key)}`}`;

/** A stored snapshot was written by another logic version and the component has no `migrate`. */
export class VersionMismatchError extends RecqError {
  /** Retrying cannot fix it: the event is dead-lettered at once. */
  readonly permanent = true;

  constructor(
    readonly component: string,
    readonly key: string | undefined,
    readonly stored: string,
    readonly current: string,
  ) {
    super(
      'VERSION_MISMATCH',
      `${actor(component, key)} has a snapshot of logic version "${stored}", but the current version is "${current}". Add migrate(snapshot, fromVersion) to the component, or replay it from the log.`,
    );
  }
}

/** A stored snapshot that the current logic cannot start from. */
export class SnapshotRestoreError extends RecqError {
  /** Retrying cannot fix it: the event is dead-lettered at once. */
  readonly permanent = true;

  constructor(
    readonly component: string,
    readonly key: string | undefined,
    readonly state: unknown,
    cause: unknown,
  ) {
    super(
      'SNAPSHOT_RESTORE_FAILED',
      `${actor(component, key)} cannot restore its snapshot in state ${shown(state)}: ${reasonOf(cause)}. Migrate the snapshot or replay the component from the log.`,
      { cause },
    );
  }
}

/** An actor whose snapshot cannot be written, because its context is not JSON. Nothing was committed. */
export class SnapshotFailedError extends RecqError {
  constructor(
    readonly component: string,
    readonly key: string | undefined,
    cause: unknown,
  ) {
    super(
      'SNAPSHOT_FAILED',
      `component ${component} key ${JSON.stringify(key ?? null)} could not be snapshotted (its context must be JSON): ${reasonOf(cause)}. Keep only JSON values (no functions, class instances or cycles) in its context.`,
      { cause },
    );
  }
}
