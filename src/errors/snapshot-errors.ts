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
    reason: string = reasonOf(cause),
    fix = 'Migrate the snapshot or replay the component from the log.',
  ) {
    super('SNAPSHOT_RESTORE_FAILED', `${actor(component, key)} cannot restore its snapshot in state ${shown(state)}: ${reason}. ${fix}`, { cause });
  }
}

/**
 * A stored snapshot (or what `migrate` made of it) that does not fit the current logic: a state
 * it is in, a child it has or a context field the logic expects is missing. Found before the
 * actor starts, so nothing ran on it.
 *
 * @example
 * if (error instanceof IncompatibleSnapshotError) console.error(error.key, error.problems);
 */
export class IncompatibleSnapshotError extends SnapshotRestoreError {
  constructor(
    component: string,
    key: string | undefined,
    state: unknown,
    /** Each thing that does not fit, e.g. `state "payment.awaiting" no longer exists`. */
    readonly problems: readonly string[],
    /** The logic version the snapshot was read as. */
    readonly version: string,
    /** The version `migrate` upgraded the snapshot from, if it did. */
    readonly migratedFrom?: string,
  ) {
    super(
      component,
      key,
      state,
      undefined,
      migratedFrom === undefined
        ? problems.join('; ')
        : `migrate(snapshot, ${shown(migratedFrom)}) returned a snapshot that does not fit logic version ${shown(version)}: ${problems.join('; ')}`,
      migratedFrom === undefined
        ? 'Give the component a new version and a migrate(snapshot, fromVersion) that brings such snapshots up to date, or replay the consumer from the log (recq replay).'
        : 'Make migrate return a snapshot of the current logic, or replay the consumer from the log (recq replay).',
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
