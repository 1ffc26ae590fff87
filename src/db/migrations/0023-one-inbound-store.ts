import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * One inbound store: 1688 messages join WeChat Shop pushes in `inbound_events` (source '1688', shop 0, dedup key
 * the msgId), so both are verified, stored once and turned into jobs the same way. The messages already received
 * are copied over first — a message 1688 sends again after the upgrade is still recognised as seen.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await sql`INSERT INTO inbound_events (source, shop_id, dedup_key, event_type, external_id, payload, received_at)
    SELECT '1688', 0, msg_id, type, supplier_order_id, body, received_at FROM supplier_messages WHERE true
    ON CONFLICT (source, shop_id, dedup_key) DO NOTHING`.execute(db);
  await db.schema.dropTable('supplier_messages').execute();
}
