import type { Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

/** Merchant alerts: per-shop rules, coalesced sends (batches) with rate windows, per-target send locks. */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('notifications')
    .addColumn('target', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.alterTable('notifications').addColumn('batch_id', 'bigint').execute();
  await db.schema.alterTable('notifications').addColumn('data', 'text').execute();
  await db.schema.createIndex('notifications_target_status').on('notifications').columns(['channel', 'target', 'status', 'id']).execute();
  await db.schema.createIndex('notifications_shop_status').on('notifications').columns(['shop_id', 'status']).execute();

  await db.schema
    .createTable('alert_settings')
    .addColumn('shop_id', 'bigint', (c) => c.primaryKey())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('notification_batches'), dialect)
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('item_count', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('notification_batches_window')
    .on('notification_batches')
    .columns(['channel', 'target', 'created_at'])
    .execute();

  await db.schema
    .createTable('alert_target_locks')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('locked_until', 'bigint', (c) => c.notNull())
    .execute();
}
