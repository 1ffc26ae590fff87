import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The 1688 order flow per supplier (general 批发 / saleproxy 代销 / fenxiao 分销): set by a person, or learned from a
 * preview's `flowFlag` when not set (`purchase_flow_learned` = 1; a learned flow is forgotten when 1688 refuses it).
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('suppliers').addColumn('purchase_flow', 'text').execute();
  await db.schema
    .alterTable('suppliers')
    .addColumn('purchase_flow_learned', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
