import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Why a payment is Blocked, so that it can go on once the cause is gone: `limits` (the shop's caps or margin floor —
 * decided again when the limits change, on the next China day, or when the owner approves it over them) or
 * `amount` (the 1688 total differs from what was agreed — paid once the seller restores it or a person accepts the
 * new price). Payments blocked before this migration keep a null cause and wait for a person, as they did.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('payments').addColumn('block_cause', 'text').execute();
}
