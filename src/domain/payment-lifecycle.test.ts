import { describe, expect, it } from 'vitest';
import { canTransition, validateLifecycle } from './lifecycle.js';
import { paymentLifecycle, paymentStatuses, paymentStatusesInto } from './payment.lifecycle.js';

describe('the payment lifecycle', () => {
  it('is a valid table: every status reachable, Paid the one end', () => {
    expect(validateLifecycle(paymentLifecycle)).toEqual([]);
    expect(paymentLifecycle.terminal).toEqual(['Paid']);
  });

  it('never pays twice and never revives a cancelled payment except to record money that did leave', () => {
    expect(canTransition(paymentLifecycle, 'Paid', 'Paying').ok).toBe(false);
    expect(canTransition(paymentLifecycle, 'Paid', 'Failed').ok).toBe(false);
    expect(canTransition(paymentLifecycle, 'Cancelled', 'Failed').ok).toBe(false);
    expect(canTransition(paymentLifecycle, 'Cancelled', 'Paying').ok).toBe(false);
    expect(canTransition(paymentLifecycle, 'Cancelled', 'Paid').ok).toBe(true);
    expect(canTransition(paymentLifecycle, 'Paid', 'Rejected').ok).toBe(false);
    expect(paymentStatusesInto('Failed')).not.toContain('Cancelled');
    // recordPaid (pay-supplier.ts) guards with `status != 'Paid'`: every other status may become Paid.
    expect(paymentStatusesInto('Paid').sort()).toEqual(paymentStatuses.filter((s) => s !== 'Paid').sort());
  });
});
