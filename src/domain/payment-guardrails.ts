import { minutesUntilWindow } from '../lib/cn-time.js';
import type { Fen } from './money.js';

/** Per-shop limits on paying suppliers. All amounts in fen. */
export interface PaymentLimits {
  maxPerOrder: Fen;
  maxPerDay: Fen;
  /** Minimum gross margin (buyer paid − supplier cost) for the shop order, fen; negative allows a loss. */
  minMargin: Fen;
  /** Above this amount a person must approve. */
  approvalAbove: Fen;
  /** Optional paying hours, China time, "HH:MM"–"HH:MM" (a window past midnight wraps). Outside, payments wait. */
  payHours?: { from: string; to: string } | null;
  /** How 1688 orders are paid: password-free pay, or a payment link a person opens and pays. */
  method1688?: 'protocol' | 'link';
  /**
   * A supplier's price rise up to this much (fen, per purchase order) is accepted by itself while the order's margin
   * still clears `minMargin`; 0 or absent: every rise waits for a person (采购价变化).
   */
  autoAcceptRise?: Fen;
}

export const DEFAULT_LIMITS: PaymentLimits = {
  maxPerOrder: 100_000,
  maxPerDay: 2_000_000,
  minMargin: 0,
  approvalAbove: 30_000,
  payHours: null,
  method1688: 'protocol',
};

/** Which limit blocked: the amount itself, the per-order cap, the daily cap (lifts on the next China day) or the margin floor. */
export type BlockRule = 'amount' | 'per_order' | 'per_day' | 'margin';
export type GuardrailDecision =
  | { action: 'pay' }
  | { action: 'approve'; reason: string }
  | { action: 'block'; reason: string; rule: BlockRule }
  | { action: 'defer'; reason: string; waitMinutes: number };

/**
 * Pure: may this payment go out now, wait for a person, wait for paying hours, or not at all?
 * Blocks outrank everything; paying hours outrank approval (a person approves when the payment would go out).
 */
export function checkPayment(
  limits: PaymentLimits,
  p: { amount: Fen; paidToday: Fen; orderRevenue: Fen; orderCosts: Fen; approved: boolean; minuteOfDayCN?: number },
): GuardrailDecision {
  const yuan = (f: Fen) => `¥${(f / 100).toFixed(2)}`;
  if (p.amount <= 0) return { action: 'block', rule: 'amount', reason: `金额异常：${yuan(p.amount)}` };
  if (p.amount > limits.maxPerOrder)
    return { action: 'block', rule: 'per_order', reason: `超过单笔上限 ${yuan(limits.maxPerOrder)}（本笔 ${yuan(p.amount)}）` };
  if (p.paidToday + p.amount > limits.maxPerDay)
    return {
      action: 'block',
      rule: 'per_day',
      reason: `超过当日付款上限 ${yuan(limits.maxPerDay)}（今日已付 ${yuan(p.paidToday)}，本笔 ${yuan(p.amount)}）`,
    };
  const margin = p.orderRevenue - p.orderCosts;
  if (margin < limits.minMargin)
    return { action: 'block', rule: 'margin', reason: `毛利 ${yuan(margin)} 低于下限 ${yuan(limits.minMargin)}` };
  if (limits.payHours && p.minuteOfDayCN !== undefined) {
    const wait = minutesUntilWindow(limits.payHours, p.minuteOfDayCN);
    if (wait > 0)
      return {
        action: 'defer',
        reason: `不在付款时段 ${limits.payHours.from}–${limits.payHours.to}，${wait} 分钟后付款`,
        waitMinutes: wait,
      };
  }
  if (!p.approved && p.amount > limits.approvalAbove) return { action: 'approve', reason: `超过 ${yuan(limits.approvalAbove)} 需人工批准` };
  return { action: 'pay' };
}
