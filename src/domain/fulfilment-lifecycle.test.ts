import { describe, expect, it } from 'vitest';
import { canTransition, validateLifecycle } from './lifecycle.js';
import { deliveryLifecycle, negotiationLifecycle } from './fulfilment.lifecycle.js';

describe('the negotiation and delivery lifecycles', () => {
  it('are valid tables', () => {
    expect(validateLifecycle(negotiationLifecycle)).toEqual([]);
    expect(validateLifecycle(deliveryLifecycle)).toEqual([]);
  });

  it('a buyer answers only a negotiation WeChat has; a parcel WeChat took is never sent or failed again', () => {
    expect(canTransition(negotiationLifecycle, 'Sending', 'Agreed').ok).toBe(false);
    expect(canTransition(negotiationLifecycle, 'Waiting', 'Agreed').ok).toBe(true);
    expect(canTransition(negotiationLifecycle, 'Agreed', 'Rejected').ok).toBe(false);
    expect(canTransition(deliveryLifecycle, 'Sent', 'Failed').ok).toBe(false);
    expect(canTransition(deliveryLifecycle, 'Sent', 'Sending').ok).toBe(false);
    expect(canTransition(deliveryLifecycle, 'Failed', 'Sending').ok).toBe(true);
  });
});
