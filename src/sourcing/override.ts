import { findById } from '../db/lookups.js';
import { recordOverride } from '../db/repositories/sourcing.js';
import { orderHead, orderLine } from '../db/repositories/shop-orders.js';
import { sourceJob } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { openCasesOfOrder, settleCase } from '../cases/cases.js';
import { DaifaError } from '../lib/errors.js';
import { applyTransition } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';

/**
 * A person chooses the supplier for a line instead of Daifa (e.g. after an out-of-stock case). The override is a
 * decision row with who and why; sourcing then uses exactly that supplier for the line.
 */
export async function overrideSupplier(
  db: Db,
  clock: Clock,
  input: { shopOrderId: number; lineNo: number; supplierId: number; reason: string; actor: string },
): Promise<{ orderState: string }> {
  if (!input.reason.trim())
    throw new DaifaError('VALIDATION', '请说明人工指定的原因 / a reason is required', {
      details: [{ field: 'reason', message: 'required' }],
    });
  const now = clock.now();
  return db.kysely.transaction().execute(async (trx) => {
    const order = await orderHead(trx, input.shopOrderId);
    if (!order) throw new DaifaError('NOT_FOUND', `订单 ${input.shopOrderId} 不存在`);
    if (!['NeedsReview', 'AwaitingBuyer', 'Confirmed'].includes(order.state))
      throw new DaifaError('WRONG_STATE', `订单状态为 ${order.state}，已下单后不能改供应商 / already purchasing`);
    const line = await orderLine(trx, order.id, input.lineNo);
    if (!line) throw new DaifaError('NOT_FOUND', `订单没有第 ${input.lineNo} 行`);
    const supplier = await findById(trx, 'suppliers', input.supplierId);
    if (!supplier) throw new DaifaError('VALIDATION', '供应商不存在', { details: [{ field: 'supplierId', message: 'not found' }] });
    const reason = `人工指定${supplier.name}：${input.reason.trim()}`;
    await recordOverride(
      trx,
      {
        shopOrderId: order.id,
        lineNo: input.lineNo,
        supplierId: supplier.id,
        supplierName: supplier.name,
        reason,
        by: input.actor,
        why: input.reason.trim(),
      },
      now,
    );
    // Cases about choosing a supplier for this line are settled by the override.
    const open = (await openCasesOfOrder(trx, order.id)).filter((c) => c.kind === 'OUT_OF_STOCK' || c.kind === 'SPECIAL_REQUEST_CONSENT');
    for (const c of open) {
      if ((JSON.parse(c.data ?? '{}') as { lineNo?: number }).lineNo !== input.lineNo) continue;
      await settleCase(
        trx,
        { id: c.id, shopOrderId: order.id },
        { resolution: reason, note: reason, actor: input.actor, event: 'case.supplier_overridden' },
        now,
      );
    }
    if (order.state !== 'Confirmed') {
      const t = await applyTransition(
        trx,
        {
          entity: 'shop_order',
          id: order.id,
          to: 'Confirmed',
          event: 'order.supplier_overridden',
          actor: input.actor,
          note: reason,
          jobs: [sourceJob(order.id)],
        },
        now,
      );
      if (!t.ok) throw new DaifaError('WRONG_STATE', t.reason);
      return { orderState: 'Confirmed' };
    }
    return { orderState: order.state };
  });
}
