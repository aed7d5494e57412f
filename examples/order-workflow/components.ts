import { defineComponent } from '../../src/index.ts';
import { orderMachine } from './order.machine.ts';
import { paymentMachine } from './payment.machine.ts';
import { shippingMachine } from './shipping.machine.ts';
import { totalsStore } from './totals.store.ts';

/**
 * The saga subscribes to exact topics, not `payment.*`: it must not receive the requests it
 * emits itself.
 */
export const orders = defineComponent({
  name: 'order',
  logic: orderMachine,
  subscribe: ['order.placed', 'payment.succeeded', 'payment.failed', 'shipment.shipped', 'shipment.failed', 'payment.refunded'],
  key: true,
});

export const payments = defineComponent({
  name: 'payment',
  logic: paymentMachine,
  subscribe: ['payment.requested', 'payment.refund-requested'],
  key: true,
});

export const shipping = defineComponent({
  name: 'shipping',
  logic: shippingMachine,
  subscribe: ['shipment.requested'],
  key: true,
});

export const totals = defineComponent({
  name: 'totals',
  logic: totalsStore,
  subscribe: ['order.placed', 'order.completed', 'order.cancelled', 'payment.refunded'],
});

export const components = [orders, payments, shipping, totals];
