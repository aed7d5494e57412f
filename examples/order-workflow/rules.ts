import type { CancelReason, Cents } from './events.ts';

/**
 * The simulated world: which banks never answer, which cards decline, which parcels get lost,
 * what each order costs.
 * Every answer is a pure function of the order id, so a run is reproducible and a replay
 * after a crash takes the same decisions as the first attempt.
 */

/** Share of orders whose bank never answers the payment request, in per mille. */
export const PAYMENT_UNANSWERED_PER_MILLE = 30;
/** Share of orders whose payment is declined, in per mille. */
export const PAYMENT_DECLINE_PER_MILLE = 100;
/** Share of paid orders whose shipment fails, in per mille. */
export const SHIPMENT_FAILURE_PER_MILLE = 50;

/** 32-bit FNV-1a: tiny, stable across platforms and Node versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A number in [0, 1000) that depends only on the order id and what is being decided. */
function perMille(orderId: string, decision: string): number {
  return fnv1a(`${decision}:${orderId}`) % 1000;
}

/** The bank never answers; only the saga's payment timeout ends such an order. Decided before a decline. */
export function paymentUnanswered(orderId: string): boolean {
  return perMille(orderId, 'bank-silence') < PAYMENT_UNANSWERED_PER_MILLE;
}

export function paymentDeclines(orderId: string): boolean {
  return perMille(orderId, 'payment') < PAYMENT_DECLINE_PER_MILLE;
}

export function shipmentFails(orderId: string): boolean {
  return perMille(orderId, 'shipment') < SHIPMENT_FAILURE_PER_MILLE;
}

/** Between 5.00 and 199.99. */
export function orderAmount(orderId: string): Cents {
  return 500 + (fnv1a(`amount:${orderId}`) % 19_500);
}

/** How an order's saga must end. */
export type Outcome = { state: 'completed' } | { state: 'cancelled'; reason: CancelReason };

/** The outcome the workflow must reach for an order placed with `orderAmount(orderId)`. */
export function expectedOutcome(orderId: string): Outcome {
  if (paymentUnanswered(orderId)) return { state: 'cancelled', reason: 'payment-timeout' };
  if (paymentDeclines(orderId)) return { state: 'cancelled', reason: 'payment-declined' };
  if (shipmentFails(orderId)) return { state: 'cancelled', reason: 'shipment-failed' };
  return { state: 'completed' };
}
