import type { Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

/** Delivery negotiations (发货协商): asking the buyer for a later ship date; the answer is the buyer's consent. */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await withId(db.schema.createTable('negotiations'), dialect)
    .addColumn('shop_order_id', 'bigint', (c) => c.notNull())
    .addColumn('predict_delivery_s', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'integer', (c) => c.notNull())
    .addColumn('remark', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull()) // Waiting | Agreed | Rejected | TimedOut
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('answered_at', 'bigint')
    .execute();
  await db.schema.createIndex('negotiations_order').on('negotiations').columns(['shop_order_id', 'state']).execute();
}
