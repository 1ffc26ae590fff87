import { payJob } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { findCase, settleCase } from '../cases/cases.js';
import { applyTransition, lockEntity } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import { recordPayable } from '../payments/ledger.js';
import { advanceWhenAllPlaced } from '../lifecycle/progress.js';

/**
 * 核对无误: the 1688 order read back differently from what Daifa sent (receiver, phone, region, quantities), and a
 * person checked it on 1688 and found it right (a region named differently, say). The decision is recorded with
 * their note and the purchase order goes on to payment — whose run re-reads 1688 and still holds the amount to the
 * fen. A bundle that 1688 created only in part is never confirmed: it is switched to another supplier.
 */
export async function confirmReadback(
  db: Db,
  clock: Clock,
  input: { caseId: number; actor: string; note: string },
): Promise<{ status: string }> {
  const now = clock.now();
  return db.kysely.transaction().execute(async (trx) => {
    const c = await findCase(trx, input.caseId);
    if (!c) throw new DaifaError('NOT_FOUND', `异常 ${input.caseId} 不存在 / case not found`);
    if (c.kind !== 'READBACK_MISMATCH' || !c.purchase_order_id || !c.shop_order_id)
      throw new DaifaError('NOT_APPLICABLE', '只有“采购单回读不一致”的异常可以确认无误 / only a read-back mismatch can be confirmed');
    if (c.state !== 'Open') throw new DaifaError('ALREADY_DONE', `异常已处理 / case is ${c.state}`);
    const data = JSON.parse(c.data ?? '{}') as { failedOfferList?: unknown };
    if (data.failedOfferList)
      throw new DaifaError(
        'NOT_APPLICABLE',
        '组合商品只下单成功一部分，不能确认无误，请换供应商 / a bundle created only in part cannot be confirmed',
      );
    const poId = Number(c.purchase_order_id);
    const shopOrderId = Number(c.shop_order_id);
    await lockEntity(trx, 'shop_order', shopOrderId);
    const r = await applyTransition(
      trx,
      {
        entity: 'purchase_order',
        id: poId,
        shopOrderId,
        to: 'Placed',
        expectFrom: 'NeedsAttention',
        event: 'po.readback_confirmed',
        actor: input.actor,
        note: `已在 1688 核对无误：${input.note}`,
        jobs: [payJob(poId)],
      },
      now,
    );
    if (!r.ok) throw new DaifaError('WRONG_STATE', `采购单状态为 ${r.from}，不能确认 / purchase order is ${r.from}`);
    await recordPayable(trx, poId, now);
    await settleCase(
      trx,
      { id: c.id, shopOrderId },
      { resolution: `confirmed_correct: ${input.note}`, note: input.note, actor: input.actor },
      now,
    );
    await advanceWhenAllPlaced(trx, shopOrderId, now);
    return { status: 'Placed' };
  });
}
