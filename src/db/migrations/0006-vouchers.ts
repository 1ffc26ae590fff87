import type { Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

/**
 * Payment links and manual payments (who recorded what, with which reference) and vouchers: the files kept as
 * proof of a payment. Voucher bytes live in the database so that every machine of a multi-machine install sees
 * them (a local directory would not be shared); each is addressed by its SHA-256.
 */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('payments').addColumn('pay_url', 'text').execute();
  await db.schema.alterTable('payments').addColumn('paid_at', 'bigint').execute();
  await db.schema.alterTable('payments').addColumn('reference', 'text').execute();
  await db.schema.alterTable('payments').addColumn('recorded_by', 'text').execute();

  await withId(db.schema.createTable('vouchers'), dialect)
    .addColumn('payment_id', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull()) // upload | trade-record
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('supplier_trade_id', 'text')
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('vouchers_payment_sha').on('vouchers').columns(['payment_id', 'sha256']).unique().execute();
}
