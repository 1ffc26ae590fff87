import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The Daifa processes that are running (serve, worker), each seen at its last heartbeat. Processes that call the
 * WeChat and 1688 APIs share each credential's rate limit: each paces itself to 1 / (live processes) of it.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('daifa_processes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('daifa_processes_seen').on('daifa_processes').column('seen_at').execute();
}
