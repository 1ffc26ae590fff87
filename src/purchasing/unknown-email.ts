import { findById } from '../db/lookups.js';
import { forgetMessage, markSent, unconfirmedEmail } from '../db/repositories/po-messages.js';
import { payJob, placeJob } from '../jobs/catalogue.js';
import { routeTraits } from '../domain/purchase-routes.js';
import type { Db } from '../db/dialect.js';
import { findCase, settleCase } from '../cases/cases.js';
import { appendEvent, applyTransition, lockEntity } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import { recordPayable } from '../payments/ledger.js';
import { advanceWhenAllPlaced } from '../lifecycle/progress.js';

/**
 * 采购邮件是否已发出: the purchase-order e-mail's send had no clear outcome (the connection dropped after the message
 * may have been taken), so Daifa neither resent it nor counted it as sent. A person looks in the outbox (or asks
 * the supplier) and says which: sent → the purchase order is placed and goes on to payment; not sent → the
 * undelivered attempt is dropped (its subject kept in the history) and the e-mail goes out again, once. Either way
 * the decision is recorded with their note.
 */
export async function settleUnknownEmail(
  db: Db,
  clock: Clock,
  input: { caseId: number; sent: boolean; actor: string; note: string },
): Promise<{ status: string }> {
  const now = clock.now();
  return db.kysely.transaction().execute(async (trx) => {
    const c = await findCase(trx, input.caseId);
    if (!c) throw new DaifaError('NOT_FOUND', `异常 ${input.caseId} 不存在 / case not found`);
    const po = c.purchase_order_id ? await findById(trx, 'purchase_orders', c.purchase_order_id) : undefined;
    if (c.kind !== 'PLACEMENT_FAILED' || !po || routeTraits(po.route).reach !== 'email' || !c.purchase_order_id || !c.shop_order_id)
      throw new DaifaError('NOT_APPLICABLE', '只有“采购邮件是否发出未知”的异常可以这样处理 / only an e-mail with an unknown outcome');
    if (c.state !== 'Open') throw new DaifaError('ALREADY_DONE', `异常已处理 / case is ${c.state}`);
    const poId = Number(c.purchase_order_id);
    const shopOrderId = Number(c.shop_order_id);
    await lockEntity(trx, 'shop_order', shopOrderId);
    const attempt = await unconfirmedEmail(trx, poId);
    let status: string;
    if (input.sent) {
      if (attempt) await markSent(trx, attempt.id);
      const r = await applyTransition(
        trx,
        {
          entity: 'purchase_order',
          id: poId,
          shopOrderId,
          to: 'Placed',
          expectFrom: 'NeedsAttention',
          event: 'po.email_confirmed_sent',
          actor: input.actor,
          note: `采购邮件已确认发出：${input.note}`,
          jobs: [payJob(poId)],
        },
        now,
      );
      if (!r.ok) throw new DaifaError('WRONG_STATE', `采购单状态为 ${r.from} / purchase order is ${r.from}`);
      await recordPayable(trx, poId, now);
      await advanceWhenAllPlaced(trx, shopOrderId, now);
      status = 'Placed';
    } else {
      if (attempt) await forgetMessage(trx, attempt.id);
      const r = await applyTransition(
        trx,
        {
          entity: 'purchase_order',
          id: poId,
          shopOrderId,
          to: 'Placing',
          expectFrom: 'NeedsAttention',
          event: 'po.email_not_sent',
          actor: input.actor,
          note: `采购邮件确认未发出，重新发送：${input.note}`,
          data: attempt ? { droppedAttempt: attempt.subject } : undefined,
          jobs: [placeJob(poId)],
        },
        now,
      );
      if (!r.ok) throw new DaifaError('WRONG_STATE', `采购单状态为 ${r.from} / purchase order is ${r.from}`);
      status = 'Placing';
    }
    await appendEvent(
      trx,
      {
        entity: 'case',
        id: c.id,
        shopOrderId,
        event: input.sent ? 'case.email_sent' : 'case.email_resend',
        actor: input.actor,
        note: input.note,
      },
      now,
    );
    await settleCase(
      trx,
      { id: c.id, shopOrderId },
      { resolution: `${input.sent ? 'email_sent' : 'email_resent'}: ${input.note}`, note: input.note, actor: input.actor },
      now,
    );
    return { status };
  });
}
