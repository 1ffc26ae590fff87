import { findById } from '../db/lookups.js';
import { recordReply, threadSize } from '../db/repositories/po-messages.js';
import { setSupplierOrderId } from '../db/repositories/purchase-orders.js';
import type { Db } from '../db/dialect.js';
import { DaifaError } from '../lib/errors.js';
import { appendEvent } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';

export interface SupplierReply {
  purchaseOrderId: number;
  actor: string;
  /** What the supplier said (e-mail, IM), as the operator records it. */
  body: string;
  supplierOrderId?: string;
  courier?: string;
  trackingNumber?: string;
  stockOut?: boolean;
}

/**
 * The operator records what a direct supplier answered (order number, confirmation, tracking number, stock-out).
 * It joins the purchase order's thread and history; a stock-out hands the lines back to sourcing.
 */
export async function recordSupplierReply(
  db: Db,
  clock: Clock,
  r: SupplierReply,
  onStockOut: (poId: number) => Promise<string>,
  onTracking?: (poId: number, courier: string, waybill: string) => Promise<number>,
): Promise<{ thread: number; outcome?: string; packageId?: number }> {
  if (!r.body.trim())
    throw new DaifaError('VALIDATION', '请填写供应商回复内容 / body is required', { details: [{ field: 'body', message: 'required' }] });
  const po = await findById(db.kysely, 'purchase_orders', r.purchaseOrderId);
  if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${r.purchaseOrderId} 不存在`);
  const now = clock.now();
  await db.kysely.transaction().execute(async (trx) => {
    await recordReply(
      trx,
      {
        poId: po.id,
        body: r.body.trim(),
        actor: r.actor,
        data: { supplierOrderId: r.supplierOrderId, courier: r.courier, trackingNumber: r.trackingNumber, stockOut: r.stockOut ?? false },
      },
      now,
    );
    if (r.supplierOrderId) await setSupplierOrderId(trx, po.id, r.supplierOrderId, now);
    await appendEvent(
      trx,
      {
        entity: 'purchase_order',
        id: po.id,
        shopOrderId: po.shop_order_id,
        event: 'po.supplier_reply',
        actor: r.actor,
        note: r.body.trim().slice(0, 200),
        data: { supplierOrderId: r.supplierOrderId, trackingNumber: r.trackingNumber, stockOut: r.stockOut },
      },
      now,
    );
  });
  const thread = await threadSize(db.kysely, po.id);
  // A tracking number in the reply is a parcel: recorded and synced to WeChat like a 1688 one.
  const packageId = r.courier && r.trackingNumber && onTracking ? await onTracking(po.id, r.courier, r.trackingNumber) : undefined;
  const outcome = r.stockOut ? await onStockOut(po.id) : undefined;
  return { thread, outcome, packageId };
}
