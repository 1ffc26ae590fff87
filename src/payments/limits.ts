import { payJob } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { DEFAULT_LIMITS, type PaymentLimits } from '../domain/payment-guardrails.js';
import { enqueue, type Executor } from '../jobs/queue.js';
import { setting } from '../db/lookups.js';

export async function loadLimits(db: Executor, shopId: number): Promise<PaymentLimits> {
  const value = await setting(db, `payment-limits:${shopId}`);
  return value ? { ...DEFAULT_LIMITS, ...JSON.parse(value) } : DEFAULT_LIMITS;
}

/** New limits, and every payment of the shop they blocked decided again under them (queued in the same transaction). */
export async function saveLimits(db: Db, shopId: number, limits: PaymentLimits, now = Date.now()): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('settings')
      .values({ key: `payment-limits:${shopId}`, value: JSON.stringify(limits) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(limits) }))
      .execute();
    const blocked = await trx
      .selectFrom('payments')
      .select('purchase_order_id')
      .where('shop_id', '=', shopId)
      .where('status', '=', 'Blocked')
      .where('block_cause', '=', 'limits')
      .execute();
    for (const b of blocked) await enqueue(trx, payJob(b.purchase_order_id, { variant: 'limits' }), now);
  });
}
