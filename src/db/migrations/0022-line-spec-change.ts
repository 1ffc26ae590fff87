import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The spec a line is bought in when the buyer asked for another one in a note (请把颜色换成红色) and a person changed it
 * in review: sourcing looks up that SKU's suppliers; the WeChat line (and the parcels sent back) keep the bought SKU.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('shop_order_lines').addColumn('sourced_sku_id', 'text').execute();
}
