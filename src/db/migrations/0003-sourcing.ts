import type { Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

/** Suppliers, offers, SKU mappings, sourcing decisions, purchase orders (采购单), cases, 1688 accounts. */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await withId(db.schema.createTable('suppliers'), dialect)
    .addColumn('kind', 'text', (c) => c.notNull()) // '1688' | 'wechat_dropship' | 'direct'
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text')
    .addColumn('login_id', 'text')
    .addColumn('credit_level', 'text')
    .addColumn('accepts_encrypted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('couriers', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('dropship_appid', 'text')
    .addColumn('email', 'text')
    .addColumn('im_contact', 'text')
    .addColumn('dispatch_cutoff', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('supplier_offers'), dialect)
    .addColumn('supplier_id', 'bigint', (c) => c.notNull().references('suppliers.id'))
    .addColumn('offer_id', 'text', (c) => c.notNull())
    .addColumn('spec_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('sku_attrs', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('unit_price', 'bigint', (c) => c.notNull())
    .addColumn('moq', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('stock', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('freight', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('lead_time_hours', 'integer', (c) => c.notNull().defaultTo(24))
    .addColumn('refreshed_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('supplier_offers_spec', ['supplier_id', 'offer_id', 'spec_id'])
    .execute();

  await withId(db.schema.createTable('sku_mappings'), dialect)
    .addColumn('shop_id', 'bigint', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('sku_id', 'text', (c) => c.notNull())
    .addColumn('offer_ref', 'bigint', (c) => c.notNull().references('supplier_offers.id'))
    .addColumn('quantity_per_unit', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('bundle_key', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sku_mappings_sku').on('sku_mappings').columns(['shop_id', 'product_id', 'sku_id']).execute();

  await withId(db.schema.createTable('sourcing_decisions'), dialect)
    .addColumn('shop_order_id', 'bigint', (c) => c.notNull())
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('chosen', 'text')
    .addColumn('candidates', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('override_by', 'text')
    .addColumn('override_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sourcing_decisions_order').on('sourcing_decisions').columns(['shop_order_id', 'line_no']).execute();

  await withId(db.schema.createTable('purchase_orders'), dialect)
    .addColumn('shop_order_id', 'bigint', (c) => c.notNull())
    .addColumn('supplier_id', 'bigint', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull()) // '1688' | 'wechat_dropship' | 'email'
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('out_order_id', 'text', (c) => c.notNull().unique())
    .addColumn('supplier_order_id', 'text')
    .addColumn('expected_amount', 'bigint', (c) => c.notNull())
    .addColumn('supplier_amount', 'bigint')
    .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('excluded_suppliers', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('readback', 'text')
    .addColumn('shadow', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('purchase_orders_shop_order').on('purchase_orders').columns(['shop_order_id']).execute();
  await db.schema.createIndex('purchase_orders_state').on('purchase_orders').columns(['state']).execute();

  await withId(db.schema.createTable('purchase_order_lines'), dialect)
    .addColumn('purchase_order_id', 'bigint', (c) => c.notNull())
    .addColumn('shop_order_line_no', 'integer', (c) => c.notNull())
    .addColumn('offer_ref', 'bigint', (c) => c.notNull())
    .addColumn('offer_id', 'text', (c) => c.notNull())
    .addColumn('spec_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('unit_price', 'bigint', (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('cases'), dialect)
    .addColumn('shop_order_id', 'bigint')
    .addColumn('purchase_order_id', 'bigint')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addColumn('actions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('resolution', 'text')
    .addColumn('resolved_by', 'text')
    .addColumn('dedup_key', 'text', (c) => c.unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('cases_state_kind').on('cases').columns(['state', 'kind']).execute();

  await withId(db.schema.createTable('supplier_accounts'), dialect)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('app_key', 'text', (c) => c.notNull())
    .addColumn('app_secret_enc', 'text', (c) => c.notNull())
    .addColumn('access_token_enc', 'text')
    .addColumn('access_expires_at', 'bigint')
    .addColumn('refresh_token_enc', 'text')
    .addColumn('refresh_expires_at', 'bigint')
    .addColumn('member_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
