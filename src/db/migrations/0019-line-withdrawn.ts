import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Units of a line a person decided not to fulfil, the buyer being refunded for them (退款给买家): sourcing leaves them
 * out from that moment, before WeChat shows the refund done (its `finish_aftersale_sku_cnt` follows).
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('shop_order_lines')
    .addColumn('withdrawn_cnt', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
