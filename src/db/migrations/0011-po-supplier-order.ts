import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/** Every 1688 message names its order by the supplier's id: found by index, not by scanning every purchase order. */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex('purchase_orders_supplier_order').on('purchase_orders').columns(['supplier_order_id']).execute();
}
