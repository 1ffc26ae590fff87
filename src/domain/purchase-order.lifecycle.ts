import type { Lifecycle } from './lifecycle.js';

/**
 * A purchase order (采购单): what Daifa orders from one supplier for the lines that supplier fulfils.
 * Draft (intent recorded, key fixed) → Placing (the supplier call may be in flight) → Placed (read back and
 * checked) → … payment and shipping (later issues). NeedsAttention blocks payment until a person decides.
 */
export const purchaseOrderStates = [
  'Draft',
  'Placing',
  'Placed',
  'NeedsAttention',
  'Shadowed',
  'Paying',
  'Paid',
  'Shipped',
  'Completed',
  'Cancelled',
] as const;
export type PurchaseOrderState = (typeof purchaseOrderStates)[number];

export const purchaseOrderLifecycle: Lifecycle<PurchaseOrderState> = {
  name: 'purchase_order',
  initial: ['Draft'],
  terminal: ['Shadowed', 'Completed', 'Cancelled'],
  transitions: {
    Draft: { to: ['Placing', 'Shadowed', 'Cancelled'] },
    Placing: { to: ['Placed', 'NeedsAttention', 'Cancelled'] },
    Placed: { to: ['Paying', 'Paid', 'NeedsAttention', 'Cancelled'] },
    NeedsAttention: { to: ['Placed', 'Placing', 'Paid', 'Cancelled'] },
    Paying: { to: ['Paid', 'NeedsAttention', 'Cancelled'] },
    Paid: { to: ['Shipped', 'NeedsAttention', 'Cancelled'] },
    Shipped: { to: ['Completed', 'NeedsAttention'] },
    Shadowed: { to: [] },
    Completed: { to: [] },
    Cancelled: { to: [] },
  },
};

/** Exceptions waiting for a person or a buyer (异常). */
export const caseStates = ['Open', 'Resolved', 'Dismissed'] as const;
export type CaseState = (typeof caseStates)[number];

export const caseLifecycle: Lifecycle<CaseState> = {
  name: 'case',
  initial: ['Open'],
  terminal: ['Resolved', 'Dismissed'],
  transitions: { Open: { to: ['Resolved', 'Dismissed'] }, Resolved: { to: [] }, Dismissed: { to: [] } },
};
