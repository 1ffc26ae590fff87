import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * WeChat answers each delivery/send with a `channels_ec_order_deliver` push. Daifa counts the pushes its own
 * sends will cause (and whether the last send completed the order), so such an echo is not re-read with
 * order/get: Daifa already knows what it shipped. A push Daifa did not cause still is.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('shop_orders')
    .addColumn('deliver_echoes', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('shop_orders')
    .addColumn('deliver_echo_finish', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
