import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { SupplierHistory } from '../../domain/supplier-scoring.js';

/**
 * How fast suppliers really ship for this merchant: for each paid purchase order with a parcel, the time from
 * Daifa's payment record to the first parcel. One reading for the supplier choice, the deadline forecast and the
 * scorecards. A parcel stamped before Daifa recorded the payment (its read-back came after the seller shipped)
 * counts as shipped at once, not as missing.
 */
export async function dispatchTimes(
  db: Kysely<Database>,
  where: { shopId?: number; supplierId?: number; paidSince?: number; latest?: number },
): Promise<{ supplierId: number; ms: number }[]> {
  let q = db
    .selectFrom('purchase_orders as p')
    .innerJoin('payments as pay', 'pay.purchase_order_id', 'p.id')
    .innerJoin('packages as k', 'k.purchase_order_id', 'p.id')
    .select(['p.supplier_id', 'pay.paid_at', (eb) => eb.fn.min<number>('k.shipped_at').as('first')])
    .where('pay.paid_at', 'is not', null)
    .groupBy(['p.id', 'p.supplier_id', 'pay.paid_at']);
  if (where.shopId !== undefined) q = q.innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id').where('o.shop_id', '=', where.shopId);
  if (where.supplierId !== undefined) q = q.where('p.supplier_id', '=', where.supplierId);
  if (where.paidSince !== undefined) q = q.where('pay.paid_at', '>=', where.paidSince);
  if (where.latest !== undefined) q = q.orderBy('p.id', 'desc').limit(where.latest);
  const rows = await q.execute();
  return rows.map((r) => ({ supplierId: r.supplier_id, ms: Math.max(0, Number(r.first) - Number(r.paid_at)) }));
}

/**
 * Transit times (supplier dispatch → the buyer's signature, ms) of the parcels signed for, per supplier; parcels
 * shipped since `shippedSince`. Parcels never signed for (lost, returned, still moving) are not a transit time.
 */
export async function transitTimes(
  db: Kysely<Database>,
  where: { shopId?: number; shippedSince: number; latest?: number },
): Promise<{ supplierId: number; ms: number; province: string }[]> {
  let q = db
    .selectFrom('packages as k')
    .innerJoin('purchase_orders as p', 'p.id', 'k.purchase_order_id')
    .innerJoin('shop_orders as o', 'o.id', 'k.shop_order_id')
    .select(['p.supplier_id', 'k.shipped_at', 'k.signed_at', 'o.address'])
    .where('k.signed_at', 'is not', null)
    .where('k.shipped_at', '>=', where.shippedSince);
  if (where.shopId !== undefined) q = q.where('o.shop_id', '=', where.shopId);
  if (where.latest !== undefined) q = q.orderBy('k.id', 'desc').limit(where.latest);
  const rows = await q.execute();
  return rows.map((r) => ({
    supplierId: r.supplier_id,
    ms: Math.max(0, Number(r.signed_at) - Number(r.shipped_at)),
    province: provinceOf(r.address),
  }));
}

/** The buyer's province from the stored (masked) address: WeChat does not mask it. */
export function provinceOf(address: string): string {
  try {
    return String((JSON.parse(address) as { provinceName?: unknown }).provinceName ?? '');
  } catch {
    return '';
  }
}

/** Durations grouped by a key, in hours, ascending (ready for `quantile`). */
function hoursBy<T extends { ms: number }, K>(times: T[], keyOf: (t: T) => K): Map<K, number[]> {
  const out = new Map<K, number[]>();
  for (const t of times) {
    const key = keyOf(t);
    const list = out.get(key);
    if (list) list.push(t.ms / 3_600_000);
    else out.set(key, [t.ms / 3_600_000]);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** Durations grouped by supplier, in hours, ascending (ready for `quantile`). */
export const hoursBySupplier = (times: { supplierId: number; ms: number }[]): Map<number, number[]> => hoursBy(times, (t) => t.supplierId);

/** The q-quantile of ascending values (nearest rank); null for none. */
export function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** How far back a supplier's record reaches for the supplier choice and the delivery-date watch. */
const RECORD_WINDOW_MS = 90 * 86_400_000;

/**
 * Each supplier's record with this merchant (one shop): orders placed and orders that went wrong, how fast it ships
 * (payment → first parcel) and how long its parcels take to reach the buyers (dispatch → signed for), the last 90 days.
 */
export async function supplierRecords(db: Kysely<Database>, shopId: number, now: number): Promise<Map<number, SupplierHistory>> {
  const rows = await db
    .selectFrom('purchase_orders as p')
    .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
    .select(['p.supplier_id', 'p.state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('o.shop_id', '=', shopId)
    .where('p.shadow', '=', 0)
    .groupBy(['p.supplier_id', 'p.state'])
    .execute();
  const out = new Map<number, SupplierHistory>();
  for (const r of rows) {
    const h = out.get(r.supplier_id) ?? { orders: 0, problems: 0 };
    if (r.state === 'Draft' || r.state === 'Placing' || r.state === 'Shadowed') continue;
    h.orders += Number(r.n);
    if (r.state === 'Cancelled' || r.state === 'NeedsAttention') h.problems += Number(r.n);
    out.set(r.supplier_id, h);
  }
  const since = now - RECORD_WINDOW_MS;
  for (const [supplierId, hs] of hoursBySupplier(await dispatchTimes(db, { shopId, paidSince: since }))) {
    const h = out.get(supplierId);
    if (h) Object.assign(h, { dispatched: hs.length, dispatchP50Hours: quantile(hs, 0.5)!, dispatchP80Hours: quantile(hs, 0.8)! });
  }
  // The latest 5,000 parcels signed for are plenty for the statistics (a busy shop's 90 days can hold far more).
  const transit = await transitTimes(db, { shopId, shippedSince: since, latest: 5000 });
  for (const [supplierId, hs] of hoursBySupplier(transit)) {
    const h = out.get(supplierId);
    if (h) Object.assign(h, { delivered: hs.length, transitP80Hours: quantile(hs, 0.8)! });
  }
  // … and to each province (remote regions differ from the rest).
  for (const [supplierId, h] of out) {
    const mine = transit.filter((t) => t.supplierId === supplierId && t.province);
    for (const [province, hs] of hoursBy(mine, (t) => t.province))
      (h.transitByProvince ??= {})[province] = { delivered: hs.length, p80Hours: quantile(hs, 0.8)! };
  }
  return out;
}
