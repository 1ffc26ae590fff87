import { sql } from 'kysely';
import type { Executor } from '../dialect.js';
import { prepared, preparedInsert } from '../prepared.js';
import { rowOrThrow } from '../lookups.js';

/** 解密记录: every decode of buyer data — the day's count per shop (the quota) and who, why and where (the log). */

// Every order is decoded once for its supplier: compiled once (see prepared()).
const countDecode = preparedInsert('decode_usage', ['shop_id', 'day', 'used'], (q) =>
  q
    .onConflict((oc) => oc.columns(['shop_id', 'day']).doUpdateSet((eb) => ({ used: eb('decode_usage.used', '+', sql.lit(1)) })))
    .returning('used'),
);
const logDecode = preparedInsert('decode_log', ['shop_id', 'wx_order_id', 'actor', 'purpose', 'destination', 'created_at']);
const usedOn = prepared((db, shopId: number, day: string) =>
  db.selectFrom('decode_usage').select('used').where('shop_id', '=', shopId).where('day', '=', day),
);

/** One more decode counted for the shop's China day, in one statement; the day's count with it. */
export async function countDecodeOn(ex: Executor, shopId: number, day: string): Promise<number> {
  return rowOrThrow((await countDecode(ex, { shop_id: shopId, day, used: 1 })).rows[0], 'decode_usage', `${shopId}/${day}`).used;
}

/** A decode recorded: who, for which order, why and where the plaintext goes. */
export async function recordDecode(
  ex: Executor,
  d: { shopId: number; wxOrderId: string; actor: string; purpose: string; destination: string },
  now: number,
): Promise<void> {
  await logDecode(ex, {
    shop_id: d.shopId,
    wx_order_id: d.wxOrderId,
    actor: d.actor,
    purpose: d.purpose,
    destination: d.destination,
    created_at: now,
  });
}

/** The decodes counted for a shop on a China day. */
export async function decodesOn(ex: Executor, shopId: number, day: string): Promise<number> {
  return (await usedOn(ex, shopId, day)).rows[0]?.used ?? 0;
}

/** WeChat said the day's decodes are used up: the day counts as full here too (never lowered if already above). */
export async function markDecodesUsedUp(ex: Executor, shopId: number, day: string, quota: number): Promise<void> {
  await ex
    .insertInto('decode_usage')
    .values({ shop_id: shopId, day, used: quota })
    .onConflict((oc) =>
      oc.columns(['shop_id', 'day']).doUpdateSet((eb) => ({
        used: eb.case().when('decode_usage.used', '<', quota).then(quota).else(eb.ref('decode_usage.used')).end(),
      })),
    )
    .execute();
}
