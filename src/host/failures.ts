import { type RetryPolicy, retryDelay } from '../component/retry-policy.ts';
import type { DeadLetter } from '../css/consumer-store.ts';
import type { Envelope } from '../envelope.ts';
import { type ConsumerProbe, silentProbe } from '../metrics/probe.ts';

/** What to do about a failed attempt. */
export type FailureVerdict = { action: 'retry'; delayMs: number; attempts: number } | { action: 'park' | 'block'; letter: DeadLetter };

interface Attempts {
  eventId: string;
  count: number;
  firstFailedAt: number;
}

/** What a dead letter is about: an event of the log, or a fired timer (its event and timer record). */
export interface FailedInput {
  seq: number;
  eventId: string;
  key: string | undefined;
  topic: string;
  /** JSON of the event, or of the stored timer for a timer. */
  event: string;
}

/**
 * Counts the attempts at the event a consumer is stuck on and decides, per the retry policy,
 * whether to try again after a backoff or to give up and dead-letter it.
 */
export class FailureTracker {
  #current: Attempts | undefined;
  readonly #policy: RetryPolicy;
  readonly #random: () => number;
  readonly #probe: ConsumerProbe;

  constructor(policy: RetryPolicy, random: () => number, probe: ConsumerProbe = silentProbe.consumer('')) {
    this.#policy = policy;
    this.#random = random;
    this.#probe = probe;
  }

  /** Attempts so far at `eventId` (0 if it is not the one failing). */
  attempts(eventId: string): number {
    return this.#current?.eventId === eventId ? this.#current.count : 0;
  }

  /** Records a failed attempt and decides what comes next. `retryable: false` skips the retries. */
  failed(input: FailedInput, error: unknown, now: number, retryable = true): FailureVerdict {
    const current = this.#current?.eventId === input.eventId ? this.#current : { eventId: input.eventId, count: 0, firstFailedAt: now };
    current.count++;
    this.#current = current;
    this.#probe.failed();
    if (retryable && !this.#policy.isPermanent(error) && current.count < this.#policy.maxAttempts) {
      this.#probe.retried();
      return { action: 'retry', delayMs: retryDelay(this.#policy, current.count, this.#random), attempts: current.count };
    }
    this.#current = undefined;
    const action = this.#policy.onExhausted;
    return { action, letter: deadLetterOf(input, error, current.count, current.firstFailedAt, now, action === 'block' ? 'blocking' : 'parked') };
  }

  /** The event was applied: forget its attempts. */
  succeeded(eventId: string): void {
    this.#probe.applied();
    if (this.#current?.eventId === eventId) this.#current = undefined;
  }

  reset(): void {
    this.#current = undefined;
  }
}

/** A dead letter for `input`, failed with `error`. */
export function deadLetterOf(
  input: FailedInput,
  error: unknown,
  attempts: number,
  firstFailedAt: number,
  now: number,
  status: DeadLetter['status'],
): DeadLetter {
  return {
    consumer: '',
    seq: input.seq,
    eventId: input.eventId,
    key: input.key,
    topic: input.topic,
    event: input.event,
    error: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack : undefined,
    attempts,
    firstFailedAt,
    lastFailedAt: now,
    status,
  };
}

/** The dead-letter description of a log event. */
export function inputOfEnvelope(envelope: Envelope, key: string | undefined): FailedInput {
  return { seq: envelope.seq, eventId: envelope.id, key, topic: envelope.topic, event: JSON.stringify(envelope.event) };
}
