import { RecqError, type RecqErrorCode } from './recq-error.ts';
import { shown } from './shown.ts';

// What an operator meets when asking a system something, or waiting for it.

/** Codes of this file's errors; each names one situation. */
export type CommandErrorCode = Extract<
  RecqErrorCode,
  'WAIT_TIMEOUT' | 'UNKNOWN_COMMAND' | 'COMMAND_DONE' | 'LOG_IN_USE' | 'CONSUMER_RUNNING' | 'WORKER_UNREACHABLE' | 'CONSUMER_NOT_RUNNING'
>;

const code = (value: CommandErrorCode): RecqErrorCode => value;

const actorName = (component: string, key: string | undefined) => (key === undefined ? `component ${component}` : `component ${component} key ${shown(key)}`);

/** `waitFor` gave up: the actor did not reach what was awaited within the time allowed. */
export class WaitTimeoutError extends RecqError {
  constructor(
    readonly component: string,
    readonly key: string | undefined,
    /** What was awaited, in words: a state value, or "a view the predicate accepts". */
    readonly awaited: string,
    readonly timeoutMs: number,
    /** The actor's state value when the wait ended; undefined if it had no actor yet. */
    readonly lastValue: unknown,
  ) {
    const last = lastValue === undefined ? 'it has no actor yet' : `it is in ${shown(lastValue)}`;
    super(
      code('WAIT_TIMEOUT'),
      `${actorName(component, key)} did not reach ${awaited} within ${timeoutMs} ms (${last}). Wait longer with { timeoutMs }, or check "recq status" for a paused, blocked or failed consumer.`,
    );
  }
}

/** A command id the queue does not hold. */
export class UnknownCommandError extends RecqError {
  constructor(readonly id: number) {
    super(code('UNKNOWN_COMMAND'), `There is no command ${id}. List the queued ones with "recq commands".`);
  }
}

/** A command that cannot be cancelled: it ran already (or was cancelled). */
export class CommandDoneError extends RecqError {
  constructor(
    readonly id: number,
    readonly ending: string,
  ) {
    super(code('COMMAND_DONE'), `Command ${id} cannot be cancelled: it ${ending} already.`);
  }
}

/** A running system holds the log of a file, so no other process may append to it. */
export class LogInUseError extends RecqError {
  constructor(
    readonly path: string,
    readonly owner: string,
    readonly expiresAt: number,
  ) {
    super(
      code('LOG_IN_USE'),
      `${owner} is running a system on ${path} (its lease on the log lasts until ${new Date(expiresAt).toISOString()}), and only it may append to the log. Publish from that system, or, when it runs over NATS, with --nats URL.`,
    );
  }
}

/** A consumer that a live process runs cannot be reset from outside it. */
export class ConsumerRunningError extends RecqError {
  constructor(
    readonly consumer: string,
    readonly owner: string,
    readonly expiresAt: number,
  ) {
    super(
      code('CONSUMER_RUNNING'),
      `${owner} runs consumer ${consumer} (until ${new Date(expiresAt).toISOString()} unless it renews), so it cannot be reset offline. Run the command without --offline: that process applies it.`,
    );
  }
}

/** No worker holds the consumer's lease, so no one over NATS can run a command for it. */
export class ConsumerNotRunningError extends RecqError {
  constructor(
    readonly consumer: string,
    readonly reason: string,
  ) {
    super(
      code('CONSUMER_NOT_RUNNING'),
      `No worker runs consumer ${consumer} now (${reason}). Start one ("recq worker"), or run the command with --db on the worker's file to queue it for the next start.`,
    );
  }
}

/** The worker that holds a consumer's lease did not answer a control request. */
export class WorkerUnreachableError extends RecqError {
  constructor(
    readonly owner: string,
    readonly subject: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(
      code('WORKER_UNREACHABLE'),
      `Worker ${owner} did not answer on ${subject}: ${reason}. Check that it runs ("recq status --nats"), or retry once its lease moves to another worker.`,
      cause === undefined ? undefined : { cause },
    );
  }
}
