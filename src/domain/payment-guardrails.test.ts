import { describe, expect, it } from 'vitest';
import { checkPayment, type PaymentLimits } from './payment-guardrails.js';

const limits: PaymentLimits = { maxPerOrder: 10_000, maxPerDay: 50_000, minMargin: 100, approvalAbove: 5_000 };
const base = { amount: 3_000, paidToday: 0, orderRevenue: 6_000, orderCosts: 3_000, approved: false };

describe('payment guardrails', () => {
  it('pays within the limits', () => expect(checkPayment(limits, base)).toEqual({ action: 'pay' }));
  it('per-order cap blocks', () =>
    expect(checkPayment(limits, { ...base, amount: 10_001, orderCosts: 10_001, orderRevenue: 20_000 })).toMatchObject({
      action: 'block',
      rule: 'per_order',
      reason: expect.stringContaining('单笔上限'),
    }));
  it('daily cap blocks', () =>
    expect(checkPayment(limits, { ...base, paidToday: 48_000 })).toMatchObject({
      action: 'block',
      rule: 'per_day',
      reason: expect.stringContaining('当日付款上限'),
    }));
  it('margin floor blocks (the shop order would sell below cost + floor)', () =>
    expect(checkPayment(limits, { ...base, orderCosts: 5_950 })).toMatchObject({
      action: 'block',
      rule: 'margin',
      reason: expect.stringContaining('毛利'),
    }));
  it('above the threshold a person must approve; approved goes out', () => {
    expect(checkPayment(limits, { ...base, amount: 6_000, orderCosts: 6_000, orderRevenue: 9_000 })).toMatchObject({ action: 'approve' });
    expect(checkPayment(limits, { ...base, amount: 6_000, orderCosts: 6_000, orderRevenue: 9_000, approved: true })).toEqual({
      action: 'pay',
    });
  });
  it('blocks outrank approvals; zero amounts are refused', () => {
    expect(checkPayment(limits, { ...base, amount: 20_000, orderCosts: 20_000, orderRevenue: 40_000 }).action).toBe('block');
    expect(checkPayment(limits, { ...base, amount: 0 }).action).toBe('block');
  });
});

describe('paying hours', () => {
  const hours = { ...limits, payHours: { from: '09:00', to: '21:00' } };
  it('inside the window pays; outside waits until it opens', () => {
    expect(checkPayment(hours, { ...base, minuteOfDayCN: 9 * 60 })).toEqual({ action: 'pay' });
    expect(checkPayment(hours, { ...base, minuteOfDayCN: 21 * 60 })).toMatchObject({ action: 'defer', waitMinutes: 12 * 60 });
    expect(checkPayment(hours, { ...base, minuteOfDayCN: 8 * 60 + 30 })).toMatchObject({
      action: 'defer',
      waitMinutes: 30,
      reason: expect.stringContaining('付款时段'),
    });
  });
  it('a window past midnight wraps', () => {
    const night = { ...limits, payHours: { from: '22:00', to: '02:00' } };
    expect(checkPayment(night, { ...base, minuteOfDayCN: 23 * 60 }).action).toBe('pay');
    expect(checkPayment(night, { ...base, minuteOfDayCN: 60 }).action).toBe('pay');
    expect(checkPayment(night, { ...base, minuteOfDayCN: 3 * 60 })).toMatchObject({ action: 'defer', waitMinutes: 19 * 60 });
  });
  it('blocks outrank the window; no window means any time', () => {
    expect(checkPayment(hours, { ...base, amount: 20_000, orderCosts: 20_000, orderRevenue: 40_000, minuteOfDayCN: 3 * 60 }).action).toBe(
      'block',
    );
    expect(checkPayment(limits, { ...base, minuteOfDayCN: 3 * 60 }).action).toBe('pay');
  });
});
