import type { Executor } from '../dialect.js';
import { dialectOf, lockRow } from '../dialect.js';
import { prepared, preparedInsert } from '../prepared.js';
import type { PaymentStatus } from '../../domain/payment.lifecycle.js';
import type { PurchaseOrderState as S } from '../../domain/purchase-order.lifecycle.js';

/**
 * 付款: what paying a supplier reads and writes besides the status moves (payment-status.ts) — the purchase order to
 * pay, the payment row written once per purchase order, the daily cap's running total, the pay-call claims, the
 * shop lock that serialises decisions. The hot statements are compiled once (see prepared()).
 */

export const poToPay = prepared((db, poId: number) =>
  db
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select([
      'p.id',
      'p.state',
      'p.route',
      'p.shop_order_id',
      'p.supplier_order_id',
      'p.expected_amount',
      'p.supplier_amount',
      'p.out_order_id',
      'o.shop_id',
      'o.order_price',
      'o.wx_order_id',
      'o.state as order_state',
    ])
    .where('p.id', '=', poId),
);
export const insertPayment = preparedInsert(
  'payments',
  [
    'purchase_order_id',
    'shop_id',
    'pay_key',
    'method',
    'amount',
    'status',
    'attempts',
    'reason',
    'block_cause',
    'day',
    'created_at',
    'updated_at',
  ],
  (q) => q.returningAll(),
);
/** The daily cap's running total (one row; see migration 0016). */
export const dayTotal = prepared((db, shopId: number, day: string) =>
  db.selectFrom('payment_day_totals').select('amount').where('shop_id', '=', shopId).where('day', '=', day),
);
/** A live purchase order of the shop order still to be paid (any state but the five given). */
export const poNotPaid = prepared((db, shopOrderId: number, s1: S, s2: S, s3: S, s4: S, s5: S) =>
  db.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', shopOrderId).where('state', 'not in', [s1, s2, s3, s4, s5]),
);
/**
 * Paid, once: a payment already Paid is left as it is (the caller sees no row changed). The lifecycle lets every
 * other status become Paid (the money left: the truth is recorded), so `status != Paid` is its guard — compiled once,
 * this hot statement is the one status write that does not go through movePayment (a test checks the two agree).
 */
export const recordPaid = prepared(
  (db, paid: PaymentStatus, tradeId: string | null, paidAt: number, reference: string | null, actor: string, now: number, id: number) =>
    db
      .updateTable('payments')
      .set({ status: paid, supplier_trade_id: tradeId, paid_at: paidAt, reference, recorded_by: actor, updated_at: now })
      .where('id', '=', id)
      .where('status', '!=', paid),
);
/** One payment decision per shop at a time (PostgreSQL row lock; SQLite's writer lock already serialises). */
export const lockShop = prepared((db, shopId: number) =>
  db
    .selectFrom('shops')
    .select('id')
    .where('id', '=', shopId)
    .modifyEnd(lockRow(dialectOf(db))),
);
/** What the shop order's live purchase orders cost (the margin check). */
export const orderCosts = prepared((db, shopOrderId: number, cancelled: S, shadowed: S) =>
  db
    .selectFrom('purchase_orders')
    .select((eb) => eb.fn.sum<number>(eb.fn.coalesce('supplier_amount', 'expected_amount')).as('s'))
    .where('shop_order_id', '=', shopOrderId)
    .where('state', 'not in', [cancelled, shadowed]),
);
/** Claims the next pay call: the first unconditionally, later ones only once the previous call's lease is over. */
export const claimFirstCall = prepared((db, attempts: number, now: number, id: number, status: PaymentStatus, seen: number) =>
  db
    .updateTable('payments')
    .set({ attempts, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', status)
    .where('attempts', '=', seen),
);
export const claimNextCall = prepared(
  (db, attempts: number, now: number, id: number, status: PaymentStatus, seen: number, leaseOver: number) =>
    db
      .updateTable('payments')
      .set({ attempts, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', status)
      .where('attempts', '=', seen)
      .where('updated_at', '<=', leaseOver),
);

/** Limits decided again later (defer) or a person must lift them (block): the reason is kept, the status stays Blocked. */
export async function blockedByLimits(ex: Executor, paymentId: number, reason: string, now?: number): Promise<void> {
  await ex
    .updateTable('payments')
    .set({ block_cause: 'limits', reason, ...(now !== undefined ? { updated_at: now } : {}) })
    .where('id', '=', paymentId)
    .where('status', '=', 'Blocked')
    .execute();
}

/** A payment with its purchase order's shop order (a person's retry). */
export const paymentWithOrder = (ex: Executor, purchaseOrderId: number) =>
  ex
    .selectFrom('payments as pay')
    .innerJoin('purchase_orders as po', 'po.id', 'pay.purchase_order_id')
    .select(['pay.id', 'pay.status', 'pay.method', 'pay.attempts', 'po.shop_order_id'])
    .where('pay.purchase_order_id', '=', purchaseOrderId)
    .executeTakeFirst();

/** A payment with its purchase order and shop order (an approval). */
export const paymentToApprove = (ex: Executor, paymentId: number) =>
  ex
    .selectFrom('payments as pay')
    .innerJoin('purchase_orders as po', 'po.id', 'pay.purchase_order_id')
    .innerJoin('shop_orders as o', 'o.id', 'po.shop_order_id')
    .select(['pay.id', 'pay.status', 'pay.method', 'pay.amount', 'po.id as poId', 'po.shop_order_id', 'o.shop_id', 'o.wx_order_id'])
    .where('pay.id', '=', paymentId)
    .executeTakeFirst();

/** Some payments by id, in id order (PostgreSQL returns an IN list in whatever order the rows lie). */
export const paymentsByIds = (ex: Executor, ids: number[]) =>
  ex.selectFrom('payments').selectAll().where('id', 'in', ids).orderBy('id').execute();

/** Whether a person uploaded a voucher for the payment. */
export async function hasUploadedVoucher(ex: Executor, paymentId: number): Promise<boolean> {
  const row = await ex
    .selectFrom('vouchers')
    .select('id')
    .where('payment_id', '=', paymentId)
    .where('kind', '=', 'upload')
    .executeTakeFirst();
  return row !== undefined;
}
