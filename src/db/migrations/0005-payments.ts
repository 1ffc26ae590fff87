import type { Kysely } from 'kysely';
import { withId, type DialectName } from '../dialect.js';

/** Supplier payments (one intent per purchase order, keyed before any call) and the append-only money ledger. */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await withId(db.schema.createTable('payments'), dialect)
    .addColumn('purchase_order_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('pay_key', 'text', (c) => c.notNull().unique())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // AwaitingApproval | Paying | Paid | Rejected | Blocked | Failed
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reason', 'text')
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'bigint')
    .addColumn('supplier_trade_id', 'text')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('payments_status').on('payments').columns(['status', 'day']).execute();

  await withId(db.schema.createTable('ledger_entries'), dialect)
    .addColumn('shop_id', 'bigint', (c) => c.notNull())
    .addColumn('shop_order_id', 'bigint', (c) => c.notNull())
    .addColumn('purchase_order_id', 'bigint')
    .addColumn('kind', 'text', (c) => c.notNull()) // buyer_paid | supplier_paid | refund_to_buyer | refund_from_supplier | commission | correction
    .addColumn('amount', 'bigint', (c) => c.notNull()) // signed fen: money in > 0, money out < 0
    .addColumn('ref', 'text', (c) => c.notNull().unique())
    .addColumn('note', 'text')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ledger_order').on('ledger_entries').columns(['shop_order_id']).execute();
  await db.schema.createIndex('ledger_day').on('ledger_entries').columns(['shop_id', 'day']).execute();
}
