import type { Kysely, Selectable } from 'kysely';
import type {
  Database,
  PaymentsTable,
  PurchaseOrderLinesTable,
  PurchaseOrdersTable,
  ShopOrderLinesTable,
  ShopOrdersTable,
  SuppliersTable,
} from './schema.js';
import { prepared } from './prepared.js';

/**
 * The row reads every order makes several times (by id, by parent), compiled once (see prepared()): the order loop
 * runs about a hundred statements per order, and for these building the query cost more than running it.
 */
const byId = {
  shop_orders: prepared((db, id: number) => db.selectFrom('shop_orders').selectAll().where('id', '=', id)),
  purchase_orders: prepared((db, id: number) => db.selectFrom('purchase_orders').selectAll().where('id', '=', id)),
  payments: prepared((db, id: number) => db.selectFrom('payments').selectAll().where('id', '=', id)),
  suppliers: prepared((db, id: number) => db.selectFrom('suppliers').selectAll().where('id', '=', id)),
};
interface Rows {
  shop_orders: Selectable<ShopOrdersTable>;
  purchase_orders: Selectable<PurchaseOrdersTable>;
  payments: Selectable<PaymentsTable>;
  suppliers: Selectable<SuppliersTable>;
}

/** One row by its id, or undefined. */
export async function findById<T extends keyof typeof byId>(db: Kysely<Database>, table: T, id: number): Promise<Rows[T] | undefined> {
  return (await byId[table](db, id)).rows[0] as Rows[T] | undefined;
}

/**
 * The row a read (or an insert … returning) found, or the error every "must exist" read throws (as Kysely's
 * executeTakeFirstOrThrow); `key` names the row: its id, or the key it was written under.
 */
export function rowOrThrow<R>(row: R | undefined, table: keyof Database, key: number | string): R {
  if (!row) throw new Error(`no ${table} row ${key}`);
  return row;
}

/** One row by its id; throws when there is none. */
export async function getById<T extends keyof typeof byId>(db: Kysely<Database>, table: T, id: number): Promise<Rows[T]> {
  return rowOrThrow(await findById(db, table, id), table, id);
}

const linesOf = prepared((db, shopOrderId: number) =>
  db.selectFrom('shop_order_lines').selectAll().where('shop_order_id', '=', shopOrderId).orderBy('line_no'),
);
/** A shop order's lines in line order. */
export async function orderLines(db: Kysely<Database>, shopOrderId: number): Promise<Selectable<ShopOrderLinesTable>[]> {
  return (await linesOf(db, shopOrderId)).rows;
}

const paymentOfPo = prepared((db, purchaseOrderId: number) =>
  db.selectFrom('payments').selectAll().where('purchase_order_id', '=', purchaseOrderId),
);
/** The payment of a purchase order (at most one: purchase_order_id is unique). */
export async function paymentOf(db: Kysely<Database>, purchaseOrderId: number): Promise<Selectable<PaymentsTable> | undefined> {
  return (await paymentOfPo(db, purchaseOrderId)).rows[0];
}

const settingValue = prepared((db, key: string) => db.selectFrom('settings').select('value').where('key', '=', key));
/** A settings value by key. */
export async function setting(db: Kysely<Database>, key: string): Promise<string | undefined> {
  return (await settingValue(db, key)).rows[0]?.value;
}

/** A setting written (or overwritten). */
export async function saveSetting(ex: Kysely<Database>, key: string, value: string): Promise<void> {
  await ex
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

const linesOfPo = prepared((db, purchaseOrderId: number) =>
  db.selectFrom('purchase_order_lines').selectAll().where('purchase_order_id', '=', purchaseOrderId).orderBy('id'),
);
/** A purchase order's lines in the order they were written. */
export async function purchaseOrderLines(db: Kysely<Database>, purchaseOrderId: number): Promise<Selectable<PurchaseOrderLinesTable>[]> {
  return (await linesOfPo(db, purchaseOrderId)).rows;
}

const addressOf = prepared((db, shopOrderId: number) => db.selectFrom('shop_orders').select('address').where('id', '=', shopOrderId));
/** A shop order's stored (masked) address, as JSON text; throws when the order does not exist. */
export async function orderAddress(db: Kysely<Database>, shopOrderId: number): Promise<string> {
  return rowOrThrow((await addressOf(db, shopOrderId)).rows[0], 'shop_orders', shopOrderId).address;
}

/** The ids of one shop's orders, as a subquery (one shop's cases, payments …). */
export const shopOrderIdsOf = (k: Kysely<Database>, shopId: number) =>
  k.selectFrom('shop_orders').select('id').where('shop_id', '=', shopId);

/** Every shop's id, in entry order. */
export async function shopIds(db: Kysely<Database>): Promise<number[]> {
  return (await db.selectFrom('shops').select('id').orderBy('id').execute()).map((r) => r.id);
}
