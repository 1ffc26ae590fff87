import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * How many password-free pay calls a payment may make. Three by default; when a person retries a failed payment
 * (the balance topped up, the agreement signed), three more — the calls already made stay counted.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('payments')
    .addColumn('max_calls', 'integer', (c) => c.notNull().defaultTo(3))
    .execute();
}
