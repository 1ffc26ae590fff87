import { createHash } from 'node:crypto';
import type { Db } from '../src/db/dialect.js';
import type { Alibaba1688Simulator } from './alibaba-1688/simulator.js';
import { PRODUCTS } from './data.js';

/**
 * Sandbox 1688 sellers: a cheap factory, a mid-price wholesaler, a pricier warehouse that ships SF. Each has a
 * dropship relationship with the sandbox buyer (代销 or 分销) and a wholesale minimum of 2 pieces: a single-piece
 * order only goes through on the dropship flow, as with real sellers (1688 §2.1).
 */
export const SANDBOX_SELLERS = [
  {
    memberId: 'b2b-2200000001',
    loginId: 'yiwu_youpin',
    name: '义乌优品工厂店',
    credit: 'L4',
    couriers: ['ZTO', 'YTO', 'YUNDA'],
    priceShare: 0.42,
    freight: 0,
    leadHours: 24,
    offerBase: 610000000001,
    flow: 'saleproxy',
  },
  {
    memberId: 'b2b-2200000002',
    loginId: 'gz_haohuo',
    name: '广州好货批发',
    credit: 'L3',
    couriers: ['ZTO', 'STO', 'JTSD'],
    priceShare: 0.38,
    freight: 300,
    leadHours: 36,
    offerBase: 620000000001,
    flow: 'fenxiao',
  },
  {
    memberId: 'b2b-2200000003',
    loginId: 'sz_sf_cang',
    name: '深圳顺丰直发仓',
    credit: 'L5',
    couriers: ['SF', 'JD', 'EMS'],
    priceShare: 0.5,
    freight: 800,
    leadHours: 12,
    offerBase: 630000000001,
    flow: 'saleproxy',
  },
] as const;

/** The sellers' wholesale (flow general) minimum order quantity. */
export const SANDBOX_WHOLESALE_MOQ = 2;

const specId = (seller: string, sku: string) => createHash('md5').update(`${seller}:${sku}`).digest('hex');

/** The simulator's side: offers with SKUs, stock, MOQ, prices. */
export function seedSimulatorOffers(sim: Alibaba1688Simulator, stock = 100_000): void {
  SANDBOX_SELLERS.forEach((s) => {
    PRODUCTS.forEach((p, pi) => {
      sim.addOffer({
        offerId: String(s.offerBase + pi),
        sellerMemberId: s.memberId,
        sellerLoginId: s.loginId,
        creditLevel: s.credit,
        title: p.title,
        moq: SANDBOX_WHOLESALE_MOQ,
        relationFlows: [s.flow],
        freight: s.freight,
        online: true,
        couriers: [...s.couriers],
        skus: p.skus.map((k) => ({
          specId: specId(s.memberId, k.skuId),
          skuId: `${s.offerBase + pi}${k.skuId.slice(-3)}`,
          attrs: k.attrs.map((a) => ({ name: a.attr_key, value: a.attr_value })),
          price: Math.round(k.price * s.priceShare),
          stock,
        })),
      });
    });
  });
}

/** Daifa's side: suppliers, their offers (as refreshed from 1688) and the shop's SKU mappings. */
export async function seedDaifaCatalogue(db: Db, shopId: number, now: number, stock = 100_000): Promise<void> {
  for (const s of SANDBOX_SELLERS) {
    let supplier = await db.kysely.selectFrom('suppliers').select('id').where('member_id', '=', s.memberId).executeTakeFirst();
    supplier ??= await db.kysely
      .insertInto('suppliers')
      .values({
        kind: '1688',
        name: s.name,
        member_id: s.memberId,
        login_id: s.loginId,
        credit_level: s.credit,
        accepts_encrypted: 0,
        couriers: JSON.stringify(s.couriers),
        active: 1,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const [pi, p] of PRODUCTS.entries()) {
      for (const k of p.skus) {
        const offer = await db.kysely
          .insertInto('supplier_offers')
          .values({
            supplier_id: supplier.id,
            offer_id: String(s.offerBase + pi),
            spec_id: specId(s.memberId, k.skuId),
            title: p.title,
            sku_attrs: JSON.stringify(k.attrs),
            unit_price: Math.round(k.price * s.priceShare),
            moq: 1,
            stock,
            freight: s.freight,
            lead_time_hours: s.leadHours,
            refreshed_at: now,
          })
          .onConflict((oc) => oc.columns(['supplier_id', 'offer_id', 'spec_id']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (offer)
          await db.kysely
            .insertInto('sku_mappings')
            .values({
              shop_id: shopId,
              product_id: p.productId,
              sku_id: k.skuId,
              offer_ref: offer.id,
              quantity_per_unit: 1,
              bundle_key: null,
              priority: 0,
              enabled: 1,
              created_at: now,
            })
            .execute();
      }
    }
  }
}
