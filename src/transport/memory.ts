import type { Envelope } from '../envelope.ts';
import { compilePattern, type TopicMatcher } from '../topic.ts';
import type { Delivery, Transport } from './transport.ts';

interface Observer {
  match: TopicMatcher;
  handler: (envelope: Envelope) => void;
}

/**
 * The in-process bus of the embedded deployment: routes are direct function calls, so
 * nothing is lost and nothing is serialized.
 *
 * @example
 * const transport = new MemoryTransport();
 * transport.observe('orders.>', (envelope) => console.log(envelope.seq, envelope.topic));
 */
export class MemoryTransport implements Transport {
  readonly #routes = new Map<string, (delivery: Delivery) => void>();
  #observers: Observer[] = [];
  readonly #onObserverError: (error: unknown, envelope: Envelope) => void;

  /** `onObserverError` receives what an observer threw (default: stderr); other observers still run. */
  constructor(options: { onObserverError?: (error: unknown, envelope: Envelope) => void } = {}) {
    this.#onObserverError = options.onObserverError ?? ((error, envelope) => console.error(`recq: an observer of seq ${envelope.seq} failed:`, error));
  }

  route(consumer: string, delivery: Delivery): void {
    this.#routes.get(consumer)?.(delivery);
  }

  onRoute(consumer: string, handler: (delivery: Delivery) => void): () => void {
    this.#routes.set(consumer, handler);
    return () => {
      if (this.#routes.get(consumer) === handler) this.#routes.delete(consumer);
    };
  }

  announce(envelope: Envelope): void {
    for (const observer of this.#observers) {
      if (!observer.match(envelope.topic)) continue;
      try {
        observer.handler(envelope);
      } catch (error) {
        this.#onObserverError(error, envelope);
      }
    }
  }

  observe(pattern: string, handler: (envelope: Envelope) => void): () => void {
    const observer: Observer = { match: compilePattern(pattern), handler };
    this.#observers = [...this.#observers, observer];
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }

  async close(): Promise<void> {
    this.#routes.clear();
    this.#observers = [];
  }
}
