import { actionsOf } from '../cases/cases.js';
import { shopOrderIdsOf } from '../db/lookups.js';
import { liveProcesses } from '../jobs/processes.js';
import { summarize } from '../payments/ledger.js';
import type { Db } from '../db/dialect.js';
import { shopOrderStateLabels, type ShopOrderState } from '../domain/shop-order.lifecycle.js';
import { DaifaError } from '../lib/errors.js';
import { loadOrder, parseChecks } from './repository.js';
import { specOptions } from './review.js';
import { describeRequests, emptyRequests } from '../domain/special-requests.js';

export interface OrderFilter {
  shopId?: number;
  state?: ShopOrderState;
  /** created_at range, ms */
  from?: number;
  to?: number;
  q?: string;
  limit?: number;
  cursor?: string;
}

const encodeCursor = (createdAt: number, id: number) => Buffer.from(`${createdAt}:${id}`).toString('base64url');
function decodeCursor(c: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(Buffer.from(c, 'base64url').toString());
  if (!m) throw new DaifaError('VALIDATION', 'cursor 无效 / invalid cursor', { details: [{ field: 'cursor', message: 'invalid cursor' }] });
  return [Number(m[1]), Number(m[2])];
}

/** Newest first, keyset pagination on (created_at, id): fast at any depth. */
export async function listOrders(db: Db, f: OrderFilter, opts: { total?: boolean } = {}) {
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
  let q = db.kysely
    .selectFrom('shop_orders')
    .select([
      'id',
      'shop_id',
      'wx_order_id',
      'state',
      'wx_status',
      'order_price',
      'pay_time_s',
      'address',
      'review_reasons',
      'created_at',
      'updated_at',
    ])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (f.shopId) q = q.where('shop_id', '=', f.shopId);
  if (f.state) q = q.where('state', '=', f.state);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  if (f.q) {
    // A whole WeChat order id is looked up by index; anything else searches the text (ids, titles, masked names).
    const exact = /^\d{12,24}$/.test(f.q)
      ? await db.kysely.selectFrom('shop_orders').select('id').where('wx_order_id', '=', f.q).limit(1).executeTakeFirst()
      : undefined;
    q = exact ? q.where('wx_order_id', '=', f.q) : q.where('search_text', 'like', `%${f.q.toLowerCase().replace(/[%_]/g, '')}%`);
  }
  // The whole list's length (the same filters, no page): "共 N 单" above the table. A reader walking every page (the
  // CSV export) does not need it counted again for each page.
  const counted =
    opts.total === false
      ? undefined
      : await q
          .clearSelect()
          .clearOrderBy()
          .clearLimit()
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst();
  if (f.cursor) {
    const [c, id] = decodeCursor(f.cursor);
    q = q.where((eb) => eb.or([eb('created_at', '<', c), eb.and([eb('created_at', '=', c), eb('id', '<', id)])]));
  }
  const rows = await q.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  // What the list shows besides the order row: its products, its shop, its earliest ship-by time (two reads per page).
  const ids = page.map((r) => r.id);
  const lines = ids.length
    ? await db.kysely
        .selectFrom('shop_order_lines')
        .select(['shop_order_id', 'title', 'quantity', 'delivery_deadline_s'])
        .where('shop_order_id', 'in', ids)
        .orderBy('line_no')
        .execute()
    : [];
  const shops = page.length
    ? await db.kysely
        .selectFrom('shops')
        .select(['id', 'name'])
        .where('id', 'in', [...new Set(page.map((r) => r.shop_id))])
        .execute()
    : [];
  return {
    orders: page.map((r) => {
      const a = JSON.parse(r.address);
      const mine = lines.filter((l) => l.shop_order_id === r.id);
      const deadlines = mine.map((l) => Number(l.delivery_deadline_s)).filter((d) => d > 0);
      return {
        products: mine.map((l) => `${l.title} ×${l.quantity}`).join('；'),
        shopName: shops.find((x) => x.id === r.shop_id)?.name ?? '',
        shipBy: deadlines.length ? Math.min(...deadlines) : null,
        id: r.id,
        shopId: r.shop_id,
        wxOrderId: r.wx_order_id,
        state: r.state,
        stateLabel: shopOrderStateLabels[r.state as ShopOrderState] ?? r.state,
        wxStatus: r.wx_status,
        orderPrice: r.order_price,
        payTime: r.pay_time_s,
        receiver: `${a.userName ?? ''} ${a.provinceName ?? ''}${a.cityName ?? ''}${a.countyName ?? ''}`.trim(),
        reviewReasons: parseChecks(r).reasons.map((x) => x.code),
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
    }),
    nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    total: counted ? Number(counted.n) : undefined,
  };
}

export async function orderDetail(db: Db, id: number) {
  const loaded = await loadOrder(db.kysely, id);
  if (!loaded) throw new DaifaError('NOT_FOUND', `订单 ${id} 不存在 / order ${id} not found`);
  const { row, lines } = loaded;
  const events = await db.kysely.selectFrom('order_events').selectAll().where('shop_order_id', '=', id).orderBy('id').execute();
  const checks = parseChecks(row);
  const decisions = await db.kysely.selectFrom('sourcing_decisions').selectAll().where('shop_order_id', '=', id).orderBy('id').execute();
  const pos = await db.kysely
    .selectFrom('purchase_orders as p')
    .innerJoin('suppliers as s', 's.id', 'p.supplier_id')
    .select([
      'p.id',
      'p.state',
      'p.route',
      'p.out_order_id',
      'p.supplier_order_id',
      'p.expected_amount',
      'p.supplier_amount',
      'p.readback',
      's.name as supplier',
    ])
    .where('p.shop_order_id', '=', id)
    .orderBy('p.id')
    .execute();
  const poLines = pos.length
    ? await db.kysely
        .selectFrom('purchase_order_lines')
        .selectAll()
        .where(
          'purchase_order_id',
          'in',
          pos.map((p) => p.id),
        )
        .orderBy('id')
        .execute()
    : [];
  const caseRows = await db.kysely.selectFrom('cases').selectAll().where('shop_order_id', '=', id).orderBy('id').execute();
  const ledger = await db.kysely.selectFrom('ledger_entries').selectAll().where('shop_order_id', '=', id).orderBy('id').execute();
  const payments = pos.length
    ? await db.kysely
        .selectFrom('payments')
        .select([
          'id',
          'purchase_order_id',
          'method',
          'amount',
          'status',
          'reason',
          'approved_by',
          'approved_at',
          'supplier_trade_id',
          'pay_url',
          'paid_at',
          'reference',
          'recorded_by',
        ])
        .where(
          'purchase_order_id',
          'in',
          pos.map((p) => p.id),
        )
        .orderBy('id')
        .execute()
    : [];
  const packages = await db.kysely.selectFrom('packages').selectAll().where('shop_order_id', '=', id).orderBy('id').execute();
  const traces = packages.length
    ? await db.kysely
        .selectFrom('trace_events')
        .selectAll()
        .where(
          'package_id',
          'in',
          packages.map((p) => p.id),
        )
        .orderBy('at')
        .execute()
    : [];
  const deliveries = await db.kysely.selectFrom('wx_deliveries').selectAll().where('shop_order_id', '=', id).orderBy('id').execute();
  const negotiations = await db.kysely.selectFrom('negotiations').selectAll().where('shop_order_id', '=', id).orderBy('id').execute();
  const requests = JSON.parse(row.special_requests || '{}');
  // Under review, the other specs each line could be bought in (a buyer's note may ask for one).
  const specs =
    row.state === 'NeedsReview'
      ? await specOptions(
          db.kysely,
          row.shop_id,
          lines.map((l) => l.product_id),
        )
      : new Map();
  const vouchers = payments.length
    ? await db.kysely
        .selectFrom('vouchers')
        .select(['id', 'payment_id', 'kind', 'file_name', 'mime', 'size', 'sha256', 'supplier_trade_id', 'uploaded_by', 'created_at'])
        .where(
          'payment_id',
          'in',
          payments.map((p) => p.id),
        )
        .orderBy('id')
        .execute()
    : [];
  return {
    id: row.id,
    shopId: row.shop_id,
    wxOrderId: row.wx_order_id,
    state: row.state,
    stateLabel: shopOrderStateLabels[row.state as ShopOrderState] ?? row.state,
    wxStatus: row.wx_status,
    amounts: { orderPrice: row.order_price, productPrice: row.product_price, freight: row.freight },
    times: { created: row.wx_create_time_s, paid: row.pay_time_s, updated: row.wx_update_time_s },
    buyerNotes: row.customer_notes,
    merchantNotes: row.merchant_notes,
    specialRequests: requests,
    /** The same in one line of Chinese (指定顺丰；12月24日前送达 …), empty when the buyer asked for nothing. */
    specialRequestsText: describeRequests({ ...emptyRequests(), ...requests }),
    address: JSON.parse(row.address),
    reviewReasons: checks.reasons,
    notes: checks.notes,
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      productId: l.product_id,
      skuId: l.sku_id,
      title: l.title,
      skuAttrs: JSON.parse(l.sku_attrs),
      quantity: l.quantity,
      unitPrice: l.unit_price,
      paidAmount: l.paid_amount,
      deliveryDeadline: l.delivery_deadline_s,
      onAftersale: l.on_aftersale_cnt,
      finishAftersale: l.finish_aftersale_cnt,
      withdrawn: l.withdrawn_cnt,
      sourcedSkuId: l.sourced_sku_id ?? null,
      specOptions: specs.get(l.product_id) ?? [],
    })),
    decisions: decisions.map((d) => ({
      lineNo: d.line_no,
      reason: d.reason,
      chosen: d.chosen ? JSON.parse(d.chosen) : null,
      candidates: JSON.parse(d.candidates),
      at: d.created_at,
    })),
    purchaseOrders: pos.map((p) => ({
      id: p.id,
      state: p.state,
      route: p.route,
      supplier: p.supplier,
      outOrderId: p.out_order_id,
      supplierOrderId: p.supplier_order_id,
      expectedAmount: p.expected_amount,
      supplierAmount: p.supplier_amount,
      readback: p.readback ? JSON.parse(p.readback) : null,
      lines: poLines
        .filter((l) => l.purchase_order_id === p.id)
        .map((l) => ({
          lineNo: l.shop_order_line_no,
          offerId: l.offer_id,
          specId: l.spec_id,
          title: l.title,
          quantity: l.quantity,
          unitPrice: l.unit_price,
        })),
    })),
    payments: payments.map((p) => ({ ...p, vouchers: vouchers.filter((v) => v.payment_id === p.id) })),
    packages: packages.map((k) => ({
      id: k.id,
      purchaseOrderId: k.purchase_order_id,
      source: k.source,
      courier: k.courier_name,
      deliveryId: k.delivery_id,
      waybill: k.waybill_id,
      items: JSON.parse(k.items),
      status: k.status,
      shippedAt: k.shipped_at,
      pickedUpAt: k.picked_up_at,
      signedAt: k.signed_at,
      anomaly: k.anomaly,
      trace: traces.filter((t) => t.package_id === k.id).map((t) => ({ at: t.at, status: t.status, remark: t.remark })),
    })),
    deliveries: deliveries.map((d) => ({
      waybill: d.waybill_id,
      deliveryId: d.delivery_id,
      products: JSON.parse(d.product_infos),
      status: d.status,
      updates: d.updates,
      error: d.error,
    })),
    negotiations,
    ledger: {
      entries: ledger.map((e) => ({ kind: e.kind, amount: e.amount, note: e.note, day: e.day, purchaseOrderId: e.purchase_order_id })),
      ...summarize(ledger),
    },
    cases: caseRows.map((c) => ({
      id: c.id,
      kind: c.kind,
      state: c.state,
      message: c.message,
      actions: actionsOf(c.kind, c.actions),
      resolution: c.resolution,
    })),
    history: events.map((e) => ({
      at: e.created_at,
      event: e.event,
      from: e.from_state,
      to: e.to_state,
      actor: e.actor,
      note: e.note,
      data: e.data ? JSON.parse(e.data) : undefined,
    })),
  };
}

export async function findOrderId(db: Db, ref: string): Promise<number> {
  const byWx = await db.kysely.selectFrom('shop_orders').select('id').where('wx_order_id', '=', ref).executeTakeFirst();
  if (byWx) return byWx.id;
  if (/^\d{1,12}$/.test(ref)) return Number(ref);
  throw new DaifaError('NOT_FOUND', `订单 ${ref} 不存在 / order ${ref} not found`);
}

/** The ids of one shop's orders, as a subquery: what a purchase order or a case belongs to a shop through. */

/**
 * Counts for `daifa stats --json` and the API. With a shop: its orders, purchase orders and open cases (an agency
 * looks at one shop at a time); jobs, alerts, events and processes are the installation's either way.
 */
export async function stats(db: Db, opts: { shopId?: number } = {}) {
  const k = db.kysely;
  const { shopId } = opts;
  const byState = await k
    .selectFrom('shop_orders')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .$if(shopId !== undefined, (q) => q.where('shop_id', '=', shopId!))
    .groupBy('state')
    .execute();
  const jobs = await k
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const notifications = await k
    .selectFrom('notifications')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const events = await k
    .selectFrom('inbound_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  const pos = await k
    .selectFrom('purchase_orders')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .$if(shopId !== undefined, (q) => q.where('shop_order_id', 'in', shopOrderIdsOf(k, shopId!)))
    .groupBy('state')
    .execute();
  const cases = await k
    .selectFrom('cases')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '=', 'Open')
    .$if(shopId !== undefined, (q) => q.where('shop_order_id', 'in', shopOrderIdsOf(k, shopId!)))
    .groupBy('kind')
    .execute();
  const toMap = (rows: { n: number | string }[], key: string) =>
    Object.fromEntries(rows.map((r) => [(r as Record<string, unknown>)[key] as string, Number(r.n)]));
  const jobMap = toMap(jobs, 'status');
  return {
    shopOrders: { total: byState.reduce((s, r) => s + Number(r.n), 0), byState: toMap(byState, 'state') },
    purchaseOrders: { total: pos.reduce((s, r) => s + Number(r.n), 0), byState: toMap(pos, 'state') },
    openCases: { total: cases.reduce((s, r) => s + Number(r.n), 0), byKind: toMap(cases, 'kind') },
    jobs: { byStatus: jobMap, dead: jobMap.dead ?? 0 },
    notifications: toMap(notifications, 'status'),
    inboundEvents: Number(events?.n ?? 0),
    /** The Daifa processes running now (each paces the API limits to its share of them). */
    processes: await liveProcesses(db, Date.now()),
    generatedAt: Date.now(),
  };
}

/** The shop and WeChat order number of an order (it must exist). */
export async function orderRef(db: Db, id: number): Promise<{ shop_id: number; wx_order_id: string }> {
  return db.kysely.selectFrom('shop_orders').select(['shop_id', 'wx_order_id']).where('id', '=', id).executeTakeFirstOrThrow();
}
