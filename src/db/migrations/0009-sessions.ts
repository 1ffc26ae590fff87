import type { Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

/** Browser sessions (dashboard) and failed logins (rate limit shared by every machine). */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await withId(db.schema.createTable('sessions'), dialect)
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('csrf', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await withId(db.schema.createTable('login_failures'), dialect)
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_failures_key').on('login_failures').columns(['key', 'at']).execute();
  // The dashboard's reads with years of orders (bench/api): purchase orders newest first (all, or by state), orders
  // of one shop in a date range, the cases of an order.
  await db.schema.createIndex('purchase_orders_created').on('purchase_orders').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('purchase_orders_state_created').on('purchase_orders').columns(['state', 'created_at']).execute();
  await db.schema.createIndex('shop_orders_shop_created').on('shop_orders').columns(['shop_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('cases_order').on('cases').columns(['shop_order_id']).execute();
  // Looking an order up by its WeChat id alone (detail pages, search by order id): the unique key leads with shop_id.
  await db.schema.createIndex('shop_orders_wx_order').on('shop_orders').columns(['wx_order_id']).execute();
  await db.schema.createIndex('shop_orders_paid').on('shop_orders').columns(['pay_time_s']).execute();
}
