import { describe, expect, it } from 'vitest';
import { canTransition, validateLifecycle, type Lifecycle } from './lifecycle.js';
import { shopOrderLifecycle } from './shop-order.lifecycle.js';

describe('lifecycle tables', () => {
  it('the shop-order table is valid', () => {
    expect(validateLifecycle(shopOrderLifecycle)).toEqual([]);
  });

  it('allows declared transitions and refuses others with a reason', () => {
    expect(canTransition(shopOrderLifecycle, null, 'Received')).toEqual({ ok: true });
    expect(canTransition(shopOrderLifecycle, 'Received', 'Confirmed')).toEqual({ ok: true });
    const refused = canTransition(shopOrderLifecycle, 'Cancelled', 'Confirmed');
    expect(refused.ok).toBe(false);
    expect(canTransition(shopOrderLifecycle, null, 'Confirmed').ok).toBe(false);
  });

  it('finds unknown targets, unreachable states and dead ends', () => {
    const bad = {
      name: 'bad',
      initial: ['A'],
      terminal: ['C'],
      transitions: { A: { to: ['B', 'Z'] }, B: { to: [] }, C: { to: [] }, D: { to: ['C'] } },
    } as unknown as Lifecycle<string>;
    const problems = validateLifecycle(bad).join('\n');
    expect(problems).toContain('A → Z: unknown target');
    expect(problems).toContain('B has no exit but is not terminal');
    expect(problems).toContain('D is unreachable');
  });
});
