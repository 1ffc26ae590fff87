import { getById } from '../db/lookups.js';
import { shopLinesOf } from '../db/repositories/purchase-orders.js';
import type { Logger } from 'pino';
import { openCase, settleCasesOfCancelledPo } from '../cases/cases.js';
import type { Db } from '../db/dialect.js';
import { placeJob } from '../jobs/catalogue.js';
import { enqueue, type JobSpec } from '../jobs/queue.js';
import type { Clock } from '../lib/clock.js';
import { applyTransition, lockEntity, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import { advanceWhenAllPlaced } from '../lifecycle/progress.js';
import { recordPayable } from '../payments/ledger.js';
import { loadLinesToSource, loadRequests, type Sourcing } from '../sourcing/sourcing.js';

export type PlacementCase = 'READBACK_MISMATCH' | 'PRICE_CHANGED' | 'PLACEMENT_FAILED';

/**
 * How a placement ends, whatever the route: placed (the payable booked, the shop order moved on when it was the last),
 * stopped for a person (a case), or the supplier unable (cancelled, its lines sourced elsewhere).
 */
export class PlacementOutcomes {
  constructor(
    private readonly db: Db,
    private readonly sourcing: Sourcing,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Placed; when it was the shop order's last open purchase order, the order moves on to Purchasing. */
  async markPlaced(
    poId: number,
    shopOrderId: number,
    note: string,
    data: unknown,
    patch: Record<string, unknown>,
    jobs: JobSpec[] = [],
  ): Promise<void> {
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await lockEntity(trx, 'shop_order', shopOrderId);
      const r = await applyTransition(
        trx,
        {
          entity: 'purchase_order',
          id: poId,
          shopOrderId,
          to: 'Placed',
          expectFrom: 'Placing',
          event: 'po.placed',
          actor: 'system:purchasing',
          note,
          data,
          patch,
          jobs,
        },
        now,
      );
      if (r.ok) await recordPayable(trx, poId, now);
      await advanceWhenAllPlaced(trx, shopOrderId, now);
    });
  }

  async needsAttention(poId: number, shopOrderId: number, supplierOrderId: string, kind: PlacementCase, message: string, data: unknown) {
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await transitionIfAllowed(
        trx,
        {
          entity: 'purchase_order',
          id: poId,
          shopOrderId,
          to: 'NeedsAttention',
          event: `po.${kind.toLowerCase()}`,
          actor: 'system:purchasing',
          note: message,
          data,
          patch: { ...(supplierOrderId ? { supplier_order_id: supplierOrderId } : {}), readback: JSON.stringify(data) },
        },
        now,
      );
      await openCase(trx, { kind, shopOrderId, purchaseOrderId: poId, message, data, dedupKey: `${kind}:${poId}` }, now);
    });
  }

  /** The supplier cannot fulfil: cancel the purchase order and source its lines again without that supplier. */
  async fallBack(poId: number, shopOrderId: number, shopId: number, supplierId: number, why: string): Promise<string> {
    const now = this.clock.now();
    const outcome = await this.db.kysely.transaction().execute(async (trx) => {
      const po = await getById(trx, 'purchase_orders', poId);
      const excluded = [...(JSON.parse(po.excluded_suppliers) as number[]), supplierId];
      // The guard: a second fallback for the same purchase order (two unwinds at once, a person's record racing the
      // job) finds it cancelled and sources nothing — its lines were placed elsewhere once already.
      const cancelled = await applyTransition(
        trx,
        {
          entity: 'purchase_order',
          id: poId,
          shopOrderId,
          to: 'Cancelled',
          event: 'po.supplier_unable',
          actor: 'system:purchasing',
          note: why,
        },
        now,
      );
      if (!cancelled.ok) return 'AlreadyReplaced';
      await settleCasesOfCancelledPo(trx, { id: poId, shop_order_id: shopOrderId }, `采购单已取消：${why}`, 'system:purchasing', now);
      const lineNos = await shopLinesOf(trx, poId);
      const lines = await loadLinesToSource(trx, shopOrderId, lineNos);
      const r = await this.sourcing.sourceLines(trx, shopId, shopOrderId, lines, await loadRequests(trx, shopOrderId), excluded, now);
      if (r.blocked) {
        // No supplier for these lines: a person decides — or the buyer, when only their requests stand in the way.
        await transitionIfAllowed(
          trx,
          {
            entity: 'shop_order',
            id: shopOrderId,
            to: r.blocked.awaitingBuyer ? 'AwaitingBuyer' : 'NeedsReview',
            event: 'sourcing.blocked',
            actor: 'system:purchasing',
            note: r.blocked.message,
          },
          now,
        );
        return r.blocked.awaitingBuyer ? 'AwaitingBuyer' : 'OutOfStock';
      }
      for (const id of r.poIds) await enqueue(trx, placeJob(id), now);
      return 'Replaced';
    });
    this.log.info({ poId, why, outcome }, 'supplier could not fulfil; fell back');
    return outcome;
  }
}
