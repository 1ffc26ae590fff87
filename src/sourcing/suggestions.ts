import { sourceJob } from '../jobs/catalogue.js';
import type { Transaction } from 'kysely';
import { findCase, openCaseIdsOf, settleCase } from '../cases/cases.js';
import { getById } from '../db/lookups.js';
import { activeOffers, insertMapping, offerById } from '../db/repositories/catalogue.js';
import type { Db } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { rankBySimilarity } from '../domain/similarity.js';
import { DaifaError } from '../lib/errors.js';
import { transitionIfAllowed } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';

const attrsText = (json: string) =>
  (JSON.parse(json) as { key?: string; value?: string; attr_key?: string; attr_value?: string }[])
    .map((a) => `${a.key ?? a.attr_key ?? ''}${a.value ?? a.attr_value ?? ''}`)
    .join(' ');

/** Catalogue offers most like an unmapped line (title and spec attributes), for a person to approve. */
export async function suggestOffers(db: Db | Transaction<Database>, line: { title: string; skuAttrs: string }) {
  const k = 'kysely' in db ? db.kysely : db;
  const offers = await activeOffers(k);
  return rankBySimilarity({ title: line.title, attrs: attrsText(line.skuAttrs) }, offers, (o) => ({
    title: o.title,
    attrs: attrsText(o.sku_attrs),
  })).map((s) => ({
    offerRef: s.item.id,
    supplier: s.item.supplier,
    offerId: s.item.offer_id,
    specId: s.item.spec_id,
    title: s.item.title,
    attrs: attrsText(s.item.sku_attrs),
    unitPrice: s.item.unit_price,
    similarity: s.score,
  }));
}

/** A person approves a suggestion: the mapping is created, the case resolved, and the order sourced again. */
export async function approveMapping(
  db: Db,
  clock: Clock,
  input: { caseId: number; offerRef: number; quantityPerUnit: number; actor: string },
): Promise<{ orderState: string }> {
  const now = clock.now();
  return db.kysely.transaction().execute(async (trx) => {
    const c = await findCase(trx, input.caseId);
    if (!c || c.kind !== 'UNMAPPED' || !c.shop_order_id) throw new DaifaError('NOT_FOUND', `未关联商品事项 ${input.caseId} 不存在`);
    if (c.state !== 'Open') throw new DaifaError('ALREADY_DONE', '该事项已处理 / already resolved');
    const data = JSON.parse(c.data ?? '{}') as { productId: string; skuId: string };
    const order = await getById(trx, 'shop_orders', c.shop_order_id);
    const offer = await offerById(trx, input.offerRef);
    if (!offer) throw new DaifaError('VALIDATION', '所选供应商商品不存在', { details: [{ field: 'offerRef', message: 'not found' }] });
    await insertMapping(
      trx,
      {
        shopId: order.shop_id,
        productId: data.productId,
        skuId: data.skuId,
        offerRef: offer.id,
        quantityPerUnit: input.quantityPerUnit,
        bundleKey: null,
        priority: 0,
        enabled: 1,
      },
      now,
    );
    const resolution = `已关联到“${offer.title}”(#${offer.id})，每件 ${input.quantityPerUnit} 个`;
    await settleCase(
      trx,
      { id: c.id, shopOrderId: c.shop_order_id },
      { resolution, note: resolution, actor: input.actor, event: 'case.mapping_approved' },
      now,
    );
    const open = (await openCaseIdsOf(trx, c.shop_order_id)).length > 0;
    if (!open && order.state === 'NeedsReview') {
      await transitionIfAllowed(
        trx,
        {
          entity: 'shop_order',
          id: c.shop_order_id,
          to: 'Confirmed',
          expectFrom: 'NeedsReview',
          event: 'order.mapping_completed',
          actor: input.actor,
          note: resolution,
          jobs: [sourceJob(c.shop_order_id)],
        },
        now,
      );
      return { orderState: 'Confirmed' };
    }
    return { orderState: order.state };
  });
}
