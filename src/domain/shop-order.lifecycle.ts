import type { Lifecycle } from './lifecycle.js';

/**
 * The customer's order (微信小店订单). Later steps (sourcing, purchasing, shipping) extend the loop
 * from Confirmed; every state change goes through this table.
 */
export const shopOrderStates = [
  'Received',
  'NeedsReview',
  'Confirmed',
  'AwaitingBuyer',
  'Sourced',
  'Purchasing',
  'Fulfilling',
  'PartiallyShipped',
  'Shipped',
  'Completed',
  'Cancelled',
] as const;
export type ShopOrderState = (typeof shopOrderStates)[number];

export const shopOrderLifecycle: Lifecycle<ShopOrderState> = {
  name: 'shop_order',
  initial: ['Received'],
  terminal: ['Completed', 'Cancelled'],
  transitions: {
    Received: { to: ['Confirmed', 'NeedsReview', 'Cancelled'] },
    NeedsReview: { to: ['Confirmed', 'AwaitingBuyer', 'Cancelled'] }, // AwaitingBuyer: a substitute proposed
    Confirmed: { to: ['Sourced', 'AwaitingBuyer', 'NeedsReview', 'Cancelled'] },
    AwaitingBuyer: { to: ['Confirmed', 'Sourced', 'NeedsReview', 'Cancelled'] }, // consent given → source again
    Sourced: { to: ['Purchasing', 'NeedsReview', 'AwaitingBuyer', 'Cancelled'] },
    // A supplier on account may ship before it is paid. AwaitingBuyer, here and below: lines sourced again after a
    // supplier could not fulfil are blocked only by the buyer's requests (the buyer is asked).
    Purchasing: { to: ['Fulfilling', 'PartiallyShipped', 'Shipped', 'NeedsReview', 'AwaitingBuyer', 'Cancelled'] },
    Fulfilling: { to: ['PartiallyShipped', 'Shipped', 'NeedsReview', 'AwaitingBuyer', 'Cancelled'] },
    PartiallyShipped: { to: ['Shipped', 'NeedsReview', 'AwaitingBuyer', 'Cancelled'] },
    Shipped: { to: ['Completed', 'NeedsReview'] },
    Completed: { to: [] },
    Cancelled: { to: [] },
  },
};

/** Chinese labels for the dashboard, CLI and alerts. */
export const shopOrderStateLabels: Record<ShopOrderState, string> = {
  Received: '已接收',
  NeedsReview: '待人工审核',
  Confirmed: '已确认',
  AwaitingBuyer: '等待买家答复',
  Sourced: '已选供应商',
  Purchasing: '采购中',
  Fulfilling: '待发货',
  PartiallyShipped: '部分发货',
  Shipped: '已发货',
  Completed: '已完成',
  Cancelled: '已取消',
};
