import { sql } from 'kysely';
import type { Db } from '../db/dialect.js';
import { cnDate, cnDayStart } from '../lib/cn-time.js';
import { DaifaError } from '../lib/errors.js';
import { dailyMoney, summarize } from '../payments/ledger.js';
import { describeRequests, emptyRequests } from '../domain/special-requests.js';
import { stats } from '../orders/queries.js';
import { shopOrderIdsOf } from '../db/lookups.js';
import { dispatchTimes, hoursBySupplier, quantile, transitTimes } from '../db/repositories/supplier-history.js';
import type { PurchaseOrderState } from '../domain/purchase-order.lifecycle.js';
import type { ShopOrderState } from '../domain/shop-order.lifecycle.js';

const CN_S = 8 * 3600;
const DAY_MS = 86_400_000;

/** 工作台: everything the overview page shows, in one call. */
export async function overview(db: Db, now: number, shopId?: number) {
  const k = db.kysely;
  const today = cnDate(now);
  const from = cnDate(now - 13 * DAY_MS);
  const startS = cnDayStart(now) / 1000;
  let paidToday = k
    .selectFrom('shop_orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('pay_time_s', '>=', startS);
  if (shopId) paidToday = paidToday.where('shop_id', '=', shopId);
  // Orders per China day, bucketed in SQL (integer division works the same on SQLite and PostgreSQL).
  const bucket = sql<number>`(pay_time_s + ${sql.lit(CN_S)}) / 86400`;
  let perDay = k
    .selectFrom('shop_orders')
    .select([bucket.as('d'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('pay_time_s', '>=', startS - 13 * 86_400)
    .groupBy(bucket);
  if (shopId) perDay = perDay.where('shop_id', '=', shopId);
  // With a shop chosen, its cases only (a case belongs to a shop through its order).
  const openCases = () =>
    k
      .selectFrom('cases')
      .where('state', '=', 'Open')
      .$if(shopId !== undefined, (q) => q.where('shop_order_id', 'in', shopOrderIdsOf(k, shopId!)));
  const [paid, s, days, orderDays, waiting, atRisk, failedAlerts] = await Promise.all([
    paidToday.executeTakeFirst(),
    stats(db, { shopId }),
    dailyMoney(db, { shopId, from, to: today }),
    perDay.execute(),
    openCases()
      .select(['id', 'kind', 'message', 'shop_order_id', 'purchase_order_id', 'created_at'])
      .orderBy('created_at')
      .orderBy('id')
      .limit(10)
      .execute(),
    openCases()
      .select(['id', 'message', 'shop_order_id', 'purchase_order_id', 'created_at'])
      .where('kind', '=', 'DEADLINE_AT_RISK')
      .orderBy('created_at')
      .orderBy('id')
      .limit(10)
      .execute(),
    k
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'failed')
      .$if(shopId !== undefined, (q) => q.where('shop_id', '=', shopId!))
      .executeTakeFirst(),
  ]);
  const ordersByDay = new Map(orderDays.map((r) => [new Date(Number(r.d) * DAY_MS).toISOString().slice(0, 10), Number(r.n)]));
  const chart = [];
  for (let i = 13; i >= 0; i--) {
    const day = cnDate(now - i * DAY_MS);
    const m = days.find((d) => d.day === day);
    chart.push({ day, orders: ordersByDay.get(day) ?? 0, revenue: m?.revenue ?? 0, profit: m?.profit ?? 0 });
  }
  return {
    today,
    paidToday: Number(paid?.n ?? 0),
    money: await todaysMoney(db, today, shopId),
    todo: await todo(db, shopId),
    pipeline: s.shopOrders.byState,
    purchaseOrders: s.purchaseOrders.byState,
    openCases: s.openCases,
    casesWaiting: waiting,
    deadlinesAtRisk: atRisk,
    failedAlerts: Number(failedAlerts?.n ?? 0),
    deadJobs: s.jobs.dead,
    chart,
  };
}

/** 采购单 list: newest first, keyset on (created_at, id). */
export async function listPurchaseOrders(
  db: Db,
  f: { state?: PurchaseOrderState; route?: string; q?: string; limit?: number; cursor?: string },
) {
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
  let q = db.kysely
    .selectFrom('purchase_orders as p')
    .innerJoin('suppliers as s', 's.id', 'p.supplier_id')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select([
      'p.id',
      'p.shop_order_id',
      'o.wx_order_id',
      'p.state',
      'p.route',
      'p.supplier_order_id',
      'p.expected_amount',
      'p.supplier_amount',
      'p.readback',
      'p.shadow',
      'p.created_at',
      's.name as supplier',
    ])
    .orderBy('p.created_at', 'desc')
    .orderBy('p.id', 'desc')
    .limit(limit + 1);
  if (f.state) q = q.where('p.state', '=', f.state);
  if (f.route) q = q.where('p.route', '=', f.route);
  if (f.q)
    q = q.where((eb) => eb.or([eb('p.supplier_order_id', '=', f.q!), eb('o.wx_order_id', '=', f.q!), eb('p.out_order_id', '=', f.q!)]));
  if (f.cursor) {
    const m = /^(\d+):(\d+)$/.exec(Buffer.from(f.cursor, 'base64url').toString());
    if (!m) throw new DaifaError('VALIDATION', 'cursor 无效 / invalid cursor');
    const [c, id] = [Number(m[1]), Number(m[2])];
    q = q.where((eb) => eb.or([eb('p.created_at', '<', c), eb.and([eb('p.created_at', '=', c), eb('p.id', '<', id)])]));
  }
  const rows = await q.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    purchaseOrders: page.map((r) => ({
      id: r.id,
      shopOrderId: r.shop_order_id,
      wxOrderId: r.wx_order_id,
      state: r.state,
      route: r.route,
      supplier: r.supplier,
      supplierOrderId: r.supplier_order_id,
      expectedAmount: r.expected_amount,
      supplierAmount: r.supplier_amount,
      // The read-back check: the supplier's total equals what Daifa expected.
      readbackOk: r.supplier_amount === null ? null : Number(r.supplier_amount) === Number(r.expected_amount),
      shadow: r.shadow === 1,
      createdAt: r.created_at,
    })),
    nextCursor: rows.length > limit && last ? Buffer.from(`${last.created_at}:${last.id}`).toString('base64url') : null,
  };
}

/**
 * 供应商 scorecards from the merchant's own history: dispatch hours p50/p80 (payment → first parcel), transit hours
 * p50/p80 (dispatch → signed for), defect rate
 * (cancelled or needing attention), stock-out rate, price drift (supplier total vs expected), order count, and
 * orders per week for the last 8 weeks (the trend).
 */
export async function supplierScorecards(db: Db, now: number) {
  const k = db.kysely;
  const suppliers = await k
    .selectFrom('suppliers')
    .select(['id', 'name', 'kind', 'credit_level', 'active', 'accepts_encrypted', 'purchase_flow', 'purchase_flow_learned'])
    .orderBy('id')
    .execute();
  const pos = await k
    .selectFrom('purchase_orders')
    .select(['id', 'supplier_id', 'state', 'expected_amount', 'supplier_amount', 'created_at'])
    .where('shadow', '=', 0)
    .where('state', 'not in', ['Draft', 'Placing', 'Shadowed'])
    .where('created_at', '>=', now - 180 * DAY_MS)
    .execute();
  const dispatch = hoursBySupplier(await dispatchTimes(k, { paidSince: now - 180 * DAY_MS }));
  const transit = hoursBySupplier(await transitTimes(k, { shippedSince: now - 180 * DAY_MS }));
  const stockOuts = await k
    .selectFrom('cases as c')
    .innerJoin('purchase_orders as p', 'p.id', 'c.purchase_order_id')
    .select(['p.supplier_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('c.kind', 'in', ['SUPPLIER_STOCK_OUT', 'SUPPLIER_UNWIND'])
    .groupBy('p.supplier_id')
    .execute();
  const weekStart = now - 8 * 7 * DAY_MS;
  return suppliers.map((s) => {
    const mine = pos.filter((p) => p.supplier_id === s.id);
    const hours = dispatch.get(s.id) ?? [];
    const transitHours = transit.get(s.id) ?? [];
    const read = mine.filter((p) => p.supplier_amount !== null && Number(p.expected_amount) > 0);
    const drift = read.length
      ? read.reduce((a, p) => a + (Number(p.supplier_amount) - Number(p.expected_amount)) / Number(p.expected_amount), 0) / read.length
      : null;
    const trend = Array.from(
      { length: 8 },
      (_, i) => mine.filter((p) => p.created_at >= weekStart + i * 7 * DAY_MS && p.created_at < weekStart + (i + 1) * 7 * DAY_MS).length,
    );
    const so = Number(stockOuts.find((x) => x.supplier_id === s.id)?.n ?? 0);
    return {
      id: s.id,
      name: s.name,
      kind: s.kind,
      creditLevel: s.credit_level,
      /** The experimental encrypted 1688 route (off unless a person switched this supplier to it). */
      acceptsEncrypted: s.accepts_encrypted === 1,
      purchaseFlow: s.purchase_flow,
      purchaseFlowLearned: s.purchase_flow_learned === 1,
      active: s.active === 1,
      orders: mine.length,
      dispatchHoursP50: quantile(hours, 0.5),
      dispatchHoursP80: quantile(hours, 0.8),
      transitHoursP50: quantile(transitHours, 0.5),
      transitHoursP80: quantile(transitHours, 0.8),
      defectRate: mine.length ? mine.filter((p) => p.state === 'Cancelled' || p.state === 'NeedsAttention').length / mine.length : null,
      stockOutRate: mine.length ? so / mine.length : null,
      priceDrift: drift,
      trend,
    };
  });
}

/** 商品映射 as JSON rows for the editable table. */
export async function listMappings(db: Db, shopId: number) {
  const rows = await db.kysely
    .selectFrom('sku_mappings as m')
    .innerJoin('supplier_offers as o', 'o.id', 'm.offer_ref')
    .innerJoin('suppliers as s', 's.id', 'o.supplier_id')
    .select([
      'm.id',
      'm.product_id',
      'm.sku_id',
      'm.offer_ref',
      's.name as supplier',
      'o.offer_id',
      'o.spec_id',
      'o.title',
      'o.unit_price',
      'm.quantity_per_unit',
      'm.bundle_key',
      'm.priority',
      'm.enabled',
    ])
    .where('m.shop_id', '=', shopId)
    .orderBy('m.product_id')
    .orderBy('m.sku_id')
    .orderBy('m.id')
    .limit(5000)
    .execute();
  return rows.map((r) => ({ ...r, enabled: r.enabled === 1 }));
}

/**
 * 今日利润, honestly: for the orders the buyers paid today, what came in, what the suppliers were paid, what is
 * still owed to them (placed, not yet paid: expected cost), and the estimated profit of the orders that have a
 * supplier order. Orders with no supplier order yet (in review, waiting for a buyer, unmapped) have no cost to
 * subtract: they are counted apart as 待采购 instead of showing their whole amount as profit.
 */
export async function todaysMoney(db: Db, today: string, shopId?: number) {
  const k = db.kysely;
  const todays = k
    .selectFrom('ledger_entries')
    .select('shop_order_id')
    .where('kind', '=', 'buyer_paid')
    .where('day', '=', today)
    .$if(shopId !== undefined, (q) => q.where('shop_id', '=', shopId!));
  const rows = await k
    .selectFrom('ledger_entries')
    .select(['shop_order_id', 'kind', (eb) => eb.fn.sum<number>('amount').as('amount')])
    .where('shop_order_id', 'in', todays)
    .groupBy(['shop_order_id', 'kind'])
    .execute();
  const byOrder = new Map<number, { kind: string; amount: number }[]>();
  for (const r of rows)
    byOrder.set(Number(r.shop_order_id), [...(byOrder.get(Number(r.shop_order_id)) ?? []), { kind: r.kind, amount: Number(r.amount) }]);
  let revenue = 0;
  let paidCost = 0;
  let pendingCost = 0;
  let profit = 0;
  let unsourced = 0;
  let unsourcedRevenue = 0;
  // Refunds to buyers (less corrections of orders with a cost): so that revenue − cost − refunds − 待采购 = profit, as the cards show.
  let refunds = 0;
  for (const entries of byOrder.values()) {
    const m = summarize(entries);
    revenue += m.revenue;
    refunds += m.refundsToBuyer;
    const sourced = entries.some((e) => e.kind === 'supplier_payable' || e.kind === 'supplier_paid');
    if (!sourced && m.refundsToBuyer < m.revenue) {
      unsourced++;
      unsourcedRevenue += m.revenue - m.refundsToBuyer;
      continue;
    }
    refunds -= m.corrections;
    paidCost += m.supplierPaid - m.refundsFromSuppliers + m.commission;
    pendingCost += Math.max(0, m.payableOutstanding);
    profit += m.profit - Math.max(0, m.payableOutstanding);
  }
  return {
    revenue,
    paidCost,
    pendingCost,
    cost: paidCost + pendingCost,
    refunds,
    profit,
    unsourced: { orders: unsourced, revenue: unsourcedRevenue },
  };
}

/**
 * 工作台 待办: what waits for a person, per kind, each with the list it opens (so the count is the list's length):
 * orders to review, orders waiting for a buyer's answer, price changes to accept, payments to approve (with their
 * total), ship-by deadlines at risk, refunds to the buyer WeChat refused.
 */
export async function todo(db: Db, shopId?: number) {
  const k = db.kysely;
  const orders = (state: ShopOrderState) =>
    k
      .selectFrom('shop_orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', state)
      .$if(shopId !== undefined, (q) => q.where('shop_id', '=', shopId!))
      .executeTakeFirst()
      .then((r) => Number(r?.n ?? 0));
  const cases = (kind: string) =>
    k
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'Open')
      .where('kind', '=', kind)
      .$if(shopId !== undefined, (q) => q.where('shop_order_id', 'in', shopOrderIdsOf(k, shopId!)))
      .executeTakeFirst()
      .then((r) => Number(r?.n ?? 0));
  const approvals = await k
    .selectFrom('payments as p')
    .innerJoin('purchase_orders as po', 'po.id', 'p.purchase_order_id')
    .innerJoin('shop_orders as o', 'o.id', 'po.shop_order_id')
    .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('p.amount').as('total')])
    .where('p.status', '=', 'AwaitingApproval')
    .$if(shopId !== undefined, (q) => q.where('o.shop_id', '=', shopId!))
    .executeTakeFirst();
  const [needsReview, awaitingBuyer, priceChanged, deadlineRisk, refundFailed] = await Promise.all([
    orders('NeedsReview'),
    orders('AwaitingBuyer'),
    cases('PRICE_CHANGED'),
    cases('DEADLINE_AT_RISK'),
    cases('REFUND_FAILED'),
  ]);
  return {
    needsReview: { count: needsReview, link: '/orders?state=NeedsReview' },
    awaitingBuyer: { count: awaitingBuyer, link: '/orders?state=AwaitingBuyer' },
    priceChanged: { count: priceChanged, link: '/cases?kind=PRICE_CHANGED' },
    approvals: { count: Number(approvals?.n ?? 0), total: Number(approvals?.total ?? 0), link: '/money' },
    deadlineRisk: { count: deadlineRisk, link: '/cases?kind=DEADLINE_AT_RISK' },
    refundFailed: { count: refundFailed, link: '/cases?kind=REFUND_FAILED' },
  };
}

/**
 * 待审批付款, as an owner decides them: which WeChat order, which product, which supplier, how much, and the margin
 * left if it is paid (the order's revenue less every supplier amount of the order). Oldest first, keyset pages,
 * with the count and the total of the whole queue.
 */
export async function approvalQueue(db: Db, q: { shopId?: number; limit?: number; cursor?: number }) {
  const k = db.kysely;
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
  const base = k
    .selectFrom('payments as p')
    .innerJoin('purchase_orders as po', 'po.id', 'p.purchase_order_id')
    .innerJoin('shop_orders as o', 'o.id', 'po.shop_order_id')
    .innerJoin('suppliers as s', 's.id', 'po.supplier_id')
    .where('p.status', '=', 'AwaitingApproval')
    .$if(q.shopId !== undefined, (x) => x.where('o.shop_id', '=', q.shopId!));
  const rows = await base
    .select([
      'p.id',
      'p.amount',
      'p.method',
      'p.created_at',
      'p.reason',
      'po.id as purchaseOrderId',
      'o.id as shopOrderId',
      'o.wx_order_id as wxOrderId',
      'o.order_price as orderPrice',
      's.name as supplier',
    ])
    .$if(q.cursor !== undefined, (x) => x.where('p.id', '>', q.cursor!))
    .orderBy('p.id')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const orderIds = [...new Set(page.map((r) => r.shopOrderId))];
  const titles = orderIds.length
    ? await k
        .selectFrom('shop_order_lines')
        .select(['shop_order_id', 'title', 'quantity'])
        .where('shop_order_id', 'in', orderIds)
        .orderBy('line_no')
        .execute()
    : [];
  const costs = orderIds.length
    ? await k
        .selectFrom('purchase_orders')
        .select(['shop_order_id', (eb) => eb.fn.sum<number>(eb.fn.coalesce('supplier_amount', 'expected_amount')).as('cost')])
        .where('shop_order_id', 'in', orderIds)
        .where('state', 'not in', ['Cancelled', 'Shadowed'])
        .groupBy('shop_order_id')
        .execute()
    : [];
  const totals = await base
    .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('p.amount').as('total')])
    .executeTakeFirst();
  return {
    count: Number(totals?.n ?? 0),
    total: Number(totals?.total ?? 0),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : undefined,
    payments: page.map((r) => {
      const lines = titles.filter((t) => t.shop_order_id === r.shopOrderId);
      const cost = Number(costs.find((c) => c.shop_order_id === r.shopOrderId)?.cost ?? r.amount);
      return {
        ...r,
        amount: Number(r.amount),
        orderPrice: Number(r.orderPrice),
        product: lines.map((l) => `${l.title} ×${l.quantity}`).join('；'),
        margin: Number(r.orderPrice) - cost,
      };
    }),
  };
}

/**
 * What a case card says about its order, so a person can act without opening it: the WeChat order number (the one
 * searched in the 微信小店 back office), the products, what the buyer paid, the ship-by time, and what the buyer wrote.
 */
export async function caseContext(db: Db, shopOrderIds: number[]) {
  const ids = [...new Set(shopOrderIds)];
  const out = new Map<
    number,
    { wxOrderId: string; products: string; amount: number; shipBy: number | null; buyerNotes: string; requests: string }
  >();
  if (!ids.length) return out;
  const k = db.kysely;
  const orders = await k
    .selectFrom('shop_orders')
    .select(['id', 'wx_order_id', 'order_price', 'customer_notes', 'special_requests'])
    .where('id', 'in', ids)
    .execute();
  const lines = await k
    .selectFrom('shop_order_lines')
    .select(['shop_order_id', 'title', 'sku_attrs', 'quantity', 'delivery_deadline_s'])
    .where('shop_order_id', 'in', ids)
    .orderBy('line_no')
    .execute();
  for (const o of orders) {
    const mine = lines.filter((l) => l.shop_order_id === o.id);
    const attrs = (a: string) =>
      (JSON.parse(a || '[]') as { key?: string; attr_key?: string; value?: string; attr_value?: string }[])
        .map((x) => x.value ?? x.attr_value)
        .filter(Boolean)
        .join('/');
    const deadlines = mine.map((l) => l.delivery_deadline_s).filter((d): d is number => typeof d === 'number' && d > 0);
    const requests = describeRequests({ ...emptyRequests(), ...(JSON.parse(o.special_requests || '{}') as object) });
    out.set(o.id, {
      wxOrderId: o.wx_order_id,
      products: mine.map((l) => `${l.title}${attrs(l.sku_attrs) ? `（${attrs(l.sku_attrs)}）` : ''} ×${l.quantity}`).join('；'),
      amount: Number(o.order_price),
      shipBy: deadlines.length ? Math.min(...deadlines) * 1000 : null,
      buyerNotes: o.customer_notes ?? '',
      requests,
    });
  }
  return out;
}

/** The shop order a purchase order belongs to (the page of a purchase order is drawn from its order). */
export async function shopOrderOfPo(db: Db, poId: number): Promise<number> {
  const po = await db.kysely.selectFrom('purchase_orders').select('shop_order_id').where('id', '=', poId).executeTakeFirst();
  if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${poId} 不存在 / purchase order ${poId} not found`);
  return po.shop_order_id;
}

/** The e-mail thread of a purchase order, oldest first. */
export async function poMessages(db: Db, poId: number) {
  return db.kysely.selectFrom('po_messages').selectAll().where('purchase_order_id', '=', poId).orderBy('id').execute();
}

/** Offers in stock of active suppliers (a title search), for choosing a substitute or a supplier. */
export async function offersInStock(db: Db, q: { q?: string; limit: number }) {
  let query = db.kysely
    .selectFrom('supplier_offers as o')
    .innerJoin('suppliers as s', 's.id', 'o.supplier_id')
    .select(['o.id', 'o.offer_id', 'o.title', 'o.sku_attrs', 'o.unit_price', 'o.stock', 's.name as supplier'])
    .where('s.active', '=', 1)
    .where('o.stock', '>', 0)
    .orderBy('o.id')
    .limit(q.limit);
  if (q.q) query = query.where('o.title', 'like', `%${q.q.replace(/[%_]/g, '')}%`);
  return query.execute();
}

/**
 * What the live-update feed compares between polls: the newest order event, case and package, and the open cases
 * and payments awaiting approval (index-only reads: case transitions already show as order events).
 */
export async function changeVersions(db: Db): Promise<{ orders: number; cases: string; approvals: string; packages: number }> {
  const k = db.kysely;
  const [ev, cs, pay, pk] = await Promise.all([
    k
      .selectFrom('order_events')
      .select((eb) => eb.fn.max<number>('id').as('v'))
      .executeTakeFirst(),
    k
      .selectFrom('cases')
      .select([(eb) => eb.fn.max<number>('id').as('v'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', '=', 'Open')
      .executeTakeFirst(),
    k
      .selectFrom('payments')
      .select([(eb) => eb.fn.max<number>('id').as('v'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'AwaitingApproval')
      .executeTakeFirst(),
    k
      .selectFrom('packages')
      .select((eb) => eb.fn.max<number>('id').as('v'))
      .executeTakeFirst(),
  ]);
  return {
    orders: Number(ev?.v ?? 0),
    cases: `${cs?.v ?? 0}/${cs?.n ?? 0}`,
    approvals: `${pay?.v ?? 0}/${pay?.n ?? 0}`,
    packages: Number(pk?.v ?? 0),
  };
}
