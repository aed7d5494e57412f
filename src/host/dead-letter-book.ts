import type { DeadLetter } from '../css/consumer-store.ts';
import { type ConsumerProbe, silentProbe } from '../metrics/probe.ts';

/**
 * A consumer's dead letters between checkpoints: the ones to write with the next checkpoint,
 * and the ones being retried (by an operator, or because the consumer was blocked on them when
 * it last stopped), whose outcome must be recorded on the same letter.
 */
export class DeadLetterBook {
  readonly #writes = new Map<string, DeadLetter>();
  readonly #retrying = new Map<string, DeadLetter>();
  readonly #probe: ConsumerProbe;

  constructor(probe: ConsumerProbe = silentProbe.consumer('')) {
    this.#probe = probe;
  }

  /** True when letters wait for the next checkpoint. */
  get hasWrites(): boolean {
    return this.#writes.size > 0;
  }

  /** The letters for the next checkpoint. */
  writes(): DeadLetter[] {
    return [...this.#writes.values()];
  }

  /** The checkpoint holding `writes()` committed. */
  committed(): void {
    this.#writes.clear();
  }

  clear(): void {
    this.#writes.clear();
    this.#retrying.clear();
  }

  /** Records a letter to write; if it is one being retried, it keeps that letter's id and history. */
  record(letter: DeadLetter): DeadLetter {
    this.#probe.deadLettered();
    const retried = this.#retrying.get(letter.eventId);
    if (retried) {
      this.#retrying.delete(letter.eventId);
      letter = { ...letter, id: retried.id, attempts: retried.attempts + letter.attempts, firstFailedAt: retried.firstFailedAt };
    }
    this.#writes.set(letter.eventId, letter);
    return letter;
  }

  /** The next attempt at `letter`'s event decides its outcome. */
  retrying(letter: DeadLetter): void {
    this.#retrying.set(letter.eventId, letter);
  }

  /** The event of a letter being retried was applied: the letter becomes `retried`. Returns whether there was one. */
  applied(eventId: string): boolean {
    const letter = this.#retrying.get(eventId);
    if (!letter) return false;
    this.#retrying.delete(eventId);
    this.#writes.set(eventId, { ...letter, attempts: letter.attempts + 1, status: 'retried' });
    return true;
  }

  /** An operator's retry failed again: the letter stays parked, with one more attempt and the new error. */
  failedAgain(letter: DeadLetter, error: unknown, now: number): void {
    this.#retrying.delete(letter.eventId);
    this.#writes.set(letter.eventId, {
      ...letter,
      attempts: letter.attempts + 1,
      lastFailedAt: now,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
  }

  /** An operator's retry could not start (the event is gone): forget it. */
  abandon(eventId: string): void {
    this.#retrying.delete(eventId);
  }

  skipped(letter: DeadLetter): void {
    this.#writes.set(letter.eventId, { ...letter, status: 'skipped' });
  }
}
