import type { Envelope } from '../envelope.ts';

/**
 * One routed event for one consumer. `prev` is the seq of the previous event routed to the
 * same consumer (or its registration watermark): a host that has not reached `prev` has a
 * gap and reads it from the log before going on.
 */
export interface Delivery {
  envelope: Envelope;
  prev: number;
}

/**
 * Moves committed events from the router to hosts and observers. Delivery may lose messages
 * (NATS core is at-most-once); hosts never depend on it for correctness.
 */
export interface Transport {
  /** Router side: hands a delivery to a consumer's route. */
  route(consumer: string, delivery: Delivery): void;
  /** Host side: receives the deliveries on a consumer's route. */
  onRoute(consumer: string, handler: (delivery: Delivery) => void): () => void;
  /** Router side: publishes a committed event once on its topic, for observers. */
  announce(envelope: Envelope): void;
  /** Follows committed events whose topic matches `pattern`, with no delivery guarantee. */
  observe(pattern: string, handler: (envelope: Envelope) => void): () => void;
  close(): Promise<void>;
}
