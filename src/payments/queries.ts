import type { Db } from '../db/dialect.js';
import { DaifaError } from '../lib/errors.js';
import type { PaymentStatus } from '../domain/payment.lifecycle.js';

/** The latest payments (filter: status), as stored. */
export async function listPayments(db: Db, q: { status?: PaymentStatus; limit?: number }) {
  let query = db.kysely
    .selectFrom('payments')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(q.limit ?? 200);
  if (q.status) query = query.where('status', '=', q.status);
  return query.execute();
}

/** The latest payments with their purchase order and WeChat order (for `daifa payments list`). */
export async function listPaymentsWithOrders(db: Db, q: { status?: PaymentStatus; limit?: number }) {
  let query = db.kysely
    .selectFrom('payments as pay')
    .innerJoin('purchase_orders as p', 'p.id', 'pay.purchase_order_id')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select([
      'pay.id',
      'pay.method',
      'pay.amount',
      'pay.status',
      'pay.reason',
      'pay.approved_by',
      'pay.supplier_trade_id',
      'p.id as poId',
      'o.wx_order_id',
      'pay.created_at',
    ])
    .orderBy('pay.id', 'desc')
    .limit(q.limit ?? 200);
  if (q.status) query = query.where('pay.status', '=', q.status);
  return query.execute();
}

/** What these payments add up to (fen). */
export async function paymentsTotal(db: Db, ids: number[]): Promise<number> {
  if (!ids.length) return 0;
  return Number(
    (
      await db.kysely
        .selectFrom('payments')
        .select((eb) => eb.fn.sum<number>('amount').as('t'))
        .where('id', 'in', ids)
        .executeTakeFirst()
    )?.t ?? 0,
  );
}

/** How many vouchers a payment holds already (it must exist). */
export async function voucherCount(db: Db, paymentId: number): Promise<number> {
  const pay = await db.kysely.selectFrom('payments').select('id').where('id', '=', paymentId).executeTakeFirst();
  if (!pay) throw new DaifaError('NOT_FOUND', `付款 ${paymentId} 不存在`);
  const held = await db.kysely
    .selectFrom('vouchers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('payment_id', '=', paymentId)
    .executeTakeFirstOrThrow();
  return Number(held.n);
}
