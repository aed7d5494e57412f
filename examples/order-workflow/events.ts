/**
 * The order workflow's events. Each event's `type` is also the topic it is published on, so
 * the saga, payment and shipping components can subscribe to exact topics.
 */

/** Amounts are integer cents, so totals add up exactly. */
export type Cents = number;

/** Why an order ended up cancelled. */
export type CancelReason = 'invalid-order' | 'payment-declined' | 'payment-timeout' | 'shipment-failed';

export type OrderPlaced = {
  type: 'order.placed';
  orderId: string;
  amount: Cents;
};

export type PaymentRequested = {
  type: 'payment.requested';
  orderId: string;
  amount: Cents;
};

export type PaymentSucceeded = {
  type: 'payment.succeeded';
  orderId: string;
  amount: Cents;
};

export type PaymentFailed = {
  type: 'payment.failed';
  orderId: string;
  reason: string;
};

export type PaymentRefundRequested = {
  type: 'payment.refund-requested';
  orderId: string;
  amount: Cents;
};

export type PaymentRefunded = {
  type: 'payment.refunded';
  orderId: string;
  amount: Cents;
};

export type ShipmentRequested = {
  type: 'shipment.requested';
  orderId: string;
};

export type ShipmentShipped = {
  type: 'shipment.shipped';
  orderId: string;
  trackingNumber: string;
};

export type ShipmentFailed = {
  type: 'shipment.failed';
  orderId: string;
  reason: string;
};

export type OrderCompleted = {
  type: 'order.completed';
  orderId: string;
  amount: Cents;
};

export type OrderCancelled = {
  type: 'order.cancelled';
  orderId: string;
  amount: Cents;
  reason: CancelReason;
};
