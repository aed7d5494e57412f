/**
 * `recq/transport`: how committed events travel from the router to hosts and observers. The
 * embedded deployment runs on `MemoryTransport` by default; pass a `Transport` of your own to
 * `createSystem({ transport })`, e.g. one that drops deliveries, to see that correctness never
 * depends on them (hosts read any gap from the log).
 *
 * @example
 * import { createSystem } from 'recq';
 * import { type Delivery, MemoryTransport } from 'recq/transport';
 *
 * class LossyTransport extends MemoryTransport {
 *   override route(consumer: string, delivery: Delivery): void {
 *     if (delivery.envelope.seq % 3 !== 0) super.route(consumer, delivery);
 *   }
 * }
 * const system = await createSystem({ db: './test.db', components, transport: new LossyTransport() });
 */
export { MemoryTransport } from '../transport/memory.ts';
export type { Delivery, Transport } from '../transport/transport.ts';
