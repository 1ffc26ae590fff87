import type { Db } from '../db/dialect.js';
import { enqueue } from '../jobs/queue.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import { appendEvent } from '../lifecycle/apply-transition.js';
import { deliverJob, refundBuyerJob } from '../jobs/catalogue.js';
import type { SupplierPayments } from '../payments/pay-supplier.js';
import { CASE_KINDS, findCase, settleCase } from './cases.js';

/**
 * 重试: the case's step runs again — the delivery sync (after the courier or tracking number was corrected, or
 * WeChat's refusal went away) or the supplier payment (after the balance was topped up or password-free pay was
 * signed; after the limits were raised; after the seller restored a changed price). The case stays open until the step succeeds; a step that fails again leaves it open with its reason.
 */
export async function retryCase(
  deps: { db: Db; clock: Clock; payments: SupplierPayments },
  caseId: number,
  actor: string,
): Promise<{ kind: string; outcome: string }> {
  const c = await findCase(deps.db.kysely, caseId);
  if (!c) throw new DaifaError('NOT_FOUND', `异常 ${caseId} 不存在 / case not found`);
  if (c.state !== 'Open') throw new DaifaError('ALREADY_DONE', `异常已处理（${c.state}）/ case is ${c.state}`);
  if (c.kind === 'DELIVERY_FAILED' && c.shop_order_id) {
    const shopOrderId = c.shop_order_id;
    const now = deps.clock.now();
    await deps.db.kysely.transaction().execute(async (trx) => {
      await appendEvent(trx, { entity: 'case', id: c.id, shopOrderId, event: 'case.retried', actor, note: '重新同步发货到微信小店' }, now);
      await enqueue(trx, deliverJob(shopOrderId), now);
    });
    return { kind: c.kind, outcome: 'queued' };
  }
  if (c.kind === 'REFUND_FAILED' && c.shop_order_id) {
    const shopOrderId = c.shop_order_id;
    const now = deps.clock.now();
    // The refund is requested again (a new request id: WeChat refused the last one); the case is settled once WeChat shows the line refunded.
    await deps.db.kysely.transaction().execute(async (trx) => {
      await appendEvent(trx, { entity: 'case', id: c.id, shopOrderId, event: 'case.retried', actor, note: '重新为买家发起退款' }, now);
      await settleCase(trx, { id: c.id, shopOrderId }, { resolution: '已重新发起退款', note: '重新发起退款', actor }, now);
      await enqueue(trx, refundBuyerJob(shopOrderId), now);
    });
    return { kind: c.kind, outcome: 'queued' };
  }
  if (c.kind === 'PAYMENT_FAILED' && c.purchase_order_id)
    return { kind: c.kind, outcome: await deps.payments.retryFailed(c.purchase_order_id, actor) };
  // Blocked by the limits (raised since, or a new day) or by a changed 1688 price (the seller restored it).
  if ((c.kind === 'PAYMENT_BLOCKED' || c.kind === 'PRICE_CHANGED') && c.purchase_order_id)
    return { kind: c.kind, outcome: await deps.payments.retryBlocked(c.purchase_order_id, actor) };
  const title = (CASE_KINDS as Record<string, { title: string }>)[c.kind]?.title ?? c.kind;
  throw new DaifaError('NOT_APPLICABLE', `「${title}」没有可自动重试的步骤，请按可选操作处理 / this case has no step to retry`);
}
