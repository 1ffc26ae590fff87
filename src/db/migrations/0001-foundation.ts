import { sql, type Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await withId(db.schema.createTable('shops'), dialect)
    .addColumn('shop_key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('app_secret_enc', 'text', (c) => c.notNull())
    .addColumn('push_token_enc', 'text', (c) => c.notNull())
    .addColumn('aes_key_enc', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().defaultTo('live'))
    .addColumn('is_sandbox', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('poll_cursor_s', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('shops_app_id').on('shops').column('app_id').execute();

  await withId(db.schema.createTable('users'), dialect)
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('api_tokens'), dialect)
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();

  await withId(db.schema.createTable('inbound_events'), dialect)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('shop_id', 'bigint', (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('inbound_events_dedup', ['source', 'shop_id', 'dedup_key'])
    .execute();

  await withId(db.schema.createTable('shop_orders'), dialect)
    .addColumn('shop_id', 'bigint', (c) => c.notNull().references('shops.id'))
    .addColumn('wx_order_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('wx_status', 'integer', (c) => c.notNull())
    .addColumn('wx_create_time_s', 'bigint', (c) => c.notNull())
    .addColumn('wx_update_time_s', 'bigint', (c) => c.notNull())
    .addColumn('pay_time_s', 'bigint')
    .addColumn('order_price', 'bigint', (c) => c.notNull())
    .addColumn('product_price', 'bigint', (c) => c.notNull())
    .addColumn('freight', 'bigint', (c) => c.notNull())
    .addColumn('customer_notes', 'text', (c) => c.notNull())
    .addColumn('merchant_notes', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('address_hash', 'text')
    .addColumn('special_requests', 'text', (c) => c.notNull())
    .addColumn('review_reasons', 'text', (c) => c.notNull())
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('shop_orders_wx', ['shop_id', 'wx_order_id'])
    .execute();
  await db.schema.createIndex('shop_orders_state_created').on('shop_orders').columns(['state', 'created_at']).execute();
  await db.schema.createIndex('shop_orders_created').on('shop_orders').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('shop_orders_address_hash').on('shop_orders').columns(['shop_id', 'address_hash']).execute();

  await withId(db.schema.createTable('shop_order_lines'), dialect)
    .addColumn('shop_order_id', 'bigint', (c) => c.notNull().references('shop_orders.id'))
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('sku_id', 'text', (c) => c.notNull())
    .addColumn('product_unique_id', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('sku_attrs', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('unit_price', 'bigint', (c) => c.notNull())
    .addColumn('paid_amount', 'bigint', (c) => c.notNull())
    .addColumn('delivery_deadline_s', 'bigint')
    .addColumn('on_aftersale_cnt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('finish_aftersale_cnt', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('shop_order_lines_no', ['shop_order_id', 'line_no'])
    .execute();

  await withId(db.schema.createTable('order_events'), dialect)
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'bigint', (c) => c.notNull())
    .addColumn('shop_order_id', 'bigint')
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('data', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('order_events_entity').on('order_events').columns(['entity_type', 'entity_id', 'id']).execute();
  await db.schema.createIndex('order_events_shop_order').on('order_events').columns(['shop_order_id', 'id']).execute();

  await withId(db.schema.createTable('jobs'), dialect)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('locked_by', 'text')
    .addColumn('singleton_key', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_at']).execute();
  // At most one *pending* copy per singleton key; a running copy may coexist with one pending follow-up.
  await db.schema
    .createIndex('jobs_singleton_pending')
    .on('jobs')
    .column('singleton_key')
    .unique()
    .where(sql.ref('status'), '=', 'pending')
    .execute();

  await withId(db.schema.createTable('job_runs'), dialect)
    .addColumn('job_id', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('outcome', 'text')
    .execute();
  await db.schema.createIndex('job_runs_job').on('job_runs').columns(['job_id']).execute();

  await withId(db.schema.createTable('decode_log'), dialect)
    .addColumn('shop_id', 'bigint', (c) => c.notNull())
    .addColumn('wx_order_id', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('decode_usage')
    .addColumn('shop_id', 'bigint', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('used', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('decode_usage_pk', ['shop_id', 'day'])
    .execute();

  await withId(db.schema.createTable('notifications'), dialect)
    .addColumn('shop_id', 'bigint')
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
