import type { Selectable } from 'kysely';
import type { ShopOrderLinesTable, ShopOrdersTable } from '../db/schema.js';
import type { Address } from '../domain/address.js';
import type { OrderSnapshot, Reason } from '../domain/shop-order.js';
import type { Executor } from '../jobs/queue.js';
import { findById, orderLines } from '../db/lookups.js';

export type ShopOrderRow = Selectable<ShopOrdersTable>;
export type ShopOrderLineRow = Selectable<ShopOrderLinesTable>;

export interface Checks {
  reasons: Reason[];
  notes: Reason[];
}

export function parseChecks(row: Pick<ShopOrderRow, 'review_reasons'>): Checks {
  try {
    const v = JSON.parse(row.review_reasons);
    return { reasons: v.reasons ?? [], notes: v.notes ?? [] };
  } catch {
    return { reasons: [], notes: [] };
  }
}

export async function loadOrder(db: Executor, id: number): Promise<{ row: ShopOrderRow; lines: ShopOrderLineRow[] } | undefined> {
  const row = await findById(db, 'shop_orders', id);
  if (!row) return undefined;
  const lines = await orderLines(db, id);
  return { row, lines };
}

/** Rebuild the domain snapshot from stored rows (the checks are pure functions of it). */
export function toSnapshot(row: ShopOrderRow, lines: ShopOrderLineRow[]): OrderSnapshot {
  return {
    wxOrderId: row.wx_order_id,
    status: row.wx_status,
    createTime: row.wx_create_time_s,
    updateTime: row.wx_update_time_s,
    payTime: row.pay_time_s ?? undefined,
    orderPrice: row.order_price,
    productPrice: row.product_price,
    freight: row.freight,
    customerNotes: row.customer_notes,
    merchantNotes: row.merchant_notes,
    address: JSON.parse(row.address) as Address,
    onAftersaleOrderCnt: 0,
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      productId: l.product_id,
      skuId: l.sku_id,
      productUniqueId: l.product_unique_id ?? undefined,
      title: l.title,
      skuAttrs: JSON.parse(l.sku_attrs),
      quantity: l.quantity,
      unitPrice: l.unit_price,
      paidAmount: l.paid_amount,
      deliveryDeadline: l.delivery_deadline_s ?? undefined,
      onAftersaleCnt: l.on_aftersale_cnt,
      finishAftersaleCnt: l.finish_aftersale_cnt,
      isFreeGift: false,
    })),
  };
}
