import type { ConsumerStore } from '../css/consumer-store.ts';

/**
 * How many dead letters each consumer has waiting for an operator (parked, or blocking it).
 * Letters change only with a checkpoint, so a count holds while the consumer's committed offset
 * stays where it was counted at: the live view recounts once per checkpoint, not per event,
 * and `status()` asks for a fresh count.
 */
export class WaitingLetters {
  readonly #store: ConsumerStore;
  readonly #counted = new Map<string, { at: number; count: number }>();

  constructor(store: ConsumerStore) {
    this.#store = store;
  }

  count(consumer: string, committedOffset: number, fresh: boolean): number {
    const known = this.#counted.get(consumer);
    if (!fresh && known?.at === committedOffset) return known.count;
    let count: number;
    try {
      count = this.#store.deadLetters(consumer, 'parked').length + this.#store.deadLetters(consumer, 'blocking').length;
    } catch {
      // A locked file: the last count stands until the next look.
      return known?.count ?? 0;
    }
    this.#counted.set(consumer, { at: committedOffset, count });
    return count;
  }
}
