import type { AppendResult, System } from '../../src/index.ts';
import type { OrderPlaced } from './events.ts';
import { orderAmount } from './rules.ts';

/** `count` order ids, the same on every run: `o-00001`, `o-00002`, … */
export function orderIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `o-${String(i + 1).padStart(5, '0')}`);
}

export interface PlaceOptions {
  /** Orders per `publishMany` call. Default 100. */
  batchSize?: number;
  /** Called after each batch is committed, with how many orders are placed so far. */
  onBatch?: (placed: number) => void;
  /** Stops placing orders between batches once aborted. */
  signal?: AbortSignal;
}

/**
 * Publishes `order.placed` for each id, keyed by the order id. Each event's id is derived from
 * the order id, so placing the same orders again appends nothing.
 *
 * @example
 * await placeOrders(system, orderIds(500));
 * await system.settled();
 */
export async function placeOrders(system: System, ids: readonly string[], options: PlaceOptions = {}): Promise<AppendResult[]> {
  const batchSize = options.batchSize ?? 100;
  const results: AppendResult[] = [];
  for (let start = 0; start < ids.length && !options.signal?.aborted; start += batchSize) {
    const batch = ids.slice(start, start + batchSize).map((orderId) => {
      const event: OrderPlaced = { type: 'order.placed', orderId, amount: orderAmount(orderId) };
      return { topic: event.type, event, key: orderId, id: `${orderId}/placed` };
    });
    results.push(...(await system.publishMany(batch)));
    options.onBatch?.(results.length);
  }
  return results;
}
