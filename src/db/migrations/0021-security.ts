import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The security review (issue 24): API tokens get an expiry (tokens made before this get a year from their creation)
 * and a scope (full | read). (Alert recipients are sealed inside the settings JSON itself: no column.)
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('api_tokens')
    .addColumn('expires_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('api_tokens')
    .addColumn('scope', 'text', (c) => c.notNull().defaultTo('full'))
    .execute();
  await sql`update api_tokens set expires_at = created_at + ${365 * 86_400_000}`.execute(db);
}
