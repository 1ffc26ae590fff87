import { unwindJob } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { findCase, openCase, openCasesWithData, settleCase } from '../cases/cases.js';
import { orderLines, paymentOf, rowOrThrow } from '../db/lookups.js';
import { poWithShop, shopLinesOf, unshippedPosOf } from '../db/repositories/purchase-orders.js';
import { orderHead } from '../db/repositories/shop-orders.js';
import { enqueue } from '../jobs/queue.js';
import { appendEvent, lockEntity } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { Notifier } from '../notify/notifier.js';
import { post as postLedger, refundedBySupplier, refundedToBuyer } from '../payments/ledger.js';
import { DaifaError } from '../lib/errors.js';
import { formatYuan } from '../domain/money.js';

/**
 * 部分退款: the buyer got some lines (or units) refunded before shipment while the rest of the order goes on. The
 * ledger records what went back per line; a supplier order whose lines are all refunded is cancelled or refunded
 * (unwind); one that also holds lines still wanted becomes a case (1688 partial refunds need the seller's agreement
 * on the sub-order — a person asks). A full refund (status 200) is handled by intake; its entry tops up to the
 * order total, so nothing is counted twice.
 */
export class LineRefunds {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
  ) {}

  readonly handler = async (p: { shopOrderId: number }): Promise<void> => {
    await this.handle(p.shopOrderId);
  };

  async handle(shopOrderId: number): Promise<{ unwound: number; cases: number }> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const out = { unwound: 0, cases: 0 };
      // Serialised with intake's full-refund entry (which updates this row first): each sees the other's booking.
      await lockEntity(trx, 'shop_order', shopOrderId);
      const order = await orderHead(trx, shopOrderId);
      if (!order || order.state === 'Cancelled' || order.state === 'Completed' || order.wx_status === 200) return out;
      const lines = await orderLines(trx, shopOrderId);
      const refunded = lines.filter((l) => l.finish_aftersale_cnt > 0);
      if (!refunded.length) return out;
      // The money back, per line: the share of what the buyer paid for the refunded units, less what is booked.
      for (const l of refunded) {
        const due = -Math.round((Number(l.paid_amount) * Math.min(l.finish_aftersale_cnt, l.quantity)) / l.quantity);
        const booked = await refundedToBuyer(trx, shopOrderId, `buyer-refund-line:${order.shop_id}:${order.wx_order_id}:${l.line_no}:`);
        const delta = due - booked;
        if (delta !== 0)
          await postLedger(
            trx,
            {
              shopId: order.shop_id,
              shopOrderId,
              kind: 'refund_to_buyer',
              amount: delta,
              ref: `buyer-refund-line:${order.shop_id}:${order.wx_order_id}:${l.line_no}:${l.finish_aftersale_cnt}`,
              note: `买家退款：第 ${l.line_no} 行“${l.title}” ${l.finish_aftersale_cnt} 件`,
            },
            now,
          );
      }
      // A refund WeChat refused earlier that is now done (retried, or made in the back office): its case is settled.
      const failed = await openCasesWithData(trx, shopOrderId, 'REFUND_FAILED');
      for (const c of failed) {
        const lineNo = (JSON.parse(c.data ?? '{}') as { lineNo?: number }).lineNo;
        if (refunded.some((l) => l.line_no === lineNo && l.finish_aftersale_cnt >= l.withdrawn_cnt))
          await settleCase(
            trx,
            { id: c.id, shopOrderId },
            { resolution: '微信显示已退款', note: `第 ${lineNo} 行已退款`, actor: 'system:refunds' },
            now,
          );
      }
      const pos = await unshippedPosOf(trx, shopOrderId);
      for (const po of pos) {
        const lineNos = await shopLinesOf(trx, po.id);
        const mine = lines.filter((l) => lineNos.includes(l.line_no));
        const touched = mine.filter((l) => l.finish_aftersale_cnt > 0);
        if (!touched.length) continue;
        if (mine.every((l) => l.finish_aftersale_cnt >= l.quantity)) {
          if (await enqueue(trx, unwindJob(po.id, 'buyer_refund'), now)) out.unwound++;
          continue;
        }
        const what = touched.map((l) => `第 ${l.line_no} 行“${l.title}”退 ${l.finish_aftersale_cnt}/${l.quantity} 件`).join('；');
        const opened = await openCase(
          trx,
          {
            kind: 'PARTIAL_REFUND',
            shopOrderId,
            purchaseOrderId: po.id,
            message: `买家部分退款（${what}），采购单 ${po.supplier_order_id ?? po.out_order_id} 仍含这些商品：请与供应商取消这部分或申请部分退款，其余照常发货`,
            data: { lines: touched.map((l) => ({ lineNo: l.line_no, refunded: l.finish_aftersale_cnt })) },
            dedupKey: `PARTIAL_REFUND:${po.id}:${touched.map((l) => `${l.line_no}x${l.finish_aftersale_cnt}`).join(',')}`,
          },
          now,
        );
        if (opened) {
          out.cases++;
          await this.notifier.raise(trx, {
            event: 'needs_review',
            shopId: order.shop_id,
            subject: `partial-refund:${po.id}:${opened}`,
            data: { orderId: order.wx_order_id, detail: '买家部分退款，需与供应商处理对应商品' },
          });
        }
      }
      return out;
    });
  }
}

/**
 * 登记供应商部分退款 (PARTIAL_REFUND): the supplier gave back the part of a paid purchase order whose lines the buyer
 * had refunded, while the rest ships. Recorded once per reference (never more than is still paid: a later full
 * refund, on a cancellation, counts only the rest), and the case is settled.
 */
export async function recordSupplierPartialRefund(
  db: Db,
  clock: Clock,
  input: { caseId: number; amount: number; reference: string; note: string; actor: string },
): Promise<{ refunded: number; stillPaid: number }> {
  if (!Number.isInteger(input.amount) || input.amount <= 0)
    throw new DaifaError('VALIDATION', '退款金额以分为单位的正整数 / amount in fen', {
      details: [{ field: 'amount', message: 'positive integer' }],
    });
  const reference = input.reference.trim();
  const note = input.note.trim();
  if (!reference || !note)
    throw new DaifaError('VALIDATION', '请填写退款流水号和说明 / reference and note required', {
      details: [{ field: reference ? 'note' : 'reference', message: 'required' }],
    });
  const now = clock.now();
  return db.kysely.transaction().execute(async (trx) => {
    const c = await findCase(trx, input.caseId);
    if (!c || c.kind !== 'PARTIAL_REFUND' || !c.shop_order_id || !c.purchase_order_id)
      throw new DaifaError('NOT_FOUND', `部分退款事项 ${input.caseId} 不存在`);
    if (c.state !== 'Open') throw new DaifaError('ALREADY_DONE', '该事项已处理 / already resolved');
    await lockEntity(trx, 'shop_order', c.shop_order_id);
    const po = rowOrThrow(await poWithShop(trx, c.purchase_order_id), 'purchase_orders', c.purchase_order_id);
    const payment = await paymentOf(trx, po.id);
    if (payment?.status !== 'Paid')
      throw new DaifaError('WRONG_STATE', '采购单尚未付款：请与供应商改价或取消这部分商品 / not paid: nothing to refund');
    const stillPaid = payment.amount - (await refundedBySupplier(trx, po.id));
    if (input.amount > stillPaid)
      throw new DaifaError(
        'AMOUNT_MISMATCH',
        `退款 ${formatYuan(input.amount)} 超过尚在供应商处的 ${formatYuan(stillPaid)} / more than is still paid`,
      );
    const text = `供应商部分退款 ${formatYuan(input.amount)}（${reference}）：${note}`;
    const id = await postLedger(
      trx,
      {
        shopId: po.shop_id,
        shopOrderId: c.shop_order_id,
        purchaseOrderId: po.id,
        kind: 'refund_from_supplier',
        amount: input.amount,
        ref: `supplier-refund-part:${po.id}:${reference}`,
        note: text,
      },
      now,
    );
    if (id === undefined) throw new DaifaError('ALREADY_DONE', `流水号 ${reference} 已登记 / already recorded`);
    await appendEvent(
      trx,
      {
        entity: 'purchase_order',
        id: po.id,
        shopOrderId: c.shop_order_id,
        event: 'po.partial_refund_recorded',
        actor: input.actor,
        note: text,
        data: { amount: input.amount, reference },
      },
      now,
    );
    await settleCase(trx, { id: c.id, shopOrderId: c.shop_order_id }, { resolution: text, note: text, actor: input.actor }, now);
    return { refunded: input.amount, stillPaid: stillPaid - input.amount };
  });
}
