import type { Db } from '../db/dialect.js';
import { DaifaError } from '../lib/errors.js';
import { applyTransition } from '../lifecycle/apply-transition.js';
import { sourceJob } from '../sourcing/sourcing.js';
import { withdrawLines } from './buyer-refund.js';
import { settleCase } from '../cases/cases.js';
import type { Clock } from '../lib/clock.js';

export type ReviewDecision = 'confirm' | 'cancel';

/** A person resolves a NeedsReview order: confirm it (continue the loop) or cancel it, with a recorded note. */
export async function resolveReview(db: Db, clock: Clock, input: { shopOrderId: number; decision: ReviewDecision; note: string; actor: string }): Promise<{ state: string }> {
  if (!input.note.trim()) throw new DaifaError('VALIDATION', '请填写处理说明 / a note is required', { details: [{ field: 'note', message: '处理说明不能为空 / note is required' }] });
  return db.kysely.transaction().execute(async (trx) => {
    const r = await applyTransition(
      trx,
      {
        entity: 'shop_order',
        id: input.shopOrderId,
        to: input.decision === 'confirm' ? 'Confirmed' : 'Cancelled',
        expectFrom: 'NeedsReview',
        event: input.decision === 'confirm' ? 'review.confirmed' : 'review.cancelled',
        actor: input.actor,
        note: input.note.trim(),
        jobs: input.decision === 'confirm' ? [sourceJob(input.shopOrderId)] : [],
      },
      clock.now(),
    );
    if (!r.ok) {
      if (r.from === null) throw new DaifaError('NOT_FOUND', `订单 ${input.shopOrderId} 不存在`);
      throw new DaifaError('CONFLICT', `订单当前状态为 ${r.from}，不能审核 / order is ${r.from}, not NeedsReview`, { details: { reason: r.reason } });
    }
    // Cancelled in review: the buyer is refunded (BuyerRefunds), and the order's open cases are moot.
    if (input.decision === 'cancel') {
      await withdrawLines(trx, input.shopOrderId, 'all', clock.now());
      const open = await trx.selectFrom('cases').select('id').where('shop_order_id', '=', input.shopOrderId).where('state', '=', 'Open').execute();
      for (const c of open) await settleCase(trx, { id: c.id, shopOrderId: input.shopOrderId }, { resolution: '订单已取消，给买家退款', note: input.note.trim(), actor: input.actor }, clock.now());
    }
    return { state: r.to };
  });
}
