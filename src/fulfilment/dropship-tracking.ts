import { mapDropshipPackages, mapShipments } from '../channels/wechat-shop/mapping.js';
import { deliverJob, trackJob } from '../jobs/catalogue.js';
import { routeTraits } from '../domain/purchase-routes.js';
import type { Logger } from 'pino';
import type { WeChatClients } from '../channels/wechat-shop/client.js';
import type { Db } from '../db/dialect.js';
import { enqueue } from '../jobs/queue.js';
import { appendEvent, lockEntity } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { ShopService } from '../shops/shops.js';
import { insertPackage } from '../db/repositories/deliveries.js';
import {
  dropshipPoToTrack,
  dropshipPosNotTrackedSince,
  dropshipPosWithoutParcels,
  markTracked,
} from '../db/repositories/purchase-orders.js';
import { orderLines, purchaseOrderLines } from '../db/lookups.js';

/**
 * Tracking for WeChat Shop's own dropship (代发): the bound supplier ships the 代发单 through its own API, which
 * ships the shop order on the platform. Daifa reads `dropship/get` for each 代发单 of the purchase order and records
 * its packages (courier, waybill, the lines and quantities); delivery sync then finds them already on WeChat and
 * sends nothing. `dropship/get`'s status enum is unpublished, so only the packages are trusted, never the status.
 */
export class DropshipTracking {
  constructor(
    private readonly db: Db,
    private readonly shops: ShopService,
    private readonly clients: WeChatClients,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async track(poId: number): Promise<{ parcels: number }> {
    const k = this.db.kysely;
    const po = (await dropshipPoToTrack(k, poId)).rows[0];
    if (
      !po ||
      routeTraits(po.route).parcels !== 'wechat-platform' ||
      ['Cancelled', 'Shadowed', 'Completed', 'Draft', 'Placing'].includes(po.state)
    )
      return { parcels: 0 };
    const client = await this.clients.forShop(this.shops, po.shop_id);
    const poLines = await purchaseOrderLines(k, poId);
    const shopLines = (await orderLines(k, po.shop_order_id)).filter((l) => poLines.some((pl) => pl.shop_order_line_no === l.line_no));
    // The 代发单 ids of this purchase order's lines, as the shop order shows them.
    const wire = await client.getOrder(po.wx_order_id);
    const dsIds = [
      ...new Set(
        mapShipments(wire)
          .products.filter((p) => shopLines.some((l) => l.sku_id === p.skuId))
          .map((p) => p.dropshipOrderId)
          .filter((x): x is string => Boolean(x)),
      ),
    ];
    const now = this.clock.now();
    let parcels = 0;
    for (const ds of dsIds) {
      for (const p of mapDropshipPackages(await client.dropshipGet(ds))) {
        const items: { specId: string; quantity: number }[] = [];
        for (const x of p.products) {
          const sl = shopLines.find((l) => l.sku_id === x.skuId);
          const pl = sl && poLines.find((l) => l.shop_order_line_no === sl.line_no);
          if (sl && pl) items.push({ specId: pl.spec_id, quantity: Math.round((pl.quantity * x.count) / sl.quantity) });
        }
        if (!items.length) continue;
        const waybill = p.waybillId;
        const inserted = await k.transaction().execute(async (trx) => {
          await lockEntity(trx, 'shop_order', po.shop_order_id);
          const row = (
            await insertPackage(trx, {
              shop_order_id: po.shop_order_id,
              purchase_order_id: po.id,
              source: 'wechat_dropship',
              logistics_id: `ds:${ds}:${waybill}`,
              courier_name: p.deliveryName || p.deliveryId,
              delivery_id: p.deliveryId || 'OTHER',
              waybill_id: waybill,
              items: JSON.stringify(items),
              status: 'CONSIGN',
              shipped_at: p.deliveryTime ? p.deliveryTime * 1000 : now,
              picked_up_at: null,
              last_trace_at: null,
              signed_at: null,
              anomaly: null,
              created_at: now,
              updated_at: now,
            })
          ).rows[0];
          if (!row) return false;
          await appendEvent(
            trx,
            {
              entity: 'purchase_order',
              id: po.id,
              shopOrderId: po.shop_order_id,
              event: 'po.parcel_recorded',
              actor: 'system:dropship',
              note: `代发单 ${ds}：${p.deliveryName || p.deliveryId} ${waybill}（供货商已在微信小店发货）`,
            },
            now,
          );
          // The platform shipped the shop order itself; delivery sync records it as sent without sending again.
          await enqueue(trx, deliverJob(po.shop_order_id), now);
          return true;
        });
        if (inserted) parcels++;
      }
    }
    await markTracked(k, now, poId);
    if (parcels) this.log.info({ poId, parcels }, 'dropship parcels recorded');
    return { parcels };
  }

  /** After an order update (the platform's deliver event): look at its dropship purchase orders not yet shipped. */
  async afterSync(p: { shopId: number; orderId: string }): Promise<void> {
    const k = this.db.kysely;
    const { rows: pos } = await dropshipPosWithoutParcels(k, p.shopId, p.orderId, 'wechat_dropship', 'Placed', 'Paid', 'NeedsAttention');
    if (!pos.length) return;
    await k.transaction().execute(async (trx) => {
      for (const po of pos) await enqueue(trx, trackJob(po.id), this.clock.now());
    });
  }

  /** The safety net: dropship purchase orders without parcels, not looked at for an hour. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const due = await dropshipPosNotTrackedSince(this.db.kysely, now - 3_600_000, 500);
    await this.db.kysely.transaction().execute(async (trx) => {
      for (const p of due) await enqueue(trx, trackJob(p.id), now);
    });
    return due.length;
  }
}
