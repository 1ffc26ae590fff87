import type { Db } from '../db/dialect.js';
import { shopOrderIdsOf } from '../db/lookups.js';
import type { CaseState } from '../domain/purchase-order.lifecycle.js';

export interface CaseFilter {
  state?: CaseState;
  kind?: string;
  shopId?: number;
  order?: 'asc' | 'desc';
  cursor?: number;
  limit?: number;
}

/**
 * Cases by state and kind, one shop's or all: open cases are a work queue (oldest first), resolved and dismissed ones
 * a history (newest first). Pages follow the id (keyset): `more` says whether another page remains.
 */
export async function listCases(db: Db, q: CaseFilter) {
  const order = q.order ?? (q.state === 'Resolved' || q.state === 'Dismissed' ? 'desc' : 'asc');
  const limit = q.limit ?? 100;
  let query = db.kysely
    .selectFrom('cases')
    .selectAll()
    .orderBy('id', order)
    .limit(limit + 1);
  if (q.state) query = query.where('state', '=', q.state);
  if (q.kind) query = query.where('kind', '=', q.kind);
  if (q.cursor) query = query.where('id', order === 'asc' ? '>' : '<', q.cursor);
  // One shop's cases: those of its orders.
  if (q.shopId) query = query.where('shop_order_id', 'in', shopOrderIdsOf(db.kysely, q.shopId));
  const rows = await query.execute();
  return { cases: rows.slice(0, limit), more: rows.length > limit };
}
