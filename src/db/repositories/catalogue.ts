import type { Insertable } from 'kysely';
import type { SupplierOffersTable, SuppliersTable } from '../schema.js';
import type { Executor } from '../dialect.js';
import { prepared } from '../prepared.js';

/**
 * 货源: suppliers, their offers (supplier_offers) and the shop's SKU mappings to them (sku_mappings). The only writer
 * of these tables but for the supplier scorecard, which reads them in its own read model.
 */

/** The specs of the offers each product's SKUs are mapped to (enabled mappings, in priority order). */
export const mappedOfferSpecs = (ex: Executor, shopId: number, productIds: string[]) =>
  ex
    .selectFrom('sku_mappings as m')
    .innerJoin('supplier_offers as o', 'o.id', 'm.offer_ref')
    .select(['m.product_id', 'm.sku_id', 'o.sku_attrs'])
    .where('m.shop_id', '=', shopId)
    .where('m.enabled', '=', 1)
    .where('m.product_id', 'in', [...new Set(productIds)])
    .orderBy('m.sku_id')
    .orderBy('m.priority')
    .execute();

/** An offer with its supplier's name and whether the supplier is active. */
export const offerWithSupplier = (ex: Executor, offerId: number) =>
  ex
    .selectFrom('supplier_offers as o')
    .innerJoin('suppliers as s', 's.id', 'o.supplier_id')
    .select(['o.id', 'o.title', 'o.sku_attrs', 'o.unit_price', 'o.stock', 's.name', 's.active'])
    .where('o.id', '=', offerId)
    .executeTakeFirst();

/** Every offer of an active supplier, with the supplier's name (the pool that suggestions rank). */
export const activeOffers = (ex: Executor) =>
  ex
    .selectFrom('supplier_offers as o')
    .innerJoin('suppliers as s', 's.id', 'o.supplier_id')
    .select(['o.id', 'o.offer_id', 'o.spec_id', 'o.title', 'o.sku_attrs', 'o.unit_price', 's.name as supplier'])
    .where('s.active', '=', 1)
    .execute();

/** One offer (any supplier), or undefined. */
export const offerById = (ex: Executor, offerId: number) =>
  ex.selectFrom('supplier_offers').select(['id', 'title']).where('id', '=', offerId).executeTakeFirst();

/**
 * The suppliers a mapping file's supplier cell names: by 1688 member id, a direct supplier's e-mail, a WeChat
 * dropship supplier's AppID, or the name (up to two, so the caller can tell a unique match from an ambiguous one).
 */
export const suppliersByKey = (ex: Executor, key: string) =>
  ex
    .selectFrom('suppliers')
    .select(['id', 'name'])
    .where((eb) => eb.or([eb('member_id', '=', key), eb('email', '=', key), eb('dropship_appid', '=', key), eb('name', '=', key)]))
    .orderBy('id')
    .limit(2)
    .execute();

/** A supplier's offer by its 1688 offer and spec ids, or undefined. */
export const offerOf = (ex: Executor, supplierId: number, offerId: string, specId: string) =>
  ex
    .selectFrom('supplier_offers')
    .select('id')
    .where('supplier_id', '=', supplierId)
    .where('offer_id', '=', offerId)
    .where('spec_id', '=', specId)
    .executeTakeFirst();

export interface MappingValues {
  quantityPerUnit: number;
  bundleKey: string | null;
  priority: number;
  enabled: 0 | 1;
}

/** A shop SKU mapped to an offer. */
export async function insertMapping(
  ex: Executor,
  m: { shopId: number; productId: string; skuId: string; offerRef: number } & MappingValues,
  now: number,
): Promise<void> {
  await ex
    .insertInto('sku_mappings')
    .values({
      shop_id: m.shopId,
      product_id: m.productId,
      sku_id: m.skuId,
      offer_ref: m.offerRef,
      quantity_per_unit: m.quantityPerUnit,
      bundle_key: m.bundleKey,
      priority: m.priority,
      enabled: m.enabled,
      created_at: now,
    })
    .execute();
}

/** The mapping of a shop SKU to one offer: updated when it exists, else added (an import). */
export async function upsertMapping(
  ex: Executor,
  m: { shopId: number; productId: string; skuId: string; offerRef: number } & MappingValues,
  now: number,
): Promise<void> {
  const existing = await ex
    .selectFrom('sku_mappings')
    .select('id')
    .where('shop_id', '=', m.shopId)
    .where('product_id', '=', m.productId)
    .where('sku_id', '=', m.skuId)
    .where('offer_ref', '=', m.offerRef)
    .executeTakeFirst();
  if (!existing) return insertMapping(ex, m, now);
  await ex
    .updateTable('sku_mappings')
    .set({ quantity_per_unit: m.quantityPerUnit, bundle_key: m.bundleKey, priority: m.priority, enabled: m.enabled })
    .where('id', '=', existing.id)
    .execute();
}

/** A mapping's units per shop unit, priority or switch; whether it exists. */
export async function changeMapping(
  ex: Executor,
  id: number,
  set: { quantity_per_unit?: number; priority?: number; enabled?: number },
): Promise<boolean> {
  const r = await ex.updateTable('sku_mappings').set(set).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Whether a shop has any SKU mapped to a supplier yet. */
export async function hasMappings(ex: Executor, shopId: number): Promise<boolean> {
  return Boolean(await ex.selectFrom('sku_mappings').select('id').where('shop_id', '=', shopId).limit(1).executeTakeFirst());
}

/** A shop's mappings with their offers and suppliers, in product, SKU and entry order (the export). */
export const mappingsForExport = (ex: Executor, shopId: number) =>
  ex
    .selectFrom('sku_mappings as m')
    .innerJoin('supplier_offers as o', 'o.id', 'm.offer_ref')
    .innerJoin('suppliers as s', 's.id', 'o.supplier_id')
    .select([
      'm.product_id',
      'm.sku_id',
      's.member_id',
      's.email',
      's.dropship_appid',
      's.name',
      'o.offer_id',
      'o.spec_id',
      'm.quantity_per_unit',
      'm.bundle_key',
      'm.priority',
      'm.enabled',
    ])
    .where('m.shop_id', '=', shopId)
    .orderBy('m.product_id')
    .orderBy('m.sku_id')
    .orderBy('m.id')
    .execute();

/** A new supplier; its id. */
export async function insertSupplier(ex: Executor, values: Omit<Insertable<SuppliersTable>, 'id'>): Promise<number> {
  return (await ex.insertInto('suppliers').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

/** Every supplier, in entry order. */
export const allSuppliers = (ex: Executor) => ex.selectFrom('suppliers').selectAll().orderBy('id').execute();

/** A supplier's offer (by its offer and spec ids) added, or refreshed when known; its id. */
export async function upsertOffer(
  ex: Executor,
  key: { supplierId: number; offerId: string; specId: string },
  values: Omit<Insertable<SupplierOffersTable>, 'id' | 'supplier_id' | 'offer_id' | 'spec_id'>,
): Promise<number> {
  const row = await ex
    .insertInto('supplier_offers')
    .values({ supplier_id: key.supplierId, offer_id: key.offerId, spec_id: key.specId, ...values })
    .onConflict((oc) => oc.columns(['supplier_id', 'offer_id', 'spec_id']).doUpdateSet(values))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

// Every 1688 placement refreshes the price it was quoted: compiled once (see prepared()).
export const refreshOfferPrice = prepared((db, unitPrice: number, now: number, offerRef: number) =>
  db.updateTable('supplier_offers').set({ unit_price: unitPrice, refreshed_at: now }).where('id', '=', offerRef),
);

/** The catalogue learns from a supplier's answer: these specs of these offers have no stock right now. */
export async function markOutOfStock(
  ex: Executor,
  lines: { offer_ref: number; offer_id: string; spec_id: string }[],
  now: number,
): Promise<void> {
  if (!lines.length) return;
  await ex
    .updateTable('supplier_offers')
    .set({ stock: 0, refreshed_at: now })
    .where(
      'id',
      'in',
      lines.map((l) => l.offer_ref),
    )
    .where((eb) => eb.or(lines.map((l) => eb('spec_id', '=', l.spec_id))))
    .where(
      'offer_id',
      'in',
      lines.map((l) => l.offer_id),
    )
    .execute();
}

/** A seller's order flow as 1688's preview answered it (a person's setting is never overwritten). */
export async function learnFlow(ex: Executor, supplierId: number, flow: string): Promise<void> {
  await ex
    .updateTable('suppliers')
    .set({ purchase_flow: flow, purchase_flow_learned: 1 })
    .where('id', '=', supplierId)
    .where('purchase_flow', 'is', null)
    .execute();
}

/** 1688 refused the learned flow (the relationship ended): the preview is asked again next time. */
export async function forgetFlow(ex: Executor, supplierId: number): Promise<void> {
  await ex
    .updateTable('suppliers')
    .set({ purchase_flow: null, purchase_flow_learned: 0 })
    .where('id', '=', supplierId)
    .where('purchase_flow_learned', '=', 1)
    .execute();
}
