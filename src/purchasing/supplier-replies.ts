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
  const po = await db.kysely
    .selectFrom('purchase_orders')
    .select(['id', 'shop_order_id', 'state'])
    .where('id', '=', r.purchaseOrderId)
    .executeTakeFirst();
  if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${r.purchaseOrderId} 不存在`);
  const now = clock.now();
  await db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('po_messages')
      .values({
        purchase_order_id: po.id,
        direction: 'in',
        channel: 'operator',
        status: 'recorded',
        subject: '',
        body: r.body.trim(),
        message_id: null,
        actor: r.actor,
        data: JSON.stringify({
          supplierOrderId: r.supplierOrderId,
          courier: r.courier,
          trackingNumber: r.trackingNumber,
          stockOut: r.stockOut ?? false,
        }),
        created_at: now,
      })
      .execute();
    if (r.supplierOrderId)
      await trx
        .updateTable('purchase_orders')
        .set({ supplier_order_id: r.supplierOrderId, updated_at: now })
        .where('id', '=', po.id)
        .execute();
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
  const thread = await db.kysely
    .selectFrom('po_messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('purchase_order_id', '=', po.id)
    .executeTakeFirstOrThrow();
  // A tracking number in the reply is a parcel: recorded and synced to WeChat like a 1688 one.
  const packageId = r.courier && r.trackingNumber && onTracking ? await onTracking(po.id, r.courier, r.trackingNumber) : undefined;
  const outcome = r.stockOut ? await onStockOut(po.id) : undefined;
  return { thread: Number(thread.n), outcome, packageId };
}
