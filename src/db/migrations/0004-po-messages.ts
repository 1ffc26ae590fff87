import type { Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

/** The communication thread of a purchase order (e-mail to a direct supplier, replies, operator records). */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await withId(db.schema.createTable('po_messages'), dialect)
    .addColumn('purchase_order_id', 'bigint', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull()) // out | in | note
    .addColumn('channel', 'text', (c) => c.notNull()) // email | im | operator | wechat
    .addColumn('status', 'text', (c) => c.notNull()) // sending | sent | received | recorded
    .addColumn('subject', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('po_messages_po').on('po_messages').columns(['purchase_order_id', 'id']).execute();
}
