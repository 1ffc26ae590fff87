import { sql } from 'kysely';
import type { Executor } from '../dialect.js';
import { prepared, preparedInsert } from '../prepared.js';
import type { PurchaseOrderState } from '../../domain/purchase-order.lifecycle.js';

/**
 * 选供应商: what sourcing reads (the shop's SKU mappings to offers of active suppliers, the lines already covered, a
 * person's override) and writes (the purchase orders it creates with their lines, and every decision it explains).
 */

// Read by every sourcing run: compiled once (see prepared()).
export const aMapping = prepared((db, shopId: number, limit: number) =>
  db.selectFrom('sku_mappings').select('id').where('shop_id', '=', shopId).limit(limit),
);
export const coveredLines = prepared((db, shopOrderId: number, a: PurchaseOrderState, b: PurchaseOrderState) =>
  db
    .selectFrom('purchase_order_lines as l')
    .innerJoin('purchase_orders as p', 'p.id', 'l.purchase_order_id')
    .select('l.shop_order_line_no')
    .where('p.shop_order_id', '=', shopOrderId)
    .where('p.state', 'not in', [a, b]),
);
export const posCount = prepared((db, shopOrderId: number) =>
  db
    .selectFrom('purchase_orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('shop_order_id', '=', shopOrderId),
);
export const overrideOf = prepared((db, shopOrderId: number, lineNo: number) =>
  db
    .selectFrom('sourcing_decisions')
    .select(['chosen', 'reason'])
    .where('shop_order_id', '=', shopOrderId)
    .where('line_no', '=', lineNo)
    .where('override_by', 'is not', null)
    .orderBy('id', 'desc')
    .limit(sql.lit(1)),
);
export const offerCols = [
  'o.id as offerRef',
  'o.offer_id',
  'o.spec_id',
  'o.title',
  'o.unit_price',
  'o.moq',
  'o.stock',
  'o.freight',
  'o.lead_time_hours',
  'o.refreshed_at',
  's.id as supplierId',
  's.name',
  's.kind',
  's.credit_level',
  's.couriers',
] as const;
/** The enabled mappings of a shop SKU to offers of active suppliers, with each offer and its supplier. */
export const mappedOffers = prepared((db, shopId: number, productId: string, skuId: string) =>
  db
    .selectFrom('sku_mappings as m')
    .innerJoin('supplier_offers as o', 'o.id', 'm.offer_ref')
    .innerJoin('suppliers as s', 's.id', 'o.supplier_id')
    .select(['m.id as mappingId', 'm.quantity_per_unit', 'm.bundle_key', 'm.priority', ...offerCols])
    .where('m.shop_id', '=', shopId)
    .where('m.product_id', '=', productId)
    .where('m.sku_id', '=', skuId)
    .where('m.enabled', '=', sql.lit(1))
    .where('s.active', '=', sql.lit(1)),
);
// Written by every sourcing run.
export const insertPurchaseOrder = preparedInsert(
  'purchase_orders',
  [
    'shop_order_id',
    'supplier_id',
    'route',
    'state',
    'out_order_id',
    'expected_amount',
    'message',
    'excluded_suppliers',
    'attempt',
    'shadow',
    'created_at',
    'updated_at',
    'version',
  ],
  (q) => q.returning('id'),
);
export const insertPoLine = preparedInsert('purchase_order_lines', [
  'purchase_order_id',
  'shop_order_line_no',
  'offer_ref',
  'offer_id',
  'spec_id',
  'title',
  'quantity',
  'unit_price',
]);
export const insertDecision = preparedInsert('sourcing_decisions', [
  'shop_order_id',
  'line_no',
  'chosen',
  'candidates',
  'reason',
  'created_at',
]);

/** An offer of an active supplier a buyer agreed to receive instead (consent), with its supplier. */
export const substituteOffer = (ex: Executor, offerRef: number) =>
  ex
    .selectFrom('supplier_offers as o')
    .innerJoin('suppliers as s', 's.id', 'o.supplier_id')
    .select([...offerCols])
    .where('o.id', '=', offerRef)
    .where('s.active', '=', 1)
    .execute();

/** Whether a purchase order of the shop order is still to be paid (neither paid, shipped, completed nor closed). */
export async function anyUnpaidPo(ex: Executor, shopOrderId: number): Promise<boolean> {
  const row = await ex
    .selectFrom('purchase_orders')
    .select('id')
    .where('shop_order_id', '=', shopOrderId)
    .where('state', 'not in', ['Paid', 'Shipped', 'Completed', 'Cancelled', 'Shadowed'])
    .executeTakeFirst();
  return row !== undefined;
}

/** A person chose the supplier of one line (人工指定): the next sourcing run of that line takes it. */
export async function recordOverride(
  ex: Executor,
  o: { shopOrderId: number; lineNo: number; supplierId: number; supplierName: string; reason: string; by: string; why: string },
  now: number,
): Promise<void> {
  await ex
    .insertInto('sourcing_decisions')
    .values({
      shop_order_id: o.shopOrderId,
      line_no: o.lineNo,
      chosen: JSON.stringify({ supplierId: o.supplierId, supplierName: o.supplierName }),
      candidates: '[]',
      reason: o.reason,
      override_by: o.by,
      override_reason: o.why,
      created_at: now,
    })
    .execute();
}
