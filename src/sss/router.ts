import type { Envelope } from '../envelope.ts';
import { compilePatterns, inputTopicOf, type TopicMatcher } from '../topic.ts';
import type { Transport } from '../transport/transport.ts';

interface Route {
  consumer: string;
  match: TopicMatcher;
  lastRouted: number;
}

/**
 * Routes each committed event to every registered consumer whose patterns match its topic,
 * stamping it with `prev` so the host can see gaps, then announces it once on its topic. An
 * input record (`$input.<consumer>`) goes to the consumer it names, and to no other.
 */
export class Router {
  readonly #transport: Transport;
  #routes: Route[] = [];

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Starts routing to `consumer` from after `watermark` (the log head at registration).
   * Re-registering replaces the route, so a restarted host starts from a fresh watermark.
   */
  register(consumer: string, patterns: readonly string[], watermark: number): void {
    const own = inputTopicOf(consumer);
    const subscribed = compilePatterns(patterns);
    const route: Route = { consumer, match: (topic) => topic === own || subscribed(topic), lastRouted: watermark };
    this.#routes = [...this.#routes.filter((r) => r.consumer !== consumer), route];
  }

  unregister(consumer: string): void {
    this.#routes = this.#routes.filter((r) => r.consumer !== consumer);
  }

  /** Seq of the last event routed to `consumer`, or undefined if it is not registered. */
  lastRouted(consumer: string): number | undefined {
    return this.#routes.find((r) => r.consumer === consumer)?.lastRouted;
  }

  /** The last seq routed to each registered consumer. */
  routes(): Record<string, number> {
    return Object.fromEntries(this.#routes.map((r) => [r.consumer, r.lastRouted]));
  }

  /** Routes committed envelopes, in seq order. */
  route(envelopes: readonly Envelope[]): void {
    const routes = this.#routes;
    for (const envelope of envelopes) {
      for (const route of routes) {
        if (!route.match(envelope.topic)) continue;
        // Advance first: a delivery that fails in transit is a gap the host fills, not a stall.
        const prev = route.lastRouted;
        route.lastRouted = envelope.seq;
        this.#transport.route(route.consumer, { envelope, prev });
      }
      this.#transport.announce(envelope);
    }
  }
}
