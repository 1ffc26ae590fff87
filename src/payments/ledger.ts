import { assertFen } from '../domain/money-input.js';
import ExcelJS from 'exceljs';
import { formatYuan } from '../domain/money.js';
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Db } from '../db/dialect.js';
import { rowOrThrow } from '../db/lookups.js';
import { prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import type { Executor } from '../jobs/queue.js';
import { appendEvent } from '../lifecycle/apply-transition.js';
import { DaifaError } from '../lib/errors.js';
import { cnDate } from '../lib/cn-time.js';
import { toCsv } from '../sourcing/csv.js';

/**
 * 账本: append-only money entries tied to a shop order (and a purchase order where one is involved). Cash kinds
 * are signed fen (money in > 0, money out < 0) and sum to the profit; `supplier_payable` records what Daifa
 * owes a supplier (not cash; it is settled by `supplier_paid`). Corrections are new entries, never edits.
 */
export const CASH_KINDS = ['buyer_paid', 'supplier_paid', 'refund_to_buyer', 'refund_from_supplier', 'commission', 'correction'] as const;
export const PAYABLE_KINDS = ['supplier_payable'] as const;
export type ManualKind = 'refund_to_buyer' | 'refund_from_supplier' | 'commission' | 'correction';

const yuan = formatYuan;

export interface LedgerPosting {
  shopId: number;
  shopOrderId: number;
  purchaseOrderId?: number | null;
  kind: string;
  /** Signed fen: money in > 0, money out < 0 (payables < 0). */
  amount: number;
  /** Idempotency key: the same ref is posted once, whatever retries or crashes happen. */
  ref: string;
  note?: string | null;
  /** China date it counts for (default: today). */
  day?: string;
}

/** What a supplier has given back on one purchase order so far (partial refunds, or the whole), in fen. */
export async function refundedBySupplier(db: Executor, purchaseOrderId: number): Promise<number> {
  const r = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.sum<number>('amount').as('s'))
    .where('purchase_order_id', '=', purchaseOrderId)
    .where('kind', '=', 'refund_from_supplier')
    .executeTakeFirst();
  return Number(r?.s ?? 0);
}

/** What is owed to suppliers for one purchase order (supplier_payable entries, reversals included), in fen. */
export async function owedFor(db: Executor, purchaseOrderId: number): Promise<number> {
  const r = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.sum<number>('amount').as('s'))
    .where('purchase_order_id', '=', purchaseOrderId)
    .where('kind', '=', 'supplier_payable')
    .executeTakeFirst();
  return Number(r?.s ?? 0);
}

/** What was booked back to the buyer for one shop order under refs starting with `refPrefix`, in fen. */
export async function refundedToBuyer(db: Executor, shopOrderId: number, refPrefix: string): Promise<number> {
  const r = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.sum<number>('amount').as('s'))
    .where('shop_order_id', '=', shopOrderId)
    .where('kind', '=', 'refund_to_buyer')
    .where('ref', 'like', `${refPrefix}%`)
    .executeTakeFirst();
  return Number(r?.s ?? 0);
}

/** The one way money enters the ledger: append-only, once per `ref`. Returns the new row's id, if it was new. */
export async function post(trx: Executor, e: LedgerPosting, now: number): Promise<number | undefined> {
  const { rows } = await insertEntry(
    trx,
    e.shopId,
    e.shopOrderId,
    e.purchaseOrderId ?? null,
    e.kind,
    e.amount,
    e.ref,
    e.note ?? null,
    e.day ?? cnDate(now),
    now,
  );
  return rows[0]?.id;
}

// Three or more entries per order: compiled once (see prepared()).
const insertEntry = prepared(
  (
    db,
    shop_id: number,
    shop_order_id: number,
    purchase_order_id: number | null,
    kind: string,
    amount: number,
    ref: string,
    note: string | null,
    day: string,
    created_at: number,
  ) =>
    db
      .insertInto('ledger_entries')
      .values({ shop_id, shop_order_id, purchase_order_id, kind, amount, ref, note, day, created_at })
      .onConflict((oc) => oc.column('ref').doNothing())
      .returning('id'),
);

const payableOf = prepared((db, poId: number) =>
  db
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select(['p.shop_order_id', 'p.expected_amount', 'p.supplier_amount', 'p.out_order_id', 'o.shop_id'])
    .where('p.id', '=', poId),
);

/** What a placed purchase order obliges the merchant to pay (or a change of it, after an accepted price). */
export async function recordPayable(
  trx: Executor,
  poId: number,
  now: number,
  opts: { amount?: number; ref?: string; note?: string } = {},
): Promise<void> {
  const po = rowOrThrow((await payableOf(trx, poId)).rows[0], 'purchase_orders', poId);
  const amount = opts.amount ?? po.supplier_amount ?? po.expected_amount;
  await post(
    trx,
    {
      shopId: po.shop_id,
      shopOrderId: po.shop_order_id,
      purchaseOrderId: poId,
      kind: 'supplier_payable',
      amount: -amount,
      ref: opts.ref ?? `payable:${poId}`,
      note: opts.note ?? `应付供应商 ${po.out_order_id}`,
    },
    now,
  );
}

/** Platform commission once WeChat settles the order (settle_info.commission_fee, fen). */
export async function recordCommission(
  trx: Executor,
  input: { shopId: number; shopOrderId: number; wxOrderId: string; fee: number },
  now: number,
): Promise<void> {
  if (!(input.fee > 0)) return;
  await post(
    trx,
    {
      shopId: input.shopId,
      shopOrderId: input.shopOrderId,
      kind: 'commission',
      amount: -input.fee,
      ref: `commission:${input.shopId}:${input.wxOrderId}`,
      note: '微信小店技术服务费（结算）',
    },
    now,
  );
}

/**
 * A person records money that moved outside Daifa's own steps: a refund to the buyer, a refund from a supplier,
 * a commission, or a correction. Signs are checked per kind; a `ref` makes the call idempotent.
 */
export async function recordEntry(
  db: Db,
  input: { shopOrderId: number; purchaseOrderId?: number; kind: ManualKind; amount: number; note: string; ref?: string; actor: string },
  now: number,
): Promise<{ id: number; created: boolean }> {
  assertFen(input.amount);
  if (input.amount === 0) throw new DaifaError('VALIDATION', '金额以分为单位的非零整数 / amount in fen, non-zero integer');
  const sign: Record<ManualKind, number> = { refund_to_buyer: -1, refund_from_supplier: 1, commission: -1, correction: 0 };
  if (sign[input.kind] !== 0 && Math.sign(input.amount) !== sign[input.kind])
    throw new DaifaError(
      'VALIDATION',
      `${input.kind} 的金额应为${sign[input.kind] > 0 ? '正数（收入）' : '负数（支出）'} / wrong sign for ${input.kind}`,
    );
  if (!input.note.trim()) throw new DaifaError('VALIDATION', '请填写说明 / note required');
  return db.kysely.transaction().execute(async (trx) => {
    const order = await trx.selectFrom('shop_orders').select(['id', 'shop_id']).where('id', '=', input.shopOrderId).executeTakeFirst();
    if (!order) throw new DaifaError('NOT_FOUND', `订单 ${input.shopOrderId} 不存在`);
    if (input.purchaseOrderId !== undefined) {
      const po = await trx
        .selectFrom('purchase_orders')
        .select('id')
        .where('id', '=', input.purchaseOrderId)
        .where('shop_order_id', '=', order.id)
        .executeTakeFirst();
      if (!po) throw new DaifaError('VALIDATION', `采购单 ${input.purchaseOrderId} 不属于该订单`);
    }
    const ref = input.ref ? `manual:${input.ref}` : `manual:${randomUUID()}`;
    const id = await post(
      trx,
      {
        shopId: order.shop_id,
        shopOrderId: order.id,
        purchaseOrderId: input.purchaseOrderId,
        kind: input.kind,
        amount: input.amount,
        ref,
        note: `${input.note.trim()}（${input.actor}）`,
      },
      now,
    );
    if (id === undefined)
      return {
        id: (await trx.selectFrom('ledger_entries').select('id').where('ref', '=', ref).executeTakeFirstOrThrow()).id,
        created: false,
      };
    await appendEvent(
      trx,
      {
        entity: 'shop_order',
        id: order.id,
        shopOrderId: order.id,
        event: `ledger.${input.kind}`,
        actor: input.actor,
        note: `${yuan(input.amount)} ${input.note.trim()}`,
      },
      now,
    );
    return { id, created: true };
  });
}

export interface MoneySummary {
  revenue: number;
  supplierPaid: number;
  refundsToBuyer: number;
  refundsFromSuppliers: number;
  commission: number;
  corrections: number;
  profit: number;
  payableOutstanding: number;
}

export function summarize(entries: { kind: string; amount: number }[]): MoneySummary {
  const sum = (k: string) => entries.filter((e) => e.kind === k).reduce((s, e) => s + Number(e.amount), 0);
  const cash = entries.filter((e) => (CASH_KINDS as readonly string[]).includes(e.kind)).reduce((s, e) => s + Number(e.amount), 0);
  return {
    revenue: sum('buyer_paid'),
    supplierPaid: -sum('supplier_paid'),
    refundsToBuyer: -sum('refund_to_buyer'),
    refundsFromSuppliers: sum('refund_from_supplier'),
    commission: -sum('commission'),
    corrections: sum('correction'),
    profit: cash,
    // owed (payables, negative) − paid (negative) + refunded by suppliers: what is still to pay.
    payableOutstanding: -sum('supplier_payable') + sum('supplier_paid') + sum('refund_from_supplier'),
  };
}

/** Profit per day (China dates), from the ledger. */
export async function dailyMoney(db: Db, q: { shopId?: number; from: string; to: string }): Promise<({ day: string } & MoneySummary)[]> {
  let query = db.kysely
    .selectFrom('ledger_entries')
    .select(['day', 'kind', (eb) => eb.fn.sum<number>('amount').as('amount')])
    .where('day', '>=', q.from)
    .where('day', '<=', q.to)
    .groupBy(['day', 'kind'])
    .orderBy('day');
  if (q.shopId) query = query.where('shop_id', '=', q.shopId);
  const rows = await query.execute();
  const days = [...new Set(rows.map((r) => r.day))];
  return days.map((day) => ({
    day,
    ...summarize(rows.filter((r) => r.day === day).map((r) => ({ kind: r.kind, amount: Number(r.amount) }))),
  }));
}

export interface Difference {
  kind: 'LEDGER_MISSING' | 'LEDGER_AMOUNT' | 'PAID_VS_SUPPLIER_TOTAL' | 'PRICE_CHANGED' | 'LEDGER_WITHOUT_PAYMENT' | 'REVENUE_MISMATCH';
  shopOrderId: number;
  wxOrderId: string;
  purchaseOrderId: number | null;
  expected: number;
  actual: number;
  message: string;
  explanation?: string;
}

export interface Reconciliation {
  day: string;
  shopId: number | null;
  totals: {
    revenue: number;
    supplierOrderTotals: number;
    supplierPayments: number;
    ledgerSupplierPaid: number;
    commission: number;
    refunds: number;
    profit: number;
  };
  unexplained: Difference[];
  explained: Difference[];
}

/**
 * 每日对账: supplier payments vs supplier order totals vs shop revenue for one China day. Every difference is
 * listed; one is "explained" only when a person accepted it (a price change accepted with its margin re-checked).
 */
export async function reconcile(db: Db, q: { day: string; shopId?: number }): Promise<Reconciliation> {
  const k = db.kysely;
  const shopFilter = <T extends { where: (...a: any[]) => T }>(query: T, col: string): T =>
    q.shopId ? query.where(col, '=', q.shopId) : query;
  const payments = await shopFilter(
    k
      .selectFrom('payments as pay')
      .innerJoin('purchase_orders as p', 'p.id', 'pay.purchase_order_id')
      .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
      .select([
        'pay.id',
        'pay.amount',
        'pay.status',
        'p.id as poId',
        'p.expected_amount',
        'p.supplier_amount',
        'o.id as soId',
        'o.wx_order_id',
      ])
      .where('pay.status', '=', 'Paid')
      .where('pay.day', '=', q.day),
    'o.shop_id',
  ).execute();
  const ledger = await shopFilter(
    k
      .selectFrom('ledger_entries as l')
      .innerJoin('shop_orders as o', 'o.id', 'l.shop_order_id')
      .select(['l.kind', 'l.amount', 'l.ref', 'l.purchase_order_id', 'l.shop_order_id', 'o.wx_order_id', 'o.order_price'])
      .where('l.day', '=', q.day),
    'l.shop_id',
  ).execute();
  const placed = await shopFilter(
    k
      .selectFrom('purchase_orders as p')
      .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
      .select(['p.id', 'p.state', 'p.expected_amount', 'p.supplier_amount', 'p.readback', 'o.id as soId', 'o.wx_order_id'])
      .where('p.state', 'not in', ['Draft', 'Placing', 'Shadowed', 'Cancelled'])
      .where('p.created_at', '>=', Date.parse(`${q.day}T00:00:00+08:00`))
      .where('p.created_at', '<', Date.parse(`${q.day}T00:00:00+08:00`) + 86_400_000),
    'o.shop_id',
  ).execute();
  const accepted = new Map(
    (
      await k
        .selectFrom('cases')
        .select(['purchase_order_id', 'resolution', 'resolved_by'])
        .where('kind', '=', 'PRICE_CHANGED')
        .where('state', '=', 'Resolved')
        .execute()
    )
      .filter((c) => c.resolution?.startsWith('accept_price'))
      .map((c) => [Number(c.purchase_order_id), `${c.resolution}（${c.resolved_by}）`]),
  );

  const diffs: Difference[] = [];
  const ledgerByRef = new Map(ledger.map((l) => [l.ref, l]));
  for (const p of payments) {
    const agreed = p.supplier_amount ?? p.expected_amount;
    const entry = ledgerByRef.get(`pay:${p.id}`);
    if (!entry)
      diffs.push({
        kind: 'LEDGER_MISSING',
        shopOrderId: p.soId,
        wxOrderId: p.wx_order_id,
        purchaseOrderId: p.poId,
        expected: p.amount,
        actual: 0,
        message: `已付款 ${yuan(p.amount)} 但账本无记录`,
      });
    else if (-Number(entry.amount) !== p.amount)
      diffs.push({
        kind: 'LEDGER_AMOUNT',
        shopOrderId: p.soId,
        wxOrderId: p.wx_order_id,
        purchaseOrderId: p.poId,
        expected: p.amount,
        actual: -Number(entry.amount),
        message: `账本付款 ${yuan(-Number(entry.amount))} ≠ 付款 ${yuan(p.amount)}`,
      });
    if (p.amount !== agreed)
      diffs.push({
        kind: 'PAID_VS_SUPPLIER_TOTAL',
        shopOrderId: p.soId,
        wxOrderId: p.wx_order_id,
        purchaseOrderId: p.poId,
        expected: agreed,
        actual: p.amount,
        message: `付款 ${yuan(p.amount)} ≠ 供应商订单金额 ${yuan(agreed)}`,
      });
  }
  for (const p of placed) {
    const total = p.supplier_amount ?? (p.readback ? (JSON.parse(p.readback) as { total?: number }).total : undefined);
    if (total !== undefined && total !== null && total !== p.expected_amount) {
      const d: Difference = {
        kind: 'PRICE_CHANGED',
        shopOrderId: p.soId,
        wxOrderId: p.wx_order_id,
        purchaseOrderId: p.id,
        expected: p.expected_amount,
        actual: total,
        message: `供应商订单金额 ${yuan(total)} ≠ 下单预览 ${yuan(p.expected_amount)}（${total > p.expected_amount ? '涨价' : '降价'} ${yuan(Math.abs(total - p.expected_amount))}）`,
      };
      const why = accepted.get(p.id);
      diffs.push(why ? { ...d, explanation: why } : d);
    }
  }
  const paidRefs = new Set(payments.map((p) => `pay:${p.id}`));
  for (const l of ledger.filter((e) => e.kind === 'supplier_paid' && !paidRefs.has(e.ref))) {
    diffs.push({
      kind: 'LEDGER_WITHOUT_PAYMENT',
      shopOrderId: l.shop_order_id,
      wxOrderId: l.wx_order_id,
      purchaseOrderId: l.purchase_order_id,
      expected: 0,
      actual: -Number(l.amount),
      message: `账本付款 ${yuan(-Number(l.amount))} 无当日付款记录`,
    });
  }
  for (const l of ledger.filter((e) => e.kind === 'buyer_paid' && Number(e.amount) !== e.order_price)) {
    diffs.push({
      kind: 'REVENUE_MISMATCH',
      shopOrderId: l.shop_order_id,
      wxOrderId: l.wx_order_id,
      purchaseOrderId: null,
      expected: l.order_price,
      actual: Number(l.amount),
      message: `账本收入 ${yuan(Number(l.amount))} ≠ 订单实付 ${yuan(l.order_price)}`,
    });
  }
  const s = summarize(ledger.map((l) => ({ kind: l.kind, amount: Number(l.amount) })));
  return {
    day: q.day,
    shopId: q.shopId ?? null,
    totals: {
      revenue: s.revenue,
      supplierOrderTotals: payments.reduce((t, p) => t + (p.supplier_amount ?? p.expected_amount), 0),
      supplierPayments: payments.reduce((t, p) => t + p.amount, 0),
      ledgerSupplierPaid: s.supplierPaid,
      commission: s.commission,
      refunds: s.refundsToBuyer - s.refundsFromSuppliers,
      profit: s.profit,
    },
    unexplained: diffs.filter((d) => !d.explanation),
    explained: diffs.filter((d) => d.explanation),
  };
}

const REPORT_HEADER = ['类型 kind', '订单 order', '采购单 PO', '应为 expected (¥)', '实际 actual (¥)', '说明 message', '已解释 explained'];
const reportRows = (r: Reconciliation): (string | number)[][] =>
  [...r.unexplained, ...r.explained].map((d) => [
    d.kind,
    d.wxOrderId,
    d.purchaseOrderId ?? '',
    (d.expected / 100).toFixed(2),
    (d.actual / 100).toFixed(2),
    d.message,
    d.explanation ?? '',
  ]);
const totalRows = (r: Reconciliation): (string | number)[][] => [
  ['日期 day', r.day],
  ['店铺 shop', r.shopId ?? '全部 all'],
  ['收入 revenue (¥)', (r.totals.revenue / 100).toFixed(2)],
  ['供应商订单金额 supplier order totals (¥)', (r.totals.supplierOrderTotals / 100).toFixed(2)],
  ['供应商付款 supplier payments (¥)', (r.totals.supplierPayments / 100).toFixed(2)],
  ['账本供应商付款 ledger supplier paid (¥)', (r.totals.ledgerSupplierPaid / 100).toFixed(2)],
  ['平台佣金 commission (¥)', (r.totals.commission / 100).toFixed(2)],
  ['退款净额 refunds net (¥)', (r.totals.refunds / 100).toFixed(2)],
  ['利润 profit (¥)', (r.totals.profit / 100).toFixed(2)],
  ['未解释差异 unexplained', r.unexplained.length],
];

export function reconciliationCsv(r: Reconciliation): string {
  return toCsv([...totalRows(r), [], REPORT_HEADER, ...reportRows(r)]);
}

export async function reconciliationXlsx(r: Reconciliation): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sum = wb.addWorksheet('汇总');
  for (const row of totalRows(r)) sum.addRow(row);
  sum.getColumn(1).width = 40;
  sum.getColumn(2).width = 20;
  const ws = wb.addWorksheet('差异');
  ws.addRow(REPORT_HEADER);
  for (const row of reportRows(r)) ws.addRow(row);
  ws.getRow(1).font = { bold: true };
  ws.columns.forEach((c) => (c.width = 20));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export type { Transaction, Database };
