import type { Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

/**
 * Fulfilment: supplier parcels with their lines and trace, the deliveries sent to WeChat Shop (one row per
 * waybill, idempotent), and 1688 messages (deduplicated on msgId; each only a hint to re-read).
 */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await withId(db.schema.createTable('packages'), dialect)
    .addColumn('shop_order_id', 'bigint', (c) => c.notNull())
    .addColumn('purchase_order_id', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()) // 1688 | manual | email | dropship
    .addColumn('logistics_id', 'text', (c) => c.notNull())
    .addColumn('courier_name', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull()) // WeChat courier code (OTHER when unknown)
    .addColumn('waybill_id', 'text', (c) => c.notNull())
    .addColumn('items', 'text', (c) => c.notNull()) // JSON [{specId, quantity}] in supplier units
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('shipped_at', 'bigint', (c) => c.notNull())
    .addColumn('picked_up_at', 'bigint')
    .addColumn('last_trace_at', 'bigint')
    .addColumn('signed_at', 'bigint')
    .addColumn('anomaly', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('packages_po_logistics').on('packages').columns(['purchase_order_id', 'logistics_id']).unique().execute();
  await db.schema.createIndex('packages_order').on('packages').columns(['shop_order_id']).execute();

  await withId(db.schema.createTable('trace_events'), dialect)
    .addColumn('package_id', 'bigint', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('remark', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('trace_events_unique').on('trace_events').columns(['package_id', 'at', 'remark']).unique().execute();

  await withId(db.schema.createTable('wx_deliveries'), dialect)
    .addColumn('shop_order_id', 'bigint', (c) => c.notNull())
    .addColumn('waybill_id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('product_infos', 'text', (c) => c.notNull()) // JSON [{product_id, sku_id, product_cnt}]
    .addColumn('package_ids', 'text', (c) => c.notNull()) // JSON: the supplier parcels behind it
    .addColumn('status', 'text', (c) => c.notNull()) // Sending | Sent | Failed
    .addColumn('updates', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('wx_deliveries_waybill').on('wx_deliveries').columns(['shop_order_id', 'waybill_id']).unique().execute();

  await withId(db.schema.createTable('supplier_messages'), dialect)
    .addColumn('msg_id', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('supplier_order_id', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('purchase_orders').addColumn('tracked_at', 'bigint').execute();
}
