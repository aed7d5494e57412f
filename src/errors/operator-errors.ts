import { RecqError } from './recq-error.ts';
import { reasonOf } from './shown.ts';

// What an operator meets at the command line: commands, dead letters, databases, system modules.

/** An operator command that names a dead letter, consumer or seq that does not fit. */
export class InvalidCommandError extends RecqError {
  constructor(
    readonly command: string,
    reason: string,
  ) {
    super('INVALID_COMMAND', `Cannot ${command}: ${reason}.`);
  }
}

/** A dead letter id that the database does not hold. */
export class UnknownDeadLetterError extends RecqError {
  constructor(readonly id: number) {
    super('UNKNOWN_DEAD_LETTER', `There is no dead letter ${id}. List them with "recq dlq list".`);
  }
}

/** A queued command that the system running its consumer has not applied within the wait. It stays queued. */
export class CommandPendingError extends RecqError {
  constructor(
    readonly commandId: number,
    readonly consumer: string,
    readonly runner: { owner: string; expiresAt: number },
    readonly waitMs: number,
    what: string,
  ) {
    super(
      'COMMAND_PENDING',
      `command ${commandId} (${what}) is still queued after ${waitMs} ms: ${runner.owner} runs consumer ${consumer} (its lease lasts until ${new Date(runner.expiresAt).toISOString()}) but has not applied it. It stays queued and is applied when the consumer's host next looks; check again with "recq status".`,
    );
  }
}

/** The system running a consumer refused a queued command, and said why. */
export class CommandRefusedError extends RecqError {
  constructor(
    readonly consumer: string,
    what: string,
    readonly reason: string,
  ) {
    super('COMMAND_REFUSED', `the system running consumer ${consumer} refused to ${what}: ${reason}`);
  }
}

/** A consumer took a retry or skip of a dead letter, but recorded no outcome within the wait. */
export class OutcomePendingError extends RecqError {
  constructor(
    readonly consumer: string,
    readonly command: 'retry' | 'skip',
    readonly id: number,
    readonly waitMs: number,
  ) {
    const took =
      command === 'retry' ? `is retrying dead letter ${id}, but no outcome was recorded` : `took the skip of dead letter ${id}, but has not recorded it`;
    super('OUTCOME_PENDING', `consumer ${consumer} ${took} within ${waitMs} ms. See "recq dlq show ${id}" later.`);
  }
}

/** A retried dead letter failed again: it keeps its status, with one more attempt and the new error. */
export class RetryFailedError extends RecqError {
  constructor(
    readonly id: number,
    readonly attempts: number,
    readonly status: string,
    readonly error: string,
  ) {
    super('RETRY_FAILED', `dead letter ${id} failed again (attempt ${attempts}) and is still ${status}: ${error}`);
  }
}

/** What is wrong with a database file an operator named. */
export type DatabaseProblem = 'not-found' | 'unreadable' | 'not-recq' | 'in-use';

const DATABASE_CODES = { 'not-found': 'DB_NOT_FOUND', unreadable: 'DB_UNREADABLE', 'not-recq': 'NOT_A_RECQ_DATABASE', 'in-use': 'DB_IN_USE' } as const;

/**
 * A database file the CLI cannot use as asked: missing, unreadable, not recq's, or held by a
 * running system. `problem` says which; each has its own code.
 *
 * @example
 * throw DatabaseError.notFound('./shop.db');
 */
export class DatabaseError extends RecqError {
  private constructor(
    readonly problem: DatabaseProblem,
    readonly path: string,
    message: string,
    cause?: unknown,
  ) {
    super(DATABASE_CODES[problem], message, cause === undefined ? undefined : { cause });
  }

  static notFound(path: string): DatabaseError {
    return new DatabaseError('not-found', path, `No database at ${path}. Start a system on it with "recq run <module>", or pass --db FILE.`);
  }

  static unreadable(path: string, cause: unknown): DatabaseError {
    return new DatabaseError('unreadable', path, `Cannot read ${path} as a recq database: ${reasonOf(cause)}.`, cause);
  }

  /** `holds` says what the file has instead of recq's tables. */
  static notRecq(path: string, holds = "tables but neither a recq event log nor a worker's consumer store"): DatabaseError {
    return new DatabaseError('not-recq', path, `${path} is not a recq database: it holds ${holds}. Check --db.`);
  }

  /** `recq run --fresh` will not delete the file: `why` names the problem and what to do. */
  static refusedToDelete(path: string, problem: DatabaseProblem, why: string, cause?: unknown): DatabaseError {
    return new DatabaseError(problem, path, `--fresh refuses to delete ${path}: ${why}`, cause);
  }
}

/** A system module path (`recq run`, `recq worker`) where there is no file. */
export class ModuleNotFoundError extends RecqError {
  constructor(
    readonly module: string,
    readonly path: string,
  ) {
    super('MODULE_NOT_FOUND', `Cannot find the system module ${module} (looked for ${path}).`);
  }
}

/** A system module whose default export is missing or is not a system definition. */
export class InvalidSystemModuleError extends RecqError {
  constructor(
    readonly module: string,
    cause?: unknown,
  ) {
    super(
      'INVALID_SYSTEM_MODULE',
      cause === undefined
        ? `${module} has no default export. Export the system from it: export default defineSystem({ components: [...], main? }).`
        : `The default export of ${module} is not a system definition: ${reasonOf(cause)}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** A system module that threw a `RecqError` while loading; it keeps that error's code. */
export class ModuleLoadError extends RecqError {
  constructor(
    readonly module: string,
    cause: RecqError,
  ) {
    super(cause.code, `${module} failed to load: ${cause.message}`, { cause });
  }
}

/** A worker started on a system module that defines no components. */
export class NoComponentsError extends RecqError {
  constructor(readonly module: string) {
    super('NO_COMPONENTS', `${module} defines no components, so a worker has nothing to run.`);
  }
}
