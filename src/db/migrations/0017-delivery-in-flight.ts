import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * A delivery/send in flight: its echo push is counted on the shop order (0014) and the send has not finished. A send
 * that is tried again after a crash or an outage finds its row still in flight and does not count the push a second
 * time (the counter used to keep one too many, and would then have swallowed a push Daifa did not cause). Rows left
 * `Sending` by the code before this migration were counted: they are in flight.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('wx_deliveries')
    .addColumn('in_flight', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.updateTable('wx_deliveries').set({ in_flight: 1 }).where('status', '=', 'Sending').execute();
}
