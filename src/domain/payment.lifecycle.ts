import type { Lifecycle } from './lifecycle.js';

/**
 * A payment to a supplier (付款). It starts where the shop's limits put it — paid by Daifa's call (Paying), waiting for
 * whoever pays (AwaitingPayer: a 1688 link, a bank transfer), for the owner (AwaitingApproval) or blocked by a limit —
 * and ends Paid. Cancelled is not quite the end: when 1688 says a cancelled payment was paid after all (a person
 * paid its link), the truth is recorded (Paid). Every status write goes through this table (src/payments/payment-status.ts).
 */
export const paymentStatuses = [
  'AwaitingApproval',
  'Blocked',
  'Paying',
  'AwaitingPayer',
  'Paid',
  'Failed',
  'Rejected',
  'Cancelled',
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const paymentLifecycle: Lifecycle<PaymentStatus> = {
  name: 'payment',
  initial: ['Paying', 'AwaitingPayer', 'AwaitingApproval', 'Blocked'],
  terminal: ['Paid'],
  transitions: {
    AwaitingApproval: { to: ['Paying', 'AwaitingPayer', 'Rejected', 'Blocked', 'Failed', 'Paid', 'Cancelled'] },
    // Reconsidered under new limits (or a new day): paid, approved, or still blocked (then only its reason changes).
    Blocked: { to: ['Paying', 'AwaitingPayer', 'AwaitingApproval', 'Failed', 'Paid', 'Cancelled'] },
    Paying: { to: ['Paid', 'Failed', 'Blocked', 'AwaitingPayer', 'Cancelled'] },
    // AwaitingPayer → AwaitingPayer: a new payment link for several orders at once.
    AwaitingPayer: { to: ['Paid', 'AwaitingPayer', 'Blocked', 'Failed', 'Cancelled'] },
    Failed: { to: ['Paying', 'AwaitingPayer', 'Blocked', 'Paid', 'Cancelled'] },
    // A rejected payment may still be approved later (recorded).
    Rejected: { to: ['Paying', 'AwaitingPayer', 'AwaitingApproval', 'Blocked', 'Failed', 'Paid', 'Cancelled'] },
    Cancelled: { to: ['Paid'] },
    Paid: { to: [] },
  },
};

/** The statuses a payment may reach `to` from (the guard of a write that does not name them). */
export const paymentStatusesInto = (to: PaymentStatus): PaymentStatus[] =>
  paymentStatuses.filter((s) => paymentLifecycle.transitions[s].to.includes(to));
