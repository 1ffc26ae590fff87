import { payJob } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { findCase, settleCase } from '../cases/cases.js';
import { otherPosCost, poWithOrderPrice } from '../db/repositories/purchase-orders.js';
import { repriceBlocked } from './payment-status.js';
import type { Executor } from '../jobs/queue.js';
import { applyTransition, lockEntity } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import { advanceWhenAllPlaced } from '../lifecycle/progress.js';
import { owedFor, recordPayable } from './ledger.js';
import { getById, paymentOf, rowOrThrow } from '../db/lookups.js';
import { loadLimits } from './limits.js';

const yuan = (f: number) => `¥${(f / 100).toFixed(2)}`;

/** The shop order's margin if this purchase order cost `newTotal` (other live purchase orders at their agreed amounts). */
export async function marginWith(db: Executor, poId: number, newTotal: number): Promise<{ margin: number; floor: number; ok: boolean }> {
  const po = rowOrThrow(await poWithOrderPrice(db, poId), 'purchase_orders', poId);
  const others = await otherPosCost(db, po.shop_order_id, poId);
  const margin = po.order_price - others - newTotal;
  const floor = (await loadLimits(db, po.shop_id)).minMargin;
  return { margin, floor, ok: margin >= floor };
}

export const describeMargin = (m: { margin: number; floor: number; ok: boolean }) =>
  `按新价格毛利 ${yuan(m.margin)}（下限 ${yuan(m.floor)}）：${m.ok ? '仍可接受' : '低于下限，建议换供应商'}`;

/**
 * 接受新价格: a supplier raised (or lowered) the price — at creation (against the preview) or later, before payment
 * (1688 改价). A person may accept it only if the shop order's margin still clears the floor; the new amount becomes
 * what is owed and paid (a payment already stopped for it is decided again under the shop's limits, and its pay
 * run re-reads 1688 first, so a price changed once more is caught), and the reconciliation shows the difference as
 * explained by this decision.
 */
export async function acceptPrice(
  db: Db,
  clock: Clock,
  input: { caseId: number; actor: string; note?: string },
): Promise<{ status: string; amount: number; margin: number }> {
  const now = clock.now();
  return db.kysely.transaction().execute(async (trx) => {
    const c = await findCase(trx, input.caseId);
    if (!c) throw new DaifaError('NOT_FOUND', `异常 ${input.caseId} 不存在`);
    if (c.kind !== 'PRICE_CHANGED' || !c.purchase_order_id)
      throw new DaifaError('NOT_APPLICABLE', '只有“采购价与预览不一致”的异常可以接受新价格');
    if (c.state !== 'Open') throw new DaifaError('ALREADY_DONE', `异常已处理 / case is ${c.state}`);
    const poId = Number(c.purchase_order_id);
    const data = JSON.parse(c.data ?? '{}') as { total?: number; expected?: number };
    if (typeof data.total !== 'number') throw new DaifaError('NOT_APPLICABLE', '异常中没有新价格，无法接受 / the case holds no new price');
    const m = await marginWith(trx, poId, data.total);
    if (!m.ok)
      throw new DaifaError(
        'LIMIT_REACHED',
        `接受后毛利 ${yuan(m.margin)} 低于下限 ${yuan(m.floor)}；请换供应商或先调整付款限额 / margin below the floor`,
      );
    const po = await getById(trx, 'purchase_orders', poId);
    await lockEntity(trx, 'shop_order', po.shop_order_id);
    const payment = await paymentOf(trx, poId);
    if (payment && (payment.status !== 'Blocked' || payment.block_cause !== 'amount'))
      throw new DaifaError('WRONG_STATE', `付款状态为 ${payment.status}，不能再接受新价格`);
    const was = payment?.amount ?? po.supplier_amount ?? po.expected_amount;
    const r = await applyTransition(
      trx,
      {
        entity: 'purchase_order',
        id: poId,
        shopOrderId: po.shop_order_id,
        to: 'Placed',
        expectFrom: 'NeedsAttention',
        event: 'po.price_accepted',
        actor: input.actor,
        note: `接受新价格 ${yuan(data.total)}（原 ${yuan(was)}），毛利 ${yuan(m.margin)}${input.note ? `；${input.note}` : ''}`,
        patch: { supplier_amount: data.total },
        jobs: [payJob(poId)],
      },
      now,
    );
    if (!r.ok) throw new DaifaError('WRONG_STATE', `采购单状态为 ${r.from}，不能接受新价格`);
    // What is owed becomes the new total: booked now (a price changed at creation was never booked), or — booked at
    // placement — changed by a new entry (the ledger is append-only).
    const booked = await owedFor(trx, poId);
    if (booked === 0) await recordPayable(trx, poId, now);
    else if (-booked !== data.total)
      await recordPayable(trx, poId, now, {
        amount: data.total + booked,
        ref: `payable:${poId}:price:${input.caseId}`,
        note: `接受新价格 ${yuan(-booked)} → ${yuan(data.total)}`,
      });
    if (payment) {
      // The stopped payment now owes the new total and is decided again by its pay run (limits, approval), as a
      // payment the limits blocked.
      await repriceBlocked(trx, payment.id, data.total, `接受新价格 ${yuan(data.total)}，按付款限额重新核定`, now);
    }
    await settleCase(
      trx,
      { id: input.caseId, shopOrderId: po.shop_order_id },
      {
        resolution: `accept_price: ${yuan(was)} → ${yuan(data.total)}，毛利 ${yuan(m.margin)}`,
        note: `接受新价格 ${yuan(data.total)}`,
        actor: input.actor,
      },
      now,
    );
    if (!payment) await advanceWhenAllPlaced(trx, po.shop_order_id, now);
    return { status: 'Placed', amount: data.total, margin: m.margin };
  });
}
