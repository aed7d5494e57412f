import type { CallOptions, LookupTool } from './model.ts';
import { type StandInOptions, takeCall } from './stand-in-call.ts';

/**
 * A deterministic order lookup: what it answers follows from the order id alone.
 *
 * @example
 * await new StandInLookup({ callLog, answerAfterMs: 0 }).lookup({ conversation: 'c-001', query: 'o-0001' }, { idempotencyKey: 'k' });
 * // 'order o-0001 (shipped, 12.34 EUR)'
 */
export class StandInLookup implements LookupTool {
  readonly #options: StandInOptions;

  constructor(options: StandInOptions) {
    this.#options = options;
  }

  async lookup(request: { conversation: string; query: string }, options: CallOptions): Promise<string> {
    await takeCall(this.#options, { service: 'tool', key: options.idempotencyKey, conversation: request.conversation, pid: process.pid });
    return lookupAnswer(request.query);
  }
}

const STATUSES = ['placed', 'packed', 'shipped', 'delivered'] as const;

/** The order's status and amount, from its id's characters. */
export function lookupAnswer(orderId: string): string {
  let hash = 7;
  for (const char of orderId) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_003;
  const status = STATUSES[hash % STATUSES.length] as string;
  const cents = 500 + (hash % 20_000);
  return `order ${orderId} (${status}, ${(cents / 100).toFixed(2)} EUR)`;
}
