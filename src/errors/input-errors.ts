import { RecqError, type WireError, wireNumber, wireText } from './recq-error.ts';
import { shown } from './shown.ts';

// Bad input (invariant 5): each is refused with the value it names, and nothing else changes.
// A class that can come back in a supervisor's reply takes the `wire` error it is rebuilt from,
// whose message (the sender's) it keeps.

/** A topic that is not dot-separated tokens of `[A-Za-z0-9_-]` within the length limits. */
export class InvalidTopicError extends RecqError {
  constructor(
    readonly topic: unknown,
    reason: string,
    wire?: WireError,
  ) {
    super(
      'INVALID_TOPIC',
      wire?.message ?? `Invalid topic ${shown(topic)}: ${reason}. Use dot-separated tokens of letters, digits, '_' or '-', such as "orders.placed".`,
    );
  }

  static fromWire(wire: WireError): InvalidTopicError {
    return new InvalidTopicError(wire.topic, '', wire);
  }
}

/** A subscription pattern that does not follow NATS wildcard rules. */
export class InvalidPatternError extends RecqError {
  constructor(
    readonly pattern: unknown,
    reason: string,
    wire?: WireError,
  ) {
    super(
      'INVALID_PATTERN',
      wire?.message ??
        `Invalid subscription pattern ${shown(pattern)}: ${reason}. Use topic tokens, '*' for exactly one token, or a final '>' for one or more tokens, such as "orders.*" or "payments.>".`,
    );
  }

  static fromWire(wire: WireError): InvalidPatternError {
    return new InvalidPatternError(wire.pattern, '', wire);
  }
}

/** An event that is not a plain object with a non-empty string `type`, or cannot be stored as JSON. */
export class InvalidEventError extends RecqError {
  constructor(
    readonly event: unknown,
    reason: string,
    wire?: WireError,
  ) {
    super('INVALID_EVENT', wire?.message ?? `Invalid event ${shown(event)}: ${reason}.`);
  }

  static fromWire(wire: WireError): InvalidEventError {
    return new InvalidEventError(wire.event, '', wire);
  }
}

/**
 * An event holding a value JSON would silently change (NaN, undefined, a Date or Map, a
 * function, a cycle). `path` names it, e.g. `event.items[2].price`.
 */
export class NonJsonValueError extends InvalidEventError {
  constructor(
    event: unknown,
    readonly path: string,
    problem: string,
  ) {
    super(event, `${path} ${problem}`);
  }
}

/** An envelope field (id, key, causation, correlationId) of the wrong shape. */
export class InvalidEnvelopeError extends RecqError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
    wire?: WireError,
  ) {
    super('INVALID_ENVELOPE', wire?.message ?? `Invalid envelope field '${field}' ${shown(value)}: ${reason}.`);
  }

  static fromWire(wire: WireError): InvalidEnvelopeError {
    return new InvalidEnvelopeError(wireText(wire.field), wire.value, '', wire);
  }
}

/** A consumer name (in a subject or a registration) that is not dot-separated tokens. */
export class InvalidConsumerError extends RecqError {
  constructor(
    readonly consumer: unknown,
    reason: string,
    wire?: WireError,
  ) {
    super('INVALID_CONSUMER', wire?.message ?? `Invalid consumer name ${shown(consumer)}: ${reason}. Use a component name such as "order-saga".`);
  }

  static fromWire(wire: WireError): InvalidConsumerError {
    return new InvalidConsumerError(wire.consumer, '', wire);
  }
}

/** An event whose stored JSON form is larger than the configured limit. */
export class PayloadTooLargeError extends RecqError {
  constructor(
    readonly topic: string,
    readonly bytes: number,
    readonly limit: number,
    wire?: WireError,
  ) {
    super(
      'PAYLOAD_TOO_LARGE',
      wire?.message ??
        `Event on topic "${topic}" is ${bytes} bytes as JSON, over the limit of ${limit} bytes. Store large data elsewhere and publish a reference to it, or raise maxPayloadBytes.`,
    );
  }

  static fromWire(wire: WireError): PayloadTooLargeError {
    return new PayloadTooLargeError(wireText(wire.topic), wireNumber(wire.bytes), wireNumber(wire.limit), wire);
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

/** A bad option passed to `createSystem` or a CLI command. */
export class InvalidOptionError extends RecqError {
  constructor(
    readonly option: string,
    readonly value: unknown,
    reason: string,
    wire?: WireError,
  ) {
    super('INVALID_OPTION', wire?.message ?? `Invalid option ${option} = ${shown(value)}: ${reason}.`);
  }

  static fromWire(wire: WireError): InvalidOptionError {
    return new InvalidOptionError(wireText(wire.option), wire.value, '', wire);
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
