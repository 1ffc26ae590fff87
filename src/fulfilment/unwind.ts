import { type UnwindReason } from '../jobs/catalogue.js';
import { movePayment } from '../payments/payment-status.js';
import { routeTraits } from '../domain/purchase-routes.js';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { openCase, settleCasesOfCancelledPo, settleOpenCases } from '../cases/cases.js';
import type { Db } from '../db/dialect.js';
import { formatYuan } from '../domain/money.js';
import { appendEvent, hasEvent, lockEntity, stateOf, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import { getById, paymentOf } from '../db/lookups.js';
import { hasParcel } from '../db/repositories/deliveries.js';
import { poWithShop } from '../db/repositories/purchase-orders.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import { owedFor, post as postLedger, refundedBySupplier } from '../payments/ledger.js';
import { errorCodeOf, isClosed, isPaid, orderEntries, orderFreight, orderTotal, succeeded } from '../suppliers/alibaba-1688/mapping.js';
import type { Alibaba1688Accounts } from '../suppliers/alibaba-1688/accounts.js';
import {
  orderMissingCode,
  REFUND_PERMANENT_CODES,
  RefundRefusedError,
  type ApiBody,
  type RefundReason,
} from '../suppliers/alibaba-1688/client.js';

/** Reasons after which the lines are sourced again (elsewhere); a buyer refund ends them. */
const RESOURCE: readonly UnwindReason[] = ['stock_out', 'supplier_closed'];

const REASON_TEXT: Record<UnwindReason, string> = {
  buyer_refund: '买家已退款，取消采购',
  stock_out: '供应商缺货',
  supplier_closed: '1688 订单被关闭（卖家关闭或超时未付款）',
};

/**
 * 取消或退款: a supplier order that must not go on (the buyer refunded before shipment, or the supplier is out of
 * stock). Unpaid 1688 orders are cancelled (10 s after creation at the earliest: CLOSE_ORDER_TOO_FAST); paid
 * ones get a refund request for what was paid; the ledger records the money coming back only once 1688 shows
 * the trade closed. A payment in flight is waited for; a shipped parcel, or an e-mail / WeChat-dropship supplier,
 * goes to a person.
 */
export class SupplierUnwind {
  constructor(
    private readonly db: Db,
    private readonly accounts: Alibaba1688Accounts,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Stock-out: once the supplier order is cancelled or refunded, the lines are sourced again elsewhere. */
    private readonly resource: (poId: number, why: string) => Promise<string>,
  ) {}

  handler = async (p: { purchaseOrderId: number; reason: UnwindReason }): Promise<void> => {
    await this.unwind(p.purchaseOrderId, p.reason);
  };

  async unwind(poId: number, reason: UnwindReason): Promise<'Cancelled' | 'Refunded' | 'NeedsPerson' | 'AlreadyDone'> {
    const k = this.db.kysely;
    const po = await poWithShop(k, poId);
    if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${poId} 不存在`);
    if (['Cancelled', 'Shadowed', 'Completed'].includes(po.state)) return 'AlreadyDone';
    const shipped = await hasParcel(k, poId);
    const payment = await paymentOf(k, poId);
    if (shipped || po.state === 'Shipped')
      return this.toPerson(po, `供应商已发货，无法直接取消（${REASON_TEXT[reason]}）；请与供应商协商退货退款`);
    if (!routeTraits(po.route).supplierApi || !po.supplier_order_id) {
      if (po.state === 'Draft' || po.state === 'Placing') return this.cancelLocally(po, payment?.id, REASON_TEXT[reason], reason);
      return this.toPerson(
        po,
        `请通知供应商取消采购单（${REASON_TEXT[reason]}）${payment?.status === 'Paid' ? '，并追回已付款项后在账本登记“供应商退款”' : ''}`,
      );
    }
    if (payment?.status === 'Paying')
      throw new DaifaError('UPSTREAM_UNAVAILABLE', '付款进行中，等付款结果确定后再取消', { retryAfterMs: 5_000 });

    const client = await this.accounts.client();
    const view = await client.buyerView(po.supplier_order_id);
    const missing = orderMissingCode(view);
    // Not visible to this account (re-authorised with another one?): nothing can be cancelled from here.
    if (missing)
      return this.toPerson(
        po,
        `1688 订单 ${po.supplier_order_id} 查不到（${missing}），无法自动取消或退款（${REASON_TEXT[reason]}）；请用下单时的 1688 账号核对并处理`,
      );
    if (isClosed(view)) return this.closedOn1688(po, payment, view, reason);
    if (!isPaid(view)) {
      const r = await client.cancel(po.supplier_order_id, reason === 'stock_out' ? 'sellerGoodsLack' : 'buyerCancel', REASON_TEXT[reason]);
      const code = errorCodeOf(r);
      if (succeeded(r)) return this.cancelLocally(po, payment?.id, `1688 订单已取消（${REASON_TEXT[reason]}）`, reason);
      if (code === 'CLOSE_ORDER_TOO_FAST')
        throw new DaifaError('UPSTREAM_UNAVAILABLE', '1688：下单 10 秒内不能关闭订单，稍后再试', { retryAfterMs: 11_000 });
      // Paid in between (ORDER_STATUS_ERROR) or gone: look again.
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 取消失败（${code}），重新核对订单`, { retryAfterMs: 2_000 });
    }
    if (!payment || payment.status !== 'Paid')
      throw new DaifaError('UPSTREAM_UNAVAILABLE', '1688 显示已付款但 Daifa 尚未记账，等待付款核对', { retryAfterMs: 5_000 });
    const entryIds = orderEntries(view)
      .map((e) => e.entryId)
      .filter(Boolean);
    // What is still with the supplier: the amount paid less a partial refund already recorded.
    const due = payment.amount - (await refundedBySupplier(k, po.id));
    // Before shipment 1688 refunds only the goods' whole paid amount: with part of it given back already (recorded on a
    // PARTIAL_REFUND case), the rest cannot be asked for through the API without asking for too much.
    if (due !== payment.amount)
      return this.toPerson(
        po,
        `供应商已退回部分货款 ${formatYuan(payment.amount - due)}；1688 未发货退款只能申请全部货款，余下的 ${formatYuan(due)} 请在 1688 上与供应商协商退款后登记（${REASON_TEXT[reason]}）`,
      );
    // Before shipment: the goods' paid amount without freight in applyPayment, the freight in applyCarriage, and a
    // reason id 1688 lists for this order, these lines and this goods status (1688 §8, §10).
    const goodsStatus = 'refundWaitSellerSend';
    const freight = orderFreight(view);
    const carriage = Math.min(freight, due);
    let reasons: RefundReason[];
    try {
      reasons = await client.refundReasons(po.supplier_order_id, entryIds, goodsStatus);
    } catch (err) {
      if (err instanceof RefundRefusedError && !err.retryable)
        return this.toPerson(
          po,
          `1688 不受理退款（${err.upstreamCode} ${err.upstreamMessage}）：${REASON_TEXT[reason]}。请在 1688 上为采购单申请退款`,
        );
      throw err;
    }
    const chosen = pickRefundReason(reasons, reason, carriage > 0);
    if (!chosen) return this.toPerson(po, `1688 没有为这笔订单提供可选的退款原因（${REASON_TEXT[reason]}）；请在 1688 上申请退款`);
    const asked = { goods: due - (chosen.noRefundCarriage ? 0 : carriage), carriage: chosen.noRefundCarriage ? 0 : carriage };
    const refund = await client.createRefund({
      orderId: po.supplier_order_id,
      entryIds,
      ...asked,
      reasonId: chosen.id,
      description: REASON_TEXT[reason],
      goodsStatus,
    });
    // An answer a retry cannot change (wrong status, reason, amount, voucher …) goes to a person with 1688's words.
    if (!refund.refundId && refund.code && REFUND_PERMANENT_CODES.has(refund.code))
      return this.toPerson(
        po,
        `1688 拒绝了退款申请（${refund.code} ${refund.message ?? ''}）：${REASON_TEXT[reason]}，申请 ${formatYuan(asked.goods)} + 运费 ${formatYuan(asked.carriage)}。请在 1688 上处理退款后登记`,
      );
    if (!refund.refundId && refund.code !== '5010')
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 退款申请失败（${refund.code} ${refund.message ?? ''}）`, { retryAfterMs: 60_000 });
    await k.transaction().execute((trx) =>
      appendEvent(
        trx,
        {
          entity: 'purchase_order',
          id: po.id,
          shopOrderId: po.shop_order_id,
          event: 'po.refund_requested',
          actor: 'system:unwind',
          note: `已向供应商申请退款 ${formatYuan(due)}（${REASON_TEXT[reason]}；原因“${chosen.name}”）${refund.refundId ? ` ${refund.refundId}` : ''}`,
          data: { refundId: refund.refundId, amount: due, goods: asked.goods, carriage: asked.carriage, reasonId: chosen.id },
        },
        this.clock.now(),
      ),
    );
    const after = await client.buyerView(po.supplier_order_id);
    if (isClosed(after)) return this.closedOn1688(po, payment, after, reason);
    // The seller has not agreed yet: look again later (the refund message also brings Daifa back).
    throw new DaifaError('UPSTREAM_UNAVAILABLE', '已申请退款，等待供应商处理', { retryAfterMs: 10 * 60_000 });
  }

  /** The 1688 trade is closed: the purchase order is cancelled and, if it was paid, the refund enters the ledger. */
  private async closedOn1688(
    po: { id: number; shop_order_id: number; shop_id: number },
    payment: { id: number; amount: number; status: string } | undefined,
    view: ApiBody,
    reason: UnwindReason,
  ) {
    const now = this.clock.now();
    const refunded = payment?.status === 'Paid';
    const total = orderTotal(view);
    await this.db.kysely.transaction().execute(async (trx) => {
      await lockEntity(trx, 'shop_order', po.shop_order_id);
      // The rest of what was paid comes back (a partial refund recorded before is not counted twice).
      const due = refunded ? payment.amount - (await refundedBySupplier(trx, po.id)) : 0;
      if (due > 0)
        await postLedger(
          trx,
          {
            shopId: po.shop_id,
            shopOrderId: po.shop_order_id,
            purchaseOrderId: po.id,
            kind: 'refund_from_supplier',
            amount: due,
            ref: `supplier-refund:${po.id}`,
            note: `供应商退款（${REASON_TEXT[reason]}）${total !== undefined && total !== payment?.amount ? `；1688 订单金额 ${formatYuan(total)}` : ''}`,
          },
          now,
        );
      await this.cancelIn(trx, po, payment?.id, refunded ? `供应商已退款 ${formatYuan(payment.amount)}` : '1688 订单已关闭', reason, now);
    });
    if (RESOURCE.includes(reason)) await this.resource(po.id, REASON_TEXT[reason]);
    return refunded ? 'Refunded' : 'Cancelled';
  }

  private async cancelLocally(
    po: { id: number; shop_order_id: number },
    paymentId: number | undefined,
    note: string,
    reason: UnwindReason,
  ): Promise<'Cancelled'> {
    await this.db.kysely.transaction().execute((trx) => this.cancelIn(trx, po, paymentId, note, reason, this.clock.now()));
    if (RESOURCE.includes(reason)) await this.resource(po.id, REASON_TEXT[reason]);
    return 'Cancelled';
  }

  /** Close what Daifa owes for this purchase order; a stock-out leaves the purchase order itself to re-sourcing. */
  private async cancelIn(
    trx: Transaction<Database>,
    po: { id: number; shop_order_id: number },
    paymentId: number | undefined,
    note: string,
    reason: UnwindReason,
    now: number,
  ): Promise<void> {
    const cur = await stateOf(trx, 'purchase_order', po.id);
    if (cur.state !== 'Cancelled' && !RESOURCE.includes(reason))
      await transitionIfAllowed(
        trx,
        {
          entity: 'purchase_order',
          id: po.id,
          shopOrderId: po.shop_order_id,
          to: 'Cancelled',
          event: 'po.cancelled',
          actor: 'system:unwind',
          note,
        },
        now,
      );
    if (RESOURCE.includes(reason))
      await appendEvent(
        trx,
        {
          entity: 'purchase_order',
          id: po.id,
          shopOrderId: po.shop_order_id,
          event: 'po.supplier_order_closed',
          actor: 'system:unwind',
          note,
        },
        now,
      );
    await settleCasesOfCancelledPo(trx, po, note, 'system:unwind', now);
    // A payment that never went out is closed with the order (so it is neither paid later nor counted).
    // A payment in flight (Paying) or done is left alone: only one that waits is cancelled.
    if (paymentId)
      await movePayment(trx, paymentId, 'Cancelled', {
        from: ['AwaitingApproval', 'AwaitingPayer', 'Blocked', 'Failed', 'Rejected'],
        set: { reason: note, updated_at: now },
      });
    // What was owed for it is owed no more (a reversing entry; the original stays).
    const owed = await owedFor(trx, po.id);
    const shop = await getById(trx, 'shop_orders', po.shop_order_id);
    if (owed !== 0)
      await postLedger(
        trx,
        {
          shopId: shop.shop_id,
          shopOrderId: po.shop_order_id,
          purchaseOrderId: po.id,
          kind: 'supplier_payable',
          amount: -owed,
          ref: `payable-void:${po.id}`,
          note: `采购单取消，应付作废：${note}`,
        },
        now,
      );
  }

  /**
   * 供应商已取消 / 已退款: a person settled with the supplier outside Daifa (a direct or WeChat-dropship supplier, a
   * 1688 order this account cannot see). Paid → the refund must be the whole amount paid, to the fen, and enters the
   * ledger once; what was owed is voided; the purchase order's cases are settled. Then, unless the buyer refunded,
   * its lines are sourced again elsewhere (a supplier out of stock is excluded). A parcel already sent is refused.
   */
  async supplierSettled(
    poId: number,
    input: { actor: string; note: string; amount?: number; reference?: string },
  ): Promise<{ outcome: string }> {
    const k = this.db.kysely;
    const po = await poWithShop(k, poId);
    if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${poId} 不存在`);
    if (['Cancelled', 'Shadowed', 'Completed', 'Shipped'].includes(po.state))
      throw new DaifaError('WRONG_STATE', `采购单状态为 ${po.state}，不能登记 / purchase order is ${po.state}`);
    if (['Draft', 'Placing', 'Paying'].includes(po.state))
      throw new DaifaError('WRONG_STATE', `采购单正在${po.state === 'Paying' ? '付款' : '下单'}，请稍后再登记`);
    if (await hasParcel(k, poId)) throw new DaifaError('WRONG_STATE', '供应商已发货：请走退货退款，不能直接取消 / already shipped');
    const payment = await paymentOf(k, poId);
    const paid = payment?.status === 'Paid';
    // Paid less what the supplier gave back already (a partial refund recorded on a PARTIAL_REFUND case).
    const due = paid ? payment.amount - (await refundedBySupplier(k, poId)) : 0;
    if (paid && input.amount !== due)
      throw new DaifaError(
        'AMOUNT_MISMATCH',
        `已付 ${formatYuan(payment.amount)}${due !== payment.amount ? `，已退回 ${formatYuan(payment.amount - due)}` : ''}：供应商退款需为其余的 ${formatYuan(due)}、精确到分才能取消并改派（部分退款请在账本登记）/ the refund must equal what is still paid`,
      );
    if (paid && !input.reference?.trim())
      throw new DaifaError('VALIDATION', '请填写退款流水号或凭证号 / a refund reference is required', {
        details: [{ field: 'reference', message: 'required' }],
      });
    const reason: UnwindReason = po.order_state === 'Cancelled' ? 'buyer_refund' : 'stock_out';
    const note = paid ? `供应商已退款 ${formatYuan(due)}（${input.reference!.trim()}）：${input.note}` : `供应商已取消：${input.note}`;
    const now = this.clock.now();
    await k.transaction().execute(async (trx) => {
      await lockEntity(trx, 'shop_order', po.shop_order_id);
      // Under the lock, again: a second submit of the same form (or another person) may have settled it meanwhile.
      const now_ = await stateOf(trx, 'purchase_order', po.id);
      const settledBefore = await hasEvent(trx, 'purchase_order', po.id, 'po.supplier_settled');
      if (now_.state !== po.state || settledBefore)
        throw new DaifaError('ALREADY_DONE', `采购单已登记过供应商取消或退款（${now_.state}），请刷新 / settled meanwhile`);
      if (paid && due > 0)
        await postLedger(
          trx,
          {
            shopId: po.shop_id,
            shopOrderId: po.shop_order_id,
            purchaseOrderId: po.id,
            kind: 'refund_from_supplier',
            amount: due,
            ref: `supplier-refund:${po.id}`,
            note,
          },
          now,
        );
      await appendEvent(
        trx,
        { entity: 'purchase_order', id: po.id, shopOrderId: po.shop_order_id, event: 'po.supplier_settled', actor: input.actor, note },
        now,
      );
      await this.cancelIn(trx, po, payment?.id, note, reason, now);
      await settleOpenCases(
        trx,
        { kind: 'SUPPLIER_UNWIND', shopOrderId: po.shop_order_id, purchaseOrderId: po.id },
        { resolution: paid ? 'supplier_refunded' : 'supplier_cancelled', note, actor: input.actor },
        now,
      );
    });
    if (!RESOURCE.includes(reason)) return { outcome: 'Cancelled' };
    return { outcome: await this.resource(po.id, REASON_TEXT[reason]) };
  }

  private async toPerson(po: { id: number; shop_order_id: number }, message: string): Promise<'NeedsPerson'> {
    const now = this.clock.now();
    await this.db.kysely
      .transaction()
      .execute((trx) =>
        openCase(
          trx,
          { kind: 'SUPPLIER_UNWIND', shopOrderId: po.shop_order_id, purchaseOrderId: po.id, message, dedupKey: `SUPPLIER_UNWIND:${po.id}` },
          now,
        ).then(() => undefined),
      );
    this.log.info({ poId: po.id }, 'supplier order needs a person to cancel or refund');
    return 'NeedsPerson';
  }
}

/** Words in 1688's reason names that fit each cause (the ids differ per order and status; the names are read). */
const REASON_WORDS: Record<UnwindReason, RegExp> = {
  stock_out: /缺货|无货|库存/,
  buyer_refund: /不想要|拍错|多拍|协商|买家/,
  supplier_closed: /协商|其他/,
};

/**
 * The reason to refund with, among those 1688 offers: one whose name fits the cause, preferring one that refunds the
 * freight too when there is freight to refund; else the first that does; else the first.
 */
export function pickRefundReason(reasons: RefundReason[], cause: UnwindReason, hasCarriage: boolean): RefundReason | undefined {
  const usable = reasons.filter((r) => !r.needVoucher);
  const pool = usable.length ? usable : reasons;
  const fits = pool.filter((r) => REASON_WORDS[cause].test(r.name));
  const withFreight = (list: RefundReason[]) => (hasCarriage ? list.find((r) => !r.noRefundCarriage) : undefined) ?? list[0];
  return withFreight(fits) ?? withFreight(pool);
}
