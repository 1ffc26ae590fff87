import type { Executor } from '../dialect.js';
import { prepared, preparedInsert } from '../prepared.js';
import type { Updateable } from 'kysely';
import type { PackagesTable } from '../schema.js';
import type { PurchaseOrderState } from '../../domain/purchase-order.lifecycle.js';
import type { DeliveryState } from '../../domain/fulfilment.lifecycle.js';

/**
 * Deliveries: the supplier parcels Daifa recorded (packages), what it sent WeChat for them (wx_deliveries) and the
 * delivery columns of a shop order (WeChat's status, the pushes its own sends will echo). The only writer of these.
 */

// Read by every delivery sync (at least one per shop order): compiled once (see prepared()).
export const orderToDeliver = prepared((db, id: number) =>
  db.selectFrom('shop_orders').select(['id', 'shop_id', 'wx_order_id', 'state']).where('id', '=', id),
);
export const livePos = prepared((db, shopOrderId: number, a: PurchaseOrderState, b: PurchaseOrderState, c: PurchaseOrderState) =>
  db
    .selectFrom('purchase_orders')
    .select(['id'])
    .where('shop_order_id', '=', shopOrderId)
    .where('state', 'not in', [a, b, c])
    .orderBy('id'),
);
export const packagesOf = prepared((db, shopOrderId: number) =>
  db
    .selectFrom('packages')
    .select(['id', 'purchase_order_id', 'delivery_id', 'waybill_id', 'items', 'shipped_at'])
    .where('shop_order_id', '=', shopOrderId)
    .orderBy('shipped_at')
    .orderBy('id'),
);
export const deliveriesOf = prepared((db, shopOrderId: number) =>
  db.selectFrom('wx_deliveries').select(['waybill_id', 'product_infos', 'status']).where('shop_order_id', '=', shopOrderId).orderBy('id'),
);
export const deliveriesIn = prepared((db, shopOrderId: number, status: DeliveryState) =>
  db.selectFrom('wx_deliveries').selectAll().where('shop_order_id', '=', shopOrderId).where('status', '=', status),
);
/** Counts the push a send will cause — unless this send is already in flight (tried before: counted then). */
export const countEcho = prepared((db, finish: number, shopOrderId: number, waybillId: string, inFlight: number) =>
  db
    .updateTable('shop_orders')
    .set((eb) => ({
      deliver_echoes: eb(
        'deliver_echoes',
        '+',
        eb
          .case()
          .when(
            eb.exists(
              eb
                .selectFrom('wx_deliveries')
                .select('id')
                .where('shop_order_id', '=', shopOrderId)
                .where('waybill_id', '=', waybillId)
                .where('in_flight', '=', inFlight),
            ),
          )
          .then(0)
          .else(1)
          .end(),
      ), // literals (Kysely inlines numbers here; PostgreSQL could not type them as parameters)
      deliver_echo_finish: finish,
    }))
    .where('id', '=', shopOrderId),
);
/** The send, recorded before the call (a repeat of it overwrites the row: same waybill, in flight again). */
export const recordSending = preparedInsert(
  'wx_deliveries',
  [
    'shop_order_id',
    'waybill_id',
    'delivery_id',
    'product_infos',
    'package_ids',
    'status',
    'updates',
    'error',
    'in_flight',
    'created_at',
    'updated_at',
  ],
  (q) =>
    q.onConflict((oc) =>
      oc.columns(['shop_order_id', 'waybill_id']).doUpdateSet((eb) => ({
        product_infos: eb.ref('excluded.product_infos'),
        status: eb.ref('excluded.status'),
        in_flight: eb.ref('excluded.in_flight'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    ),
);
export const recordSent = prepared(
  (db, status: DeliveryState, error: string | null, inFlight: number, now: number, shopOrderId: number, waybillId: string) =>
    db
      .updateTable('wx_deliveries')
      .set({ status, error, in_flight: inFlight, updated_at: now })
      .where('shop_order_id', '=', shopOrderId)
      .where('waybill_id', '=', waybillId),
);
/** WeChat's order status after a send, never lowered: `to` only from one of the two statuses given. */
export const raiseWxStatus = prepared((db, to: number, shopOrderId: number, from1: number, from2: number) =>
  db.updateTable('shop_orders').set({ wx_status: to }).where('id', '=', shopOrderId).where('wx_status', 'in', [from1, from2]),
);

/** A parcel's tracking as recorded now (to compare with what WeChat was sent). */
export const parcelTracking = (ex: Executor, packageId: number) =>
  ex.selectFrom('packages').select(['waybill_id', 'delivery_id']).where('id', '=', packageId).executeTakeFirst();

/** A WeChat package follows its parcel's new tracking (`updates`: the count of deliveryinfo/update calls made, when one was). */
export async function followWaybill(
  ex: Executor,
  deliveryRowId: number,
  to: { waybill_id: string; delivery_id: string },
  now: number,
  updates?: number,
): Promise<void> {
  await ex
    .updateTable('wx_deliveries')
    .set({ waybill_id: to.waybill_id, delivery_id: to.delivery_id, updated_at: now, ...(updates === undefined ? {} : { updates }) })
    .where('id', '=', deliveryRowId)
    .execute();
}

/** A send WeChat refused (or never received) causes no push: no longer expected — once, however often it is said. */
export async function withdrawEcho(trx: Executor, shopOrderId: number, waybillId: string): Promise<void> {
  const r = await trx
    .updateTable('wx_deliveries')
    .set({ in_flight: 0 })
    .where('shop_order_id', '=', shopOrderId)
    .where('waybill_id', '=', waybillId)
    .where('in_flight', '=', 1)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 1)
    await trx
      .updateTable('shop_orders')
      .set((eb) => ({ deliver_echoes: eb('deliver_echoes', '-', 1) }))
      .where('id', '=', shopOrderId)
      .where('deliver_echoes', '>', 0)
      .execute();
}

// Every push that echoes a send (one per parcel): compiled once (see prepared()).
export const takeAnyEcho = prepared((db, one: number, shopId: number, wxOrderId: string, zero: number) =>
  db
    .updateTable('shop_orders')
    .set((eb) => ({ deliver_echoes: eb('deliver_echoes', '-', one) }))
    .where('shop_id', '=', shopId)
    .where('wx_order_id', '=', wxOrderId)
    .where('deliver_echoes', '>', zero),
);
export const takeFinishingEcho = prepared((db, one: number, shopId: number, wxOrderId: string, zero: number, finish: number) =>
  db
    .updateTable('shop_orders')
    .set((eb) => ({ deliver_echoes: eb('deliver_echoes', '-', one) }))
    .where('shop_id', '=', shopId)
    .where('wx_order_id', '=', wxOrderId)
    .where('deliver_echoes', '>', zero)
    .where('deliver_echo_finish', '=', finish),
);

/** A purchase order's parcels, with the units each holds (one read serves both the tracking run and the units count). */
export const packagesOfPo = prepared((db, poId: number) =>
  db
    .selectFrom('packages')
    .select(['id', 'logistics_id', 'waybill_id', 'delivery_id', 'status', 'items', 'anomaly', 'last_trace_at'])
    .where('purchase_order_id', '=', poId)
    .orderBy('id'),
);
export const insertPackage = preparedInsert(
  'packages',
  [
    'shop_order_id',
    'purchase_order_id',
    'source',
    'logistics_id',
    'courier_name',
    'delivery_id',
    'waybill_id',
    'items',
    'status',
    'shipped_at',
    'picked_up_at',
    'last_trace_at',
    'signed_at',
    'anomaly',
    'created_at',
    'updated_at',
  ],
  (q) => q.onConflict((oc) => oc.columns(['purchase_order_id', 'logistics_id']).doNothing()).returning('id'),
);
/** A trace step, once (the same step read again is ignored). */
export const insertTraceEvent = preparedInsert('trace_events', ['package_id', 'at', 'status', 'remark'], (q) =>
  q.onConflict((oc) => oc.columns(['package_id', 'at', 'remark']).doNothing()),
);

/** A parcel's recorded status, tracking, trace times or anomaly change. */
export async function updateParcel(ex: Executor, packageId: number, patch: Updateable<PackagesTable>): Promise<void> {
  await ex.updateTable('packages').set(patch).where('id', '=', packageId).execute();
}

/** A purchase order's parcels synced as OTHER (no known courier), or the one with this tracking number. */
export const parcelsWithoutCourier = (ex: Executor, purchaseOrderId: number, waybill?: string) => {
  let q = ex
    .selectFrom('packages')
    .select(['id', 'waybill_id'])
    .where('purchase_order_id', '=', purchaseOrderId)
    .where('delivery_id', '=', 'OTHER');
  if (waybill) q = q.where('waybill_id', '=', waybill);
  return q.execute();
};

/** A person named the WeChat courier of these parcels. */
export async function nameCourier(ex: Executor, packageIds: number[], deliveryId: string, now: number): Promise<void> {
  await ex.updateTable('packages').set({ delivery_id: deliveryId, updated_at: now }).where('id', 'in', packageIds).execute();
}

/** Parcels shipped before `shippedBefore`, not signed for and not flagged yet (the sweep looks for stalls among them). */
export const unsignedParcels = (ex: Executor, shippedBefore: number, limit: number) =>
  ex
    .selectFrom('packages as k')
    .innerJoin('shop_orders as o', 'o.id', 'k.shop_order_id')
    .select([
      'k.id',
      'k.purchase_order_id',
      'k.shop_order_id',
      'k.waybill_id',
      'k.shipped_at',
      'k.picked_up_at',
      'k.last_trace_at',
      'o.shop_id',
      'o.wx_order_id',
    ])
    .where('k.signed_at', 'is', null)
    .where('k.anomaly', 'is', null)
    .where('k.shipped_at', '<', shippedBefore)
    .limit(limit)
    .execute();

/** Whether a parcel was recorded for this purchase order. */
export async function hasParcel(ex: Executor, poId: number): Promise<boolean> {
  return (await ex.selectFrom('packages').select('id').where('purchase_order_id', '=', poId).executeTakeFirst()) !== undefined;
}

/** The shop-order lines whose purchase order has a parcel recorded. */
export async function parcelledLines(ex: Executor, shopOrderId: number): Promise<number[]> {
  const rows = await ex
    .selectFrom('purchase_order_lines as l')
    .innerJoin('packages as g', 'g.purchase_order_id', 'l.purchase_order_id')
    .select('l.shop_order_line_no')
    .where('g.shop_order_id', '=', shopOrderId)
    .execute();
  return rows.map((r) => r.shop_order_line_no);
}
