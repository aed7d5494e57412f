import type { Envelope } from '../envelope.ts';

/** Work waiting for a host, applied strictly in arrival order. */
export type InboxItem =
  /** A routed delivery. */
  | { kind: 'event'; envelope: Envelope; prev: number }
  /** The route has reached `prev`: anything up to it that was not delivered is read from the log. */
  | { kind: 'sync'; prev: number }
  /** An operator asked for a dead letter to be applied again. */
  | { kind: 'dead-letter'; id: number };

/**
 * A queue with an index instead of `shift()`, so a burst of deliveries costs no copying; the
 * array is dropped whenever it has been read to the end.
 */
export class Inbox {
  #items: InboxItem[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: InboxItem): void {
    this.#items.push(item);
  }

  peek(): InboxItem | undefined {
    return this.#items[this.#head];
  }

  shift(): void {
    this.#head++;
    if (this.#head >= this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
