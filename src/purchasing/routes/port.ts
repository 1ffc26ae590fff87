import type { Selectable } from 'kysely';
import type { PurchaseOrderLinesTable, PurchaseOrdersTable, SuppliersTable } from '../../db/schema.js';
import type { PurchaseRoute } from '../../domain/purchase-routes.js';
import type { JobSpec } from '../../jobs/queue.js';

/** A supplier order being placed: it is Placing (the intent is recorded), on the route its supplier was chosen for. */
export interface PlacementTarget {
  po: Selectable<PurchaseOrdersTable>;
  order: { id: number; shop_id: number; wx_order_id: string; state: string; mode: string };
  lines: Selectable<PurchaseOrderLinesTable>[];
  supplier: Selectable<SuppliersTable>;
  /** Jobs to enqueue with the Placed transition (the payment, unless the caller pays next). */
  next: JobSpec[];
}

/**
 * The port every purchase route implements: place one supplier order exactly as the buyer ordered it, and end it
 * through PlacementOutcomes (placed, needs a person, or the supplier unable). What a route can do besides is declared
 * as its traits (src/domain/purchase-routes.ts): paid how, parcels from where, reached how.
 * Adapters: Alibaba1688Route, EmailRoute, WeChatDropshipRoute; tests may register a fake.
 */
export interface SupplierRoute {
  readonly route: PurchaseRoute;
  /** Returns the purchase order's state afterwards (Placed, NeedsAttention, Cancelled → replaced …). */
  place(target: PlacementTarget): Promise<string>;
}

export type SupplierRoutes = Readonly<Record<PurchaseRoute, SupplierRoute>>;
