import type { Lifecycle } from './lifecycle.js';

/**
 * 发货协商 (a delivery negotiation with the buyer through WeChat): recorded `Sending` before the call, so an answer lost
 * on the way cannot leave on WeChat a negotiation Daifa does not know; `Waiting` once WeChat has it; then the buyer's
 * answer. A `Sending` row whose submit is known not to have arrived is deleted (no row, no negotiation).
 */
export const negotiationStates = ['Sending', 'Waiting', 'Agreed', 'Rejected', 'TimedOut'] as const;
export type NegotiationState = (typeof negotiationStates)[number];

export const negotiationLifecycle: Lifecycle<NegotiationState> = {
  name: 'negotiation',
  initial: ['Sending'],
  terminal: ['Agreed', 'Rejected', 'TimedOut'],
  transitions: {
    Sending: { to: ['Waiting'] },
    Waiting: { to: ['Agreed', 'Rejected', 'TimedOut'] },
    Agreed: { to: [] },
    Rejected: { to: [] },
    TimedOut: { to: [] },
  },
};

/**
 * A parcel sent to WeChat Shop (delivery/send, one row per waybill): `Sending` before the call; `Sent` when WeChat took
 * it (or shows it: a send whose answer was lost); `Failed` when WeChat refused it — a later sync sends it again
 * (`Sending`). A sent parcel's waybill may still change (delivery/info/update); its status does not.
 */
export const deliveryStates = ['Sending', 'Sent', 'Failed'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

export const deliveryLifecycle: Lifecycle<DeliveryState> = {
  name: 'delivery',
  initial: ['Sending'],
  terminal: ['Sent'],
  transitions: {
    Sending: { to: ['Sent', 'Failed'] },
    Failed: { to: ['Sending', 'Sent'] },
    Sent: { to: [] },
  },
};
