import type { Executor } from '../dialect.js';
import type { PurchaseOrderState } from '../../domain/purchase-order.lifecycle.js';
import type { ShopOrderState } from '../../domain/shop-order.lifecycle.js';

/**
 * 发货期限: what the deadline watch reads — unshipped purchase orders with their ship-by times, orders not placed
 * near theirs, and the deadline cases that may have become moot. Reads only (cases are written by cases.ts).
 */

const WATCHED_PO: PurchaseOrderState[] = ['Placed', 'Paying', 'Paid', 'NeedsAttention'];
const ORDER_DONE: ShopOrderState[] = ['Cancelled', 'Completed', 'Shipped'];

/** A purchase order with its payment time and supplier (a forecast's input). */
export const poForForecast = (ex: Executor, poId: number) =>
  ex
    .selectFrom('purchase_orders as p')
    .leftJoin('payments as pay', 'pay.purchase_order_id', 'p.id')
    .select(['p.id', 'p.shop_order_id', 'p.supplier_id', 'p.created_at', 'pay.paid_at'])
    .where('p.id', '=', poId)
    .executeTakeFirst();

/** The ship-by times (WeChat's delivery_deadline, seconds) of some or all lines of a shop order. */
export async function shipByTimes(ex: Executor, shopOrderId: number, lineNos?: number[]): Promise<(number | null)[]> {
  let q = ex.selectFrom('shop_order_lines').select('delivery_deadline_s').where('shop_order_id', '=', shopOrderId);
  if (lineNos) q = q.where('line_no', 'in', lineNos);
  return (await q.execute()).map((l) => l.delivery_deadline_s);
}

/** The longest lead time the supplier states for the purchase order's offers (48 h when none is known). */
export async function leadTimeHours(ex: Executor, poId: number): Promise<number> {
  const lead = await ex
    .selectFrom('purchase_order_lines as l')
    .innerJoin('supplier_offers as o', 'o.id', 'l.offer_ref')
    .select((eb) => eb.fn.max<number>('o.lead_time_hours').as('h'))
    .where('l.purchase_order_id', '=', poId)
    .executeTakeFirst();
  return Number(lead?.h ?? 48);
}

/** Purchase orders the supplier has not shipped (no parcel) of orders still to ship: the watch's round (at most 2000). */
export const unshippedPurchaseOrders = (ex: Executor) =>
  ex
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select(['p.id', 'p.shop_order_id', 'o.shop_id', 'o.wx_order_id'])
    .where('p.state', 'in', WATCHED_PO)
    .where('o.state', 'not in', ORDER_DONE)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('packages as k').select('k.id').whereRef('k.purchase_order_id', '=', 'p.id'))))
    .limit(2000)
    .execute();

/** The same, only of orders whose buyer asked for a delivery date, with what the ETA needs. */
export const unshippedWithRequestedDate = (ex: Executor) =>
  ex
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .leftJoin('payments as pay', 'pay.purchase_order_id', 'p.id')
    .select([
      'p.id',
      'p.shop_order_id',
      'p.supplier_id',
      'p.created_at',
      'pay.paid_at',
      'o.shop_id',
      'o.wx_order_id',
      'o.special_requests',
      'o.address',
    ])
    .where('p.state', 'in', WATCHED_PO)
    .where('o.state', 'not in', ORDER_DONE)
    .where('o.special_requests', 'like', '%"deliveryBy"%')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('packages as k').select('k.id').whereRef('k.purchase_order_id', '=', 'p.id'))))
    .limit(2000)
    .execute();

/** Open DELIVERY_DATE_AT_RISK cases with their parcels' count, signed count and last signing time. */
export const dateCasesWithParcels = (ex: Executor) =>
  ex
    .selectFrom('cases as c')
    .innerJoin('packages as g', 'g.purchase_order_id', 'c.purchase_order_id')
    .select([
      'c.id',
      'c.shop_order_id',
      'c.data',
      (eb) => eb.fn.max<number>('g.signed_at').as('signedAt'),
      (eb) => eb.fn.count<number>('g.id').as('parcels'),
      (eb) => eb.fn.count<number>('g.signed_at').as('signedParcels'),
    ])
    .where('c.kind', '=', 'DELIVERY_DATE_AT_RISK')
    .where('c.state', '=', 'Open')
    .groupBy(['c.id', 'c.shop_order_id', 'c.data'])
    .execute();

/** Orders in `states` (no supplier order yet) whose earliest ship-by time (seconds) is at or before `soon`. */
export const unplacedDueBy = (ex: Executor, states: ShopOrderState[], soon: number) =>
  ex
    .selectFrom('shop_orders as o')
    .innerJoin('shop_order_lines as l', 'l.shop_order_id', 'o.id')
    .select(['o.id', 'o.shop_id', 'o.wx_order_id', 'o.state'])
    .select((eb) => eb.fn.min<number>('l.delivery_deadline_s').as('deadline'))
    .where('o.state', 'in', states)
    .where('l.delivery_deadline_s', '>', 0)
    .groupBy(['o.id', 'o.shop_id', 'o.wx_order_id', 'o.state'])
    .having((eb) => eb.fn.min('l.delivery_deadline_s'), '<=', soon)
    .limit(2000)
    .execute();

/** Whether an open deadline case about the order as a whole (not one of its purchase orders) exists. */
export async function hasOrderLevelDeadlineCase(ex: Executor, shopOrderId: number): Promise<boolean> {
  const row = await ex
    .selectFrom('cases')
    .select('id')
    .where('kind', '=', 'DEADLINE_AT_RISK')
    .where('shop_order_id', '=', shopOrderId)
    .where('purchase_order_id', 'is', null)
    .where('state', '=', 'Open')
    .executeTakeFirst();
  return row !== undefined;
}

/** Open order-level deadline cases whose order has left `states` (placed or cancelled since), with its state now. */
export const orderLevelDeadlineCasesLeaving = (ex: Executor, states: ShopOrderState[]) =>
  ex
    .selectFrom('cases as c')
    .innerJoin('shop_orders as o', 'o.id', 'c.shop_order_id')
    .select(['c.id', 'c.shop_order_id', 'o.state'])
    .where('c.kind', '=', 'DEADLINE_AT_RISK')
    .where('c.state', '=', 'Open')
    .where('c.purchase_order_id', 'is', null)
    .where('o.state', 'not in', states)
    .execute();
