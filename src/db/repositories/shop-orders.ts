import type { Executor } from '../dialect.js';
import { prepared, preparedInsert } from '../prepared.js';
import { rowOrThrow } from '../lookups.js';
import type { OrderSnapshot } from '../../domain/shop-order.js';
import type { ShopOrderState } from '../../domain/shop-order.lifecycle.js';

/** Shop orders (微信小店订单): reads and writes of their rows outside the lifecycle and intake. */

/** A shop order's head: ids, state, WeChat's status and the (masked) address. */
export const orderHead = (ex: Executor, id: number) =>
  ex
    .selectFrom('shop_orders')
    .select(['id', 'shop_id', 'wx_order_id', 'state', 'wx_status', 'address'])
    .where('id', '=', id)
    .executeTakeFirst();

/** Other recent orders to the same address (the duplicate check, every new order): compiled once (see prepared()). */
export const sameAddressOrders = prepared(
  (db, shopId: number, addressHash: string, id: number, sinceS: number, cancelled: ShopOrderState, max: number) =>
    db
      .selectFrom('shop_orders')
      .select(['id', 'wx_order_id'])
      .where('shop_id', '=', shopId)
      .where('address_hash', '=', addressHash)
      .where('id', '!=', id)
      .where('wx_create_time_s', '>=', sinceS)
      .where('state', '!=', cancelled)
      .limit(max),
);

/** Some lines of a shop order, in line order. */
export const orderLinesIn = (ex: Executor, shopOrderId: number, lineNos: number[]) =>
  ex
    .selectFrom('shop_order_lines')
    .selectAll()
    .where('shop_order_id', '=', shopOrderId)
    .where('line_no', 'in', lineNos)
    .orderBy('line_no')
    .execute();

/** One line of a shop order, or undefined. */
export const orderLine = (ex: Executor, shopOrderId: number, lineNo: number) =>
  ex.selectFrom('shop_order_lines').selectAll().where('shop_order_id', '=', shopOrderId).where('line_no', '=', lineNo).executeTakeFirst();

/** The spec a line is bought as from the supplier (null: as the buyer ordered it). */
export async function setSourcedSku(ex: Executor, lineId: number, skuId: string | null): Promise<void> {
  await ex.updateTable('shop_order_lines').set({ sourced_sku_id: skuId }).where('id', '=', lineId).execute();
}

/** The offer the buyer agreed to receive instead of what a line ordered. */
export async function setSubstitute(ex: Executor, shopOrderId: number, lineNo: number, offerRef: number): Promise<void> {
  await ex
    .updateTable('shop_order_lines')
    .set({ substitute_offer_ref: offerRef })
    .where('shop_order_id', '=', shopOrderId)
    .where('line_no', '=', lineNo)
    .execute();
}

// Every new order: compiled once (see prepared()).
const insertOrderRow = preparedInsert(
  'shop_orders',
  [
    'shop_id',
    'state',
    'wx_order_id',
    'wx_status',
    'wx_create_time_s',
    'wx_update_time_s',
    'pay_time_s',
    'order_price',
    'product_price',
    'freight',
    'customer_notes',
    'merchant_notes',
    'address',
    'address_hash',
    'search_text',
    'review_reasons',
    'special_requests',
    'created_at',
    'updated_at',
    'version',
  ],
  (q) => q.returning('id'),
);
export const knownOrder = prepared((db, shopId: number, wxOrderId: string) =>
  db
    .selectFrom('shop_orders')
    .select(['id', 'state', 'wx_update_time_s', 'wx_status', 'address'])
    .where('shop_id', '=', shopId)
    .where('wx_order_id', '=', wxOrderId),
);

/** A new shop order (state Received) from WeChat's snapshot, with its lines; its id. */
export async function insertOrder(ex: Executor, shopId: number, o: OrderSnapshot, now: number): Promise<number> {
  const row = rowOrThrow(
    (
      await insertOrderRow(ex, {
        shop_id: shopId,
        state: 'Received',
        ...snapshotColumns(o),
        review_reasons: JSON.stringify({ reasons: [], notes: [] }),
        special_requests: '{}',
        created_at: now,
        updated_at: now,
        version: 0,
      })
    ).rows[0],
    'shop_orders',
    o.wxOrderId,
  );
  // An order without lines is still stored: the NO_LINES check sends it to review.
  if (o.lines.length)
    await ex
      .insertInto('shop_order_lines')
      .values(o.lines.map((l) => ({ shop_order_id: row.id, ...lineColumns(l) })))
      .execute();
  return row.id;
}

/** What an order's lines stood at before a sync: after-sale counts, withdrawn units and ship-by times. */
export const lineCounts = (ex: Executor, shopOrderId: number) =>
  ex
    .selectFrom('shop_order_lines')
    .select(['line_no', 'on_aftersale_cnt', 'finish_aftersale_cnt', 'withdrawn_cnt', 'delivery_deadline_s'])
    .where('shop_order_id', '=', shopOrderId)
    .execute();

/** A newer WeChat snapshot of an order written over its columns. */
export async function updateSnapshot(ex: Executor, shopOrderId: number, o: OrderSnapshot, now: number): Promise<void> {
  await ex
    .updateTable('shop_orders')
    .set({ ...snapshotColumns(o), updated_at: now })
    .where('id', '=', shopOrderId)
    .execute();
}

/** A line's after-sale counts and ship-by time, as the latest sync has them. */
export async function updateLineCounts(
  ex: Executor,
  shopOrderId: number,
  lineNo: number,
  c: { onAftersaleCnt: number; finishAftersaleCnt: number; deliveryDeadlineS: number | null },
): Promise<void> {
  await ex
    .updateTable('shop_order_lines')
    .set({ on_aftersale_cnt: c.onAftersaleCnt, finish_aftersale_cnt: c.finishAftersaleCnt, delivery_deadline_s: c.deliveryDeadlineS })
    .where('shop_order_id', '=', shopOrderId)
    .where('line_no', '=', lineNo)
    .execute();
}

/** Lines (or all of them) taken back from the supplier side: every unit withdrawn. */
export async function withdrawUnits(ex: Executor, shopOrderId: number, lineNos: number[] | 'all'): Promise<void> {
  let q = ex
    .updateTable('shop_order_lines')
    .set((eb) => ({ withdrawn_cnt: eb.ref('quantity') }))
    .where('shop_order_id', '=', shopOrderId);
  if (lineNos !== 'all') q = q.where('line_no', 'in', lineNos);
  await q.execute();
}

function snapshotColumns(o: OrderSnapshot) {
  const a = o.address;
  return {
    wx_order_id: o.wxOrderId,
    wx_status: o.status,
    wx_create_time_s: o.createTime,
    wx_update_time_s: o.updateTime,
    pay_time_s: o.payTime ?? null,
    order_price: o.orderPrice,
    product_price: o.productPrice,
    freight: o.freight,
    customer_notes: o.customerNotes,
    merchant_notes: o.merchantNotes,
    // order/get returns the receiver masked; that masked form is all Daifa stores.
    address: JSON.stringify(a),
    address_hash: a.hashCode ?? null,
    search_text: [o.wxOrderId, a.userName, ...o.lines.map((l) => `${l.title} ${l.skuAttrs.map((x) => x.value).join(' ')}`)]
      .join(' ')
      .toLowerCase(),
  };
}

function lineColumns(l: OrderSnapshot['lines'][number]) {
  return {
    line_no: l.lineNo,
    product_id: l.productId,
    sku_id: l.skuId,
    product_unique_id: l.productUniqueId ?? null,
    title: l.title,
    sku_attrs: JSON.stringify(l.skuAttrs),
    quantity: l.quantity,
    unit_price: l.unitPrice,
    paid_amount: l.paidAmount,
    delivery_deadline_s: l.deliveryDeadline ?? null,
    on_aftersale_cnt: l.onAftersaleCnt,
    finish_aftersale_cnt: l.finishAftersaleCnt,
  };
}

/** The order to place for, with its shop's mode (正式 / 影子): every placement reads it, compiled once (see prepared()). */
export const orderToPlace = prepared((db, shopOrderId: number) =>
  db
    .selectFrom('shop_orders')
    .innerJoin('shops', 'shops.id', 'shop_orders.shop_id')
    .select(['shop_orders.id', 'shop_orders.shop_id', 'shop_orders.wx_order_id', 'shop_orders.state', 'shops.mode'])
    .where('shop_orders.id', '=', shopOrderId),
);
