import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/** A line the buyer agreed to receive as another product (更换商品, with recorded consent): sourced from that offer. */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('shop_order_lines').addColumn('substitute_offer_ref', 'bigint').execute();
}
