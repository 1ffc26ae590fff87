import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Found by bench/pipeline at 10,000 orders, where each of these turned a per-order lookup into a scan:
 * - purchase-order lines are always read by their purchase order;
 * - the daily payment cap sums the shop's payments of the day: payments carry their shop, and the sum walks a
 *   covering index of that shop's day instead of every shop's payments of the day joined back to their orders.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex('purchase_order_lines_po').on('purchase_order_lines').columns(['purchase_order_id']).execute();
  await db.schema.alterTable('payments').addColumn('shop_id', 'bigint').execute();
  await sql`update payments set shop_id = (select o.shop_id from purchase_orders p join shop_orders o on o.id = p.shop_order_id where p.id = payments.purchase_order_id)`.execute(
    db,
  );
  await db.schema.createIndex('payments_shop_day').on('payments').columns(['shop_id', 'day', 'status', 'amount']).execute();
}
