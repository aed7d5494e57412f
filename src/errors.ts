/**
 * Every error recq raises on purpose is a `RecqError` with a stable `code`, a message that
 * names the bad value and says what to do, and (where one exists) the underlying `cause`.
 *
 * @example
 * try {
 *   await system.publish('orders..placed', { type: 'order.placed' });
 * } catch (error) {
 *   if (error instanceof InvalidTopicError) console.error(error.code, error.topic);
 * }
 */
export class RecqError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

const shown = (value: unknown): string => {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 120 ? `${value.slice(0, 117)}...` : value);
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
};

/** A topic that is not dot-separated tokens of `[A-Za-z0-9_-]` within the length limits. */
export class InvalidTopicError extends RecqError {
  constructor(
    readonly topic: unknown,
    reason: string,
  ) {
    super('INVALID_TOPIC', `Invalid topic ${shown(topic)}: ${reason}. Use dot-separated tokens of letters, digits, '_' or '-', such as "orders.placed".`);
  }
}

/** A subscription pattern that does not follow NATS wildcard rules. */
export class InvalidPatternError extends RecqError {
  constructor(
    readonly pattern: unknown,
    reason: string,
  ) {
    super(
      'INVALID_PATTERN',
      `Invalid subscription pattern ${shown(pattern)}: ${reason}. Use topic tokens, '*' for exactly one token, or a final '>' for one or more tokens, such as "orders.*" or "payments.>".`,
    );
  }
}

/** An event that is not a plain object with a non-empty string `type`, or cannot be stored as JSON. */
export class InvalidEventError extends RecqError {
  constructor(
    readonly event: unknown,
    reason: string,
  ) {
    super('INVALID_EVENT', `Invalid event ${shown(event)}: ${reason}.`);
  }
}

/** An envelope field (id, key, causation, correlationId) of the wrong shape. */
export class InvalidEnvelopeError extends RecqError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super('INVALID_ENVELOPE', `Invalid envelope field '${field}' ${shown(value)}: ${reason}.`);
  }
}

/** An event whose stored JSON form is larger than the configured limit. */
export class PayloadTooLargeError extends RecqError {
  constructor(
    readonly topic: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      'PAYLOAD_TOO_LARGE',
      `Event on topic "${topic}" is ${bytes} bytes as JSON, over the limit of ${limit} bytes. Store large data elsewhere and publish a reference to it, or raise maxPayloadBytes.`,
    );
  }
}

/** A component definition that cannot be registered. */
export class InvalidComponentError extends RecqError {
  constructor(
    readonly component: unknown,
    reason: string,
  ) {
    super('INVALID_COMPONENT', `Invalid component ${shown(component)}: ${reason}.`);
  }
}

/** A query or command naming a component the system does not run. */
export class UnknownComponentError extends RecqError {
  constructor(
    readonly component: string,
    known: readonly string[],
  ) {
    super('UNKNOWN_COMPONENT', `Unknown component ${shown(component)}. Components in this system: ${known.length ? known.join(', ') : '(none)'}.`);
  }
}

/** A query for a key of a keyed component that has never received an event. */
export class UnknownKeyError extends RecqError {
  constructor(
    readonly component: string,
    readonly key: unknown,
  ) {
    super('UNKNOWN_KEY', `Component "${component}" has no actor for key ${shown(key)}: no event with that key has been processed yet.`);
  }
}

/** A keyed component received an event it cannot assign to a key. */
export class MissingKeyError extends RecqError {
  /** Retrying cannot fix it: the event is dead-lettered at once. */
  readonly permanent = true;

  constructor(
    readonly component: string,
    readonly seq: number,
    readonly topic: string,
  ) {
    super(
      'MISSING_KEY',
      `Component "${component}" is keyed, but event seq ${seq} on topic "${topic}" has no key. Publish it with { key }, or give the component a key function.`,
    );
  }
}

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
      `Component "${component}"${key === undefined ? '' : ` key ${shown(key)}`} has a snapshot of logic version "${stored}", but the current version is "${current}". Add migrate(snapshot, fromVersion) to the component, or replay it from the log.`,
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
      `Component "${component}"${key === undefined ? '' : ` key ${shown(key)}`} cannot restore its snapshot in state ${shown(state)}: ${cause instanceof Error ? cause.message : String(cause)}. Migrate the snapshot or replay the component from the log.`,
      { cause },
    );
  }
}

/** Another owner holds the lease on a consumer or on the log. */
export class LeaseHeldError extends RecqError {
  constructor(
    readonly resource: string,
    readonly owner: string,
    readonly expiresAt: number,
  ) {
    super('LEASE_HELD', `"${resource}" is owned by ${owner} until ${new Date(expiresAt).toISOString()}. Stop that process, or wait for its lease to expire.`);
  }
}

/** A write from an owner whose lease epoch has been superseded. */
export class StaleEpochError extends RecqError {
  constructor(
    readonly resource: string,
    readonly epoch: number,
    readonly currentEpoch: number,
  ) {
    super(
      'STALE_EPOCH',
      `Write to "${resource}" with epoch ${epoch} refused: another owner holds epoch ${currentEpoch}. This process no longer owns it and has stopped writing.`,
    );
  }
}

/** The system was used after `stop()`. */
export class SystemStoppedError extends RecqError {
  constructor(action: string) {
    super('SYSTEM_STOPPED', `Cannot ${action}: the system has stopped. Create a new system to continue.`);
  }
}

/** A bad option passed to `createSystem` or a CLI command. */
export class InvalidOptionError extends RecqError {
  constructor(
    readonly option: string,
    readonly value: unknown,
    reason: string,
  ) {
    super('INVALID_OPTION', `Invalid option ${option} = ${shown(value)}: ${reason}.`);
  }
}

/** SQLite refused a read or write (disk full, database locked, corrupt file). Nothing was committed. */
export class StorageError extends RecqError {
  constructor(
    readonly operation: string,
    cause: unknown,
    advice = 'Nothing from this operation was committed; it is retried once the cause is fixed.',
  ) {
    const sqliteCode = (cause as { code?: unknown })?.code;
    super(
      'STORAGE',
      `SQLite failed to ${operation}${typeof sqliteCode === 'string' ? ` (${sqliteCode})` : ''}: ${cause instanceof Error ? cause.message : String(cause)}. ${advice}`,
      { cause },
    );
  }
}

/**
 * Thrown from an action or guard, marks a failure that retrying cannot fix: the event is
 * dead-lettered at once instead of being retried.
 *
 * @example
 * actions: ({ event }) => {
 *   if (!event.sku) throw new PermanentError('order has no sku');
 * }
 */
export class PermanentError extends RecqError {
  readonly permanent = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super('PERMANENT', message, options);
  }
}

/** An event that failed its component's schema. It is dead-lettered, never retried. */
export class EventRejectedError extends RecqError {
  readonly permanent = true;

  constructor(
    readonly component: string,
    readonly seq: number,
    readonly issues: readonly string[],
  ) {
    super('EVENT_REJECTED', `Component "${component}" rejected event seq ${seq}: ${issues.join('; ')}.`);
  }
}

/** An operator command that names a dead letter, consumer or seq that does not fit. */
export class InvalidCommandError extends RecqError {
  constructor(
    readonly command: string,
    reason: string,
  ) {
    super('INVALID_COMMAND', `Cannot ${command}: ${reason}.`);
  }
}

/** A message that does not have the shape its subject promises. It is dropped or refused; nothing else changes. */
export class MalformedMessageError extends RecqError {
  constructor(
    readonly what: string,
    readonly field: string,
    reason: string,
  ) {
    super('MALFORMED_MESSAGE', `Malformed ${what}: ${field} ${reason}.`);
  }
}

/** A message larger than the NATS server accepts (its `max_payload`). */
export class ExceedsMaxPayloadError extends RecqError {
  constructor(
    readonly what: string,
    readonly bytes: number,
    readonly maxPayload: number,
    readonly seq?: number,
  ) {
    super(
      'EXCEEDS_MAX_PAYLOAD',
      `${what} is ${bytes} bytes, over the NATS server's max_payload of ${maxPayload} bytes. Raise max_payload in the nats-server configuration (e.g. "max_payload: 8MB"), or keep events smaller than it.`,
    );
  }
}

/** The supervisor did not answer: nothing listens on its subject, or no reply came in time. */
export class SupervisorUnreachableError extends RecqError {
  constructor(
    readonly op: string,
    readonly subject: string,
    reason: string,
    cause: unknown,
  ) {
    super(
      'SUPERVISOR_UNREACHABLE',
      `The supervisor did not answer ${op} on "${subject}": ${reason}. Check that it is running with the same NATS server and namespace, and not overloaded; the call is safe to retry.`,
      { cause },
    );
  }
}
