import { assign, emit, setup } from 'xstate';
import type { DeliveredEvent } from '../../src/index.ts';
import type { ShipmentFailed, ShipmentRequested, ShipmentShipped } from './events.ts';
import { shipmentFails } from './rules.ts';

export interface ShippingContext {
  orderId: string;
  /** How many parcels went out; never more than 1. */
  shipments: number;
  trackingNumber: string | null;
}

export type ShippingEvent = DeliveredEvent<ShipmentRequested>;
export type ShippingEmitted = ShipmentShipped | ShipmentFailed;

/** The carrier's side of one order: it ships the parcel, or reports that it could not. */
export const shippingMachine = setup({
  types: {
    context: {} as ShippingContext,
    events: {} as ShippingEvent,
    emitted: {} as ShippingEmitted,
    input: {} as { key?: string | undefined },
  },
  guards: {
    carrierFails: ({ context }) => shipmentFails(context.orderId),
  },
  actions: {
    // The request's seq is stable across replays, so the tracking number is too.
    ship: assign(({ context, event }) => ({ shipments: context.shipments + 1, trackingNumber: `TRK-${event.meta.seq}` })),
    confirmShipment: emit(({ context }) => ({
      type: 'shipment.shipped' as const,
      orderId: context.orderId,
      trackingNumber: context.trackingNumber ?? '',
    })),
    reportFailure: emit(({ context }) => ({ type: 'shipment.failed' as const, orderId: context.orderId, reason: 'parcel lost' })),
  },
}).createMachine({
  id: 'shipping',
  context: ({ input }) => ({ orderId: input.key ?? '', shipments: 0, trackingNumber: null }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        'shipment.requested': [
          { guard: 'carrierFails', target: 'failed', actions: 'reportFailure' },
          { target: 'shipped', actions: ['ship', 'confirmShipment'] },
        ],
      },
    },
    shipped: { type: 'final' },
    failed: { type: 'final' },
  },
});
