import type { Fen } from './money.js';

/** Per-shop limits on paying suppliers. All amounts in fen. */
export interface PaymentLimits {
  maxPerOrder: Fen;
  maxPerDay: Fen;
  /** Minimum gross margin (buyer paid − supplier cost) for the shop order, fen; negative allows a loss. */
  minMargin: Fen;
  /** Above this amount a person must approve. */
  approvalAbove: Fen;
}

export const DEFAULT_LIMITS: PaymentLimits = { maxPerOrder: 100_000, maxPerDay: 2_000_000, minMargin: 0, approvalAbove: 30_000 };

export type GuardrailDecision = { action: 'pay' } | { action: 'approve'; reason: string } | { action: 'block'; reason: string };

/** Pure: may this payment go out now, wait for a person, or not at all? Blocks outrank approvals. */
export function checkPayment(limits: PaymentLimits, p: { amount: Fen; paidToday: Fen; orderRevenue: Fen; orderCosts: Fen; approved: boolean }): GuardrailDecision {
  const yuan = (f: Fen) => `¥${(f / 100).toFixed(2)}`;
  if (p.amount <= 0) return { action: 'block', reason: `金额异常：${yuan(p.amount)}` };
  if (p.amount > limits.maxPerOrder) return { action: 'block', reason: `超过单笔上限 ${yuan(limits.maxPerOrder)}（本笔 ${yuan(p.amount)}）` };
  if (p.paidToday + p.amount > limits.maxPerDay) return { action: 'block', reason: `超过当日付款上限 ${yuan(limits.maxPerDay)}（今日已付 ${yuan(p.paidToday)}，本笔 ${yuan(p.amount)}）` };
  const margin = p.orderRevenue - p.orderCosts;
  if (margin < limits.minMargin) return { action: 'block', reason: `毛利 ${yuan(margin)} 低于下限 ${yuan(limits.minMargin)}` };
  if (!p.approved && p.amount > limits.approvalAbove) return { action: 'approve', reason: `超过 ${yuan(limits.approvalAbove)} 需人工批准` };
  return { action: 'pay' };
}
