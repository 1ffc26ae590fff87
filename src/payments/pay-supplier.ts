import type { Logger } from 'pino';
import { openCase } from '../cases/cases.js';
import type { Db } from '../db/dialect.js';
import { checkPayment, DEFAULT_LIMITS, type PaymentLimits } from '../domain/payment-guardrails.js';
import { yuanToFen } from '../domain/money.js';
import type { Executor } from '../jobs/queue.js';
import { applyTransition } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import type { Notifier } from '../notify/notifier.js';
import { cnDate } from '../notify/settings.js';
import type { Alibaba1688Accounts } from '../suppliers/alibaba-1688/accounts.js';
import type { ApiBody } from '../suppliers/alibaba-1688/client.js';

export const PAY_PO = 'po.pay';
export const payJob = (poId: number) => ({ kind: PAY_PO, payload: { purchaseOrderId: poId }, singletonKey: `${PAY_PO}:${poId}`, maxAttempts: 10 });
const MAX_PAY_CALLS = 3;
const PAID = new Set(['waitsellersend', 'waitbuyerreceive', 'confirm_goods', 'success', 'waitlogisticstakein', 'waitbuyersign', 'signinsuccess']);

export async function loadLimits(db: Executor, shopId: number): Promise<PaymentLimits> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', `payment-limits:${shopId}`).executeTakeFirst();
  return row ? { ...DEFAULT_LIMITS, ...JSON.parse(row.value) } : DEFAULT_LIMITS;
}

export async function saveLimits(db: Db, shopId: number, limits: PaymentLimits): Promise<void> {
  await db.kysely.insertInto('settings').values({ key: `payment-limits:${shopId}`, value: JSON.stringify(limits) }).onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(limits) })).execute();
}

/** Paid on 1688: payStatus 2 in tradeTerms, or an order status past payment. */
export function isPaid(view: ApiBody): boolean {
  const r = view.result ?? {};
  return (r.tradeTerms ?? []).some((t: { payStatus?: unknown }) => String(t.payStatus) === '2') || PAID.has(String(r.baseInfo?.status));
}

/**
 * 付款: every placed 1688 purchase order is paid exactly once, for exactly the agreed amount, within the shop's
 * limits. The payment intent (with its key) is stored before any call; the order is always re-read before and
 * after paying, because `paySuccess:false` can still mean the money was taken; at most three pay calls.
 */
export class SupplierPayments {
  constructor(
    private readonly db: Db,
    private readonly accounts: Alibaba1688Accounts,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  handler = async (p: { purchaseOrderId: number }): Promise<void> => {
    await this.pay(p.purchaseOrderId);
  };

  async pay(poId: number): Promise<string> {
    const po = await this.db.kysely.selectFrom('purchase_orders as p').innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id').select(['p.id', 'p.state', 'p.route', 'p.shop_order_id', 'p.supplier_order_id', 'p.expected_amount', 'p.supplier_amount', 'p.out_order_id', 'o.shop_id', 'o.order_price', 'o.wx_order_id']).where('p.id', '=', poId).executeTakeFirst();
    if (!po || po.route !== '1688' || !po.supplier_order_id) return 'not-applicable';
    let payment = await this.db.kysely.selectFrom('payments').selectAll().where('purchase_order_id', '=', poId).executeTakeFirst();
    if (!payment) {
      if (po.state !== 'Placed') return po.state;
      const decided = await this.decide(po);
      if (decided !== 'Paying') return decided;
      payment = await this.db.kysely.selectFrom('payments').selectAll().where('purchase_order_id', '=', poId).executeTakeFirstOrThrow();
    }
    if (payment.status !== 'Paying') return payment.status;

    const client = await this.accounts.client();
    // Re-read first: a crash, a lost answer or paySuccess:false may hide a payment already made.
    let view = await client.buyerView(po.supplier_order_id);
    if (isPaid(view)) return this.markPaid(payment.id, po, view);
    const total = view.result?.baseInfo?.totalAmount !== undefined ? yuanToFen(view.result.baseInfo.totalAmount) : undefined;
    if (total !== payment.amount) return this.block(payment.id, po, 'PAYMENT_BLOCKED', `1688 订单金额 ${total === undefined ? '未知' : `¥${(total / 100).toFixed(2)}`} 与应付 ¥${(payment.amount / 100).toFixed(2)} 不一致，已停止付款`);
    if (payment.attempts >= MAX_PAY_CALLS) return this.block(payment.id, po, 'PAYMENT_FAILED', `已尝试 ${MAX_PAY_CALLS} 次免密支付仍未付款成功，请人工处理`);
    if (!(await client.protocolPayOpen())) return this.block(payment.id, po, 'PAYMENT_FAILED', '1688 免密支付协议未签署或未绑定，请在 1688 签约或改用支付链接');
    await this.db.kysely.updateTable('payments').set({ attempts: payment.attempts + 1, updated_at: this.clock.now() }).where('id', '=', payment.id).execute();
    let answer: { success: boolean; paySuccess: boolean; code?: string; message?: string } | undefined;
    try {
      answer = await client.preparePay(po.supplier_order_id, payment.amount, payment.pay_key);
    } catch (err) {
      this.log.warn({ poId, err: (err as Error).message }, 'preparePay gave no answer; re-reading the order');
    }
    view = await client.buyerView(po.supplier_order_id);
    if (isPaid(view)) return this.markPaid(payment.id, po, view);
    if (answer?.code === 'ACCOUNT_BALANCE_NOT_ENOUGH') return this.block(payment.id, po, 'PAYMENT_FAILED', '1688 账户余额不足，请充值后重试');
    throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 付款未完成（${answer?.code ?? 'no answer'}），稍后重新核对`, { retryAfterMs: 2_000 });
  }

  private async decide(po: { id: number; shop_id: number; shop_order_id: number; order_price: number; expected_amount: number; supplier_amount: number | null; out_order_id: string; wx_order_id: string }): Promise<string> {
    const now = this.clock.now();
    const day = cnDate(now);
    return this.db.kysely.transaction().execute(async (trx) => {
      const limits = await loadLimits(trx, po.shop_id);
      const today = await trx.selectFrom('payments as pay').innerJoin('purchase_orders as p', 'p.id', 'pay.purchase_order_id').innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id').select((eb) => eb.fn.sum<number>('pay.amount').as('s')).where('o.shop_id', '=', po.shop_id).where('pay.day', '=', day).where('pay.status', 'in', ['Paying', 'Paid']).executeTakeFirst();
      const costs = await trx.selectFrom('purchase_orders').select((eb) => eb.fn.sum<number>('expected_amount').as('s')).where('shop_order_id', '=', po.shop_order_id).where('state', 'not in', ['Cancelled', 'Shadowed']).executeTakeFirst();
      const amount = po.supplier_amount ?? po.expected_amount;
      const d = checkPayment(limits, { amount, paidToday: Number(today?.s ?? 0), orderRevenue: po.order_price, orderCosts: Number(costs?.s ?? 0), approved: false });
      const status = d.action === 'pay' ? 'Paying' : d.action === 'approve' ? 'AwaitingApproval' : 'Blocked';
      await trx.insertInto('payments').values({ purchase_order_id: po.id, pay_key: `PAY-${po.out_order_id}`, method: '1688-protocol', amount, status, attempts: 0, reason: d.action === 'pay' ? null : d.reason, day, created_at: now, updated_at: now }).execute();
      if (d.action === 'pay') await applyTransition(trx, { entity: 'purchase_order', id: po.id, shopOrderId: po.shop_order_id, to: 'Paying', expectFrom: 'Placed', event: 'po.paying', actor: 'system:payments', note: `应付 ¥${(amount / 100).toFixed(2)}` }, now);
      if (d.action === 'approve') await this.notifier.raise(trx, { event: 'payment_awaiting_approval', shopId: po.shop_id, subject: String(po.id), data: { orderId: po.wx_order_id, amount, detail: d.reason } });
      if (d.action === 'block') {
        await applyTransition(trx, { entity: 'purchase_order', id: po.id, shopOrderId: po.shop_order_id, to: 'NeedsAttention', event: 'po.payment_blocked', actor: 'system:payments', note: d.reason }, now);
        await openCase(trx, { kind: 'PAYMENT_BLOCKED', shopOrderId: po.shop_order_id, purchaseOrderId: po.id, message: d.reason, dedupKey: `PAYMENT_BLOCKED:${po.id}` }, now);
      }
      return status;
    });
  }

  private async markPaid(paymentId: number, po: { id: number; shop_id: number; shop_order_id: number }, view: ApiBody): Promise<string> {
    const now = this.clock.now();
    const payment = await this.db.kysely.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirstOrThrow();
    const tradeId = String(view.result?.baseInfo?.alipayTradeId ?? '');
    await this.db.kysely.transaction().execute(async (trx) => {
      const r = await trx.updateTable('payments').set({ status: 'Paid', supplier_trade_id: tradeId || null, updated_at: now }).where('id', '=', paymentId).where('status', '=', 'Paying').executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return;
      await trx.insertInto('ledger_entries').values({ shop_id: po.shop_id, shop_order_id: po.shop_order_id, purchase_order_id: po.id, kind: 'supplier_paid', amount: -payment.amount, ref: `pay:${paymentId}`, note: `1688 免密支付 ${tradeId}`, day: cnDate(now), created_at: now }).onConflict((oc) => oc.column('ref').doNothing()).execute();
      await applyTransition(trx, { entity: 'purchase_order', id: po.id, shopOrderId: po.shop_order_id, to: 'Paid', expectFrom: 'Paying', event: 'po.paid', actor: 'system:payments', note: `已付 ¥${(payment.amount / 100).toFixed(2)}（${tradeId}）` }, now);
      // Paid by 1688, or placed on a route paid outside Daifa's pay step (e-mail, dropship): nothing left to pay.
      const unpaid = await trx.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', po.shop_order_id).where('state', 'not in', ['Paid', 'Shipped', 'Completed', 'Cancelled', 'Shadowed']).where((eb) => eb.or([eb('route', '=', '1688'), eb('state', '!=', 'Placed')])).executeTakeFirst();
      if (!unpaid) await applyTransition(trx, { entity: 'shop_order', id: po.shop_order_id, to: 'Fulfilling', expectFrom: 'Purchasing', event: 'order.suppliers_paid', actor: 'system:payments' }, now);
    });
    return 'Paid';
  }

  private async block(paymentId: number, po: { id: number; shop_order_id: number }, kind: 'PAYMENT_BLOCKED' | 'PAYMENT_FAILED', message: string): Promise<string> {
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('payments').set({ status: kind === 'PAYMENT_BLOCKED' ? 'Blocked' : 'Failed', reason: message, updated_at: now }).where('id', '=', paymentId).execute();
      await applyTransition(trx, { entity: 'purchase_order', id: po.id, shopOrderId: po.shop_order_id, to: 'NeedsAttention', event: `po.${kind.toLowerCase()}`, actor: 'system:payments', note: message }, now);
      await openCase(trx, { kind, shopOrderId: po.shop_order_id, purchaseOrderId: po.id, message, dedupKey: `${kind}:${po.id}` }, now);
    });
    return kind === 'PAYMENT_BLOCKED' ? 'Blocked' : 'Failed';
  }

  /** Approval queue: a person approves (recorded) and the payment goes out, or rejects it with a case. */
  async decideApproval(paymentId: number, input: { approve: boolean; actor: string; note?: string }): Promise<string> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const p = await trx.selectFrom('payments as pay').innerJoin('purchase_orders as po', 'po.id', 'pay.purchase_order_id').select(['pay.id', 'pay.status', 'po.id as poId', 'po.shop_order_id']).where('pay.id', '=', paymentId).executeTakeFirst();
      if (!p) throw new DaifaError('NOT_FOUND', `付款 ${paymentId} 不存在`);
      if (p.status !== 'AwaitingApproval') throw new DaifaError('CONFLICT', `付款状态为 ${p.status}，不在待批准队列`);
      if (!input.approve) {
        await trx.updateTable('payments').set({ status: 'Rejected', reason: input.note ?? '人工拒绝', approved_by: input.actor, approved_at: now, updated_at: now }).where('id', '=', paymentId).execute();
        await applyTransition(trx, { entity: 'purchase_order', id: p.poId, shopOrderId: p.shop_order_id, to: 'NeedsAttention', event: 'po.payment_rejected', actor: input.actor, note: input.note }, now);
        await openCase(trx, { kind: 'PAYMENT_BLOCKED', shopOrderId: p.shop_order_id, purchaseOrderId: p.poId, message: `付款被拒绝：${input.note ?? ''}`, dedupKey: `PAYMENT_BLOCKED:${p.poId}` }, now);
        return 'Rejected';
      }
      await trx.updateTable('payments').set({ status: 'Paying', approved_by: input.actor, approved_at: now, updated_at: now }).where('id', '=', paymentId).execute();
      await applyTransition(trx, { entity: 'purchase_order', id: p.poId, shopOrderId: p.shop_order_id, to: 'Paying', expectFrom: 'Placed', event: 'po.payment_approved', actor: input.actor, note: input.note, jobs: [payJob(p.poId)] }, now);
      return 'Paying';
    });
  }
}
