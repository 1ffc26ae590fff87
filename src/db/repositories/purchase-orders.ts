import type { Executor } from '../dialect.js';
import { prepared } from '../prepared.js';
import type { CaseState, PurchaseOrderState } from '../../domain/purchase-order.lifecycle.js';

/** Purchase orders (采购单) and their lines: the only place their SQL is written. */

/** The lines of several purchase orders, in the order they were written. */
export const linesOfPurchaseOrders = (ex: Executor, purchaseOrderIds: number[]) =>
  ex
    .selectFrom('purchase_order_lines')
    .select(['purchase_order_id', 'shop_order_line_no', 'spec_id', 'quantity'])
    .where('purchase_order_id', 'in', purchaseOrderIds)
    .orderBy('id')
    .execute();

// Every tracking run (at least one per purchase order) reads these: compiled once (see prepared()).
/**
 * A purchase order to track, with its shop order's ids, and whether a SUPPLIER_ORDER_MISSING case is open for it
 * (the read that settles one needs no query of its own).
 */
export const poToTrack = prepared((db, poId: number, missingKind: string, open: CaseState) =>
  db
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select(['p.id', 'p.shop_order_id', 'p.supplier_order_id', 'p.state', 'p.route', 'o.shop_id', 'o.wx_order_id', 'p.readback'])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('cases as c')
            .select('c.id')
            .whereRef('c.shop_order_id', '=', 'p.shop_order_id')
            .whereRef('c.purchase_order_id', '=', 'p.id')
            .where('c.kind', '=', missingKind)
            .where('c.state', '=', open),
        )
        .as('missing_case'),
    )
    .where('p.id', '=', poId),
);
export const poLineUnits = prepared((db, poId: number) =>
  db.selectFrom('purchase_order_lines').select(['spec_id', 'quantity']).where('purchase_order_id', '=', poId).orderBy('id'),
);
export const markTracked = prepared((db, now: number, poId: number) =>
  db.updateTable('purchase_orders').set({ tracked_at: now }).where('id', '=', poId),
);

/** 1688 purchase orders paid or shipped that tracking has not looked at since `stale` (the sweep's safety net). */
export const notTrackedSince = (ex: Executor, stale: number, limit: number) =>
  ex
    .selectFrom('purchase_orders')
    .select('id')
    .where('route', '=', '1688')
    .where('state', 'in', ['Paid', 'Shipped'])
    .where((eb) => eb.or([eb('tracked_at', 'is', null), eb('tracked_at', '<', stale)]))
    .limit(limit)
    .execute();

// WeChat dropship: every order sync and every tracking run asks these (most purchase orders are not on this route):
// compiled once (see prepared()).
export const dropshipPoToTrack = prepared((db, poId: number) =>
  db
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select(['p.id', 'p.state', 'p.route', 'p.shop_order_id', 'o.shop_id', 'o.wx_order_id'])
    .where('p.id', '=', poId),
);
export const dropshipPosWithoutParcels = prepared(
  (db, shopId: number, wxOrderId: string, route: string, s1: PurchaseOrderState, s2: PurchaseOrderState, s3: PurchaseOrderState) =>
    db
      .selectFrom('purchase_orders as p')
      .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
      .select('p.id')
      .where('o.shop_id', '=', shopId)
      .where('o.wx_order_id', '=', wxOrderId)
      .where('p.route', '=', route)
      .where('p.state', 'in', [s1, s2, s3])
      .where((eb) => eb.not(eb.exists(eb.selectFrom('packages as g').select('g.id').whereRef('g.purchase_order_id', '=', 'p.id')))),
);

/** WeChat-dropship purchase orders without parcels that tracking has not looked at since `stale`. */
export const dropshipPosNotTrackedSince = (ex: Executor, stale: number, limit: number) =>
  ex
    .selectFrom('purchase_orders as p')
    .select('p.id')
    .where('p.route', '=', 'wechat_dropship')
    .where('p.state', 'in', ['Placed', 'Paid', 'NeedsAttention'])
    .where((eb) => eb.or([eb('p.tracked_at', 'is', null), eb('p.tracked_at', '<', stale)]))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('packages as g').select('g.id').whereRef('g.purchase_order_id', '=', 'p.id'))))
    .limit(limit)
    .execute();

/** A purchase order with its shop order's shop and state (unwind, a supplier's settlement, a partial refund). */
export const poWithShop = (ex: Executor, poId: number) =>
  ex
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select([
      'p.id',
      'p.state',
      'p.route',
      'p.shop_order_id',
      'p.supplier_id',
      'p.supplier_order_id',
      'p.out_order_id',
      'o.shop_id',
      'o.state as order_state',
    ])
    .where('p.id', '=', poId)
    .executeTakeFirst();

/** The shop-order lines a purchase order buys (each once). */
export async function shopLinesOf(ex: Executor, poId: number): Promise<number[]> {
  const rows = await ex.selectFrom('purchase_order_lines').select('shop_order_line_no').where('purchase_order_id', '=', poId).execute();
  return [...new Set(rows.map((r) => r.shop_order_line_no))];
}

/** A shop order's purchase orders that may still change (not shipped, no parcel, not closed), oldest first. */
export const unshippedPosOf = (ex: Executor, shopOrderId: number) =>
  ex
    .selectFrom('purchase_orders as p')
    .select(['p.id', 'p.out_order_id', 'p.supplier_order_id'])
    .where('p.shop_order_id', '=', shopOrderId)
    .where('p.state', 'not in', ['Cancelled', 'Shadowed', 'Completed', 'Shipped'])
    .where((eb) => eb.not(eb.exists(eb.selectFrom('packages as g').select('g.id').whereRef('g.purchase_order_id', '=', 'p.id'))))
    .orderBy('p.id')
    .execute();

/** A shop order's live purchase orders with their supplier's name and e-mail, and whether a parcel was recorded. */
export const livePosWithSupplier = (ex: Executor, shopOrderId: number) =>
  ex
    .selectFrom('purchase_orders as p')
    .innerJoin('suppliers as s', 's.id', 'p.supplier_id')
    .select([
      'p.id',
      'p.state',
      'p.route',
      'p.out_order_id',
      'p.supplier_order_id',
      's.name',
      's.email',
      (eb) => eb.exists(eb.selectFrom('packages as g').select('g.id').whereRef('g.purchase_order_id', '=', 'p.id')).as('has_parcel'),
    ])
    .where('p.shop_order_id', '=', shopOrderId)
    .where('p.state', 'not in', ['Cancelled', 'Shadowed', 'Draft'])
    .execute();

/** A purchase order with its supplier's name and e-mail (to contact or urge the supplier). */
export const poWithSupplier = (ex: Executor, poId: number) =>
  ex
    .selectFrom('purchase_orders as p')
    .innerJoin('suppliers as s', 's.id', 'p.supplier_id')
    .select(['p.id', 'p.shop_order_id', 'p.route', 'p.out_order_id', 'p.supplier_order_id', 's.name', 's.email'])
    .where('p.id', '=', poId)
    .executeTakeFirst();

// Every 1688 message looks its purchase order up (about four per order): compiled once (see prepared()).
export const poBySupplierOrder = prepared((db, supplierOrderId: string) =>
  db.selectFrom('purchase_orders').select('id').where('supplier_order_id', '=', supplierOrderId),
);

/** A shop order's purchase orders not closed (neither cancelled, shadowed nor completed). */
export const openPoIds = async (ex: Executor, shopOrderId: number): Promise<number[]> =>
  (
    await ex
      .selectFrom('purchase_orders')
      .select('id')
      .where('shop_order_id', '=', shopOrderId)
      .where('state', 'not in', ['Cancelled', 'Shadowed', 'Completed'])
      .execute()
  ).map((r) => r.id);

/** A shop order's purchase orders in one state. */
export const poIdsInState = async (ex: Executor, shopOrderId: number, state: PurchaseOrderState): Promise<number[]> =>
  (await ex.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', shopOrderId).where('state', '=', state).execute()).map(
    (r) => r.id,
  );

/** The shop-order lines held by a purchase order not cancelled or shadowed, with its number. */
export const heldLines = (ex: Executor, shopOrderId: number) =>
  ex
    .selectFrom('purchase_order_lines as l')
    .innerJoin('purchase_orders as p', 'p.id', 'l.purchase_order_id')
    .select(['l.shop_order_line_no', 'p.out_order_id'])
    .where('p.shop_order_id', '=', shopOrderId)
    .where('p.state', 'not in', ['Cancelled', 'Shadowed'])
    .execute();

/** The supplier's own number for the purchase order (a direct supplier's reply, say). */
export async function setSupplierOrderId(ex: Executor, poId: number, supplierOrderId: string, now: number): Promise<void> {
  await ex.updateTable('purchase_orders').set({ supplier_order_id: supplierOrderId, updated_at: now }).where('id', '=', poId).execute();
}

/** A purchase order's shop order with what the buyer paid (the margin's base). */
export const poWithOrderPrice = (ex: Executor, poId: number) =>
  ex
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select(['p.shop_order_id', 'o.order_price', 'o.shop_id'])
    .where('p.id', '=', poId)
    .executeTakeFirst();

/** What the shop order's other live purchase orders cost (agreed amount, else expected), in fen. */
export async function otherPosCost(ex: Executor, shopOrderId: number, exceptPoId: number): Promise<number> {
  const r = await ex
    .selectFrom('purchase_orders')
    .select((eb) => eb.fn.sum<number>(eb.fn.coalesce('supplier_amount', 'expected_amount')).as('s'))
    .where('shop_order_id', '=', shopOrderId)
    .where('id', '!=', exceptPoId)
    .where('state', 'not in', ['Cancelled', 'Shadowed'])
    .executeTakeFirst();
  return Number(r?.s ?? 0);
}

// Every 1688 placement writes these: compiled once (see prepared()).
export const recordAttempt = prepared((db, attempt: number, expected: number, readback: string, now: number, poId: number) =>
  db.updateTable('purchase_orders').set({ attempt, expected_amount: expected, readback, updated_at: now }).where('id', '=', poId),
);
export const recordSupplierOrder = prepared((db, supplierOrderId: string, now: number, poId: number) =>
  db.updateTable('purchase_orders').set({ supplier_order_id: supplierOrderId, updated_at: now }).where('id', '=', poId),
);

/** A 1688 order created only in part: the failed lines leave the purchase order, which keeps the supplier's number. */
export async function keepCreatedPart(
  ex: Executor,
  poId: number,
  failedLineNos: number[],
  supplierOrderId: string,
  successTotal: number | undefined,
  now: number,
): Promise<void> {
  await ex
    .deleteFrom('purchase_order_lines')
    .where('purchase_order_id', '=', poId)
    .where('shop_order_line_no', 'in', failedLineNos)
    .execute();
  await ex
    .updateTable('purchase_orders')
    .set({ supplier_order_id: supplierOrderId, ...(successTotal !== undefined ? { expected_amount: successTotal } : {}), updated_at: now })
    .where('id', '=', poId)
    .execute();
}
