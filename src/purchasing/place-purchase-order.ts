import { payJob, unwindJob } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { findById, getById, paymentOf, purchaseOrderLines, rowOrThrow } from '../db/lookups.js';
import { poWithShop } from '../db/repositories/purchase-orders.js';
import { orderToPlace } from '../db/repositories/shop-orders.js';
import { isPurchaseRoute, routeTraits } from '../domain/purchase-routes.js';
import { enqueue } from '../jobs/queue.js';
import { PermanentJobError } from '../jobs/worker.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import { appendEvent, applyTransition } from '../lifecycle/apply-transition.js';
import type { PlacementOutcomes } from './outcomes.js';
import type { SupplierRoutes } from './routes/port.js';

/**
 * 下单: one purchase order with one supplier, on its route. Shadow mode stops before the supplier; otherwise the intent
 * is recorded (Placing) and the route's adapter places it (src/purchasing/routes/): each adapter never places twice
 * and ends through PlacementOutcomes. A supplier's stock-out and an unwound order come back here to be sourced again.
 */
export class PurchaseOrderPlacement {
  constructor(
    private readonly db: Db,
    private readonly routes: SupplierRoutes,
    private readonly outcomes: PlacementOutcomes,
    private readonly clock: Clock,
  ) {}

  /**
   * Place the purchase order. With `payNext`, no payment job is enqueued when it is placed: the caller pays
   * right after (the placing job does, one job less per purchase order; a crash in between re-runs that job,
   * which finds the purchase order Placed — or Paying — and goes on with the payment, which re-reads first).
   */
  async place(poId: number, opts: { payNext?: boolean } = {}): Promise<string> {
    const next = opts.payNext ? [] : [payJob(poId)];
    const po = await findById(this.db.kysely, 'purchase_orders', poId);
    if (!po) return 'missing';
    const order = rowOrThrow((await orderToPlace(this.db.kysely, po.shop_order_id)).rows[0], 'shop_orders', po.shop_order_id);
    const lines = await purchaseOrderLines(this.db.kysely, poId);
    const supplier = await getById(this.db.kysely, 'suppliers', po.supplier_id);
    const now = this.clock.now();

    if (po.state === 'Draft' && order.mode === 'shadow') {
      // Shadow mode: everything up to the supplier call, recorded; nothing is placed and nothing is decoded.
      await this.db.kysely.transaction().execute((trx) =>
        applyTransition(
          trx,
          {
            entity: 'purchase_order',
            id: poId,
            shopOrderId: order.id,
            to: 'Shadowed',
            expectFrom: 'Draft',
            event: 'po.shadowed',
            actor: 'system:shadow',
            note: `影子模式：将向${supplier.name}下单 ¥${(po.expected_amount / 100).toFixed(2)}`,
            data: {
              supplier: supplier.name,
              route: po.route,
              lines: lines.map((l) => ({ offerId: l.offer_id, specId: l.spec_id, quantity: l.quantity, unitPrice: l.unit_price })),
              expectedAmount: po.expected_amount,
            },
            patch: { shadow: 1 },
          },
          now,
        ),
      );
      return 'Shadowed';
    }
    if (po.state === 'Draft') {
      await this.db.kysely.transaction().execute((trx) =>
        applyTransition(
          trx,
          {
            entity: 'purchase_order',
            id: poId,
            shopOrderId: order.id,
            to: 'Placing',
            expectFrom: 'Draft',
            event: 'po.placing',
            actor: 'system:purchasing',
          },
          now,
        ),
      );
    } else if (po.state !== 'Placing') {
      return po.state;
    }
    if (!isPurchaseRoute(po.route)) throw new PermanentJobError(`unknown purchase route ${po.route}`);
    return this.routes[po.route].place({ po: { ...po, state: 'Placing' }, order, lines, supplier, next });
  }

  /** The supplier cannot fulfil: cancel this purchase order (nothing was created) and source its lines elsewhere. */
  async supplierStockOut(poId: number): Promise<string> {
    const po = await poWithShop(this.db.kysely, poId);
    if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${poId} 不存在 / no such purchase order`);
    // A 1688 order is cancelled (unpaid) or refunded (paid) first; only then are its lines sourced again.
    if (routeTraits(po.route).supplierApi && po.supplier_order_id && ['Placed', 'NeedsAttention', 'Paying', 'Paid'].includes(po.state)) {
      await this.db.kysely.transaction().execute(async (trx) => {
        await appendEvent(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            event: 'po.stock_out',
            actor: 'system:purchasing',
            note: '供应商缺货：先取消或退款，再换供应商',
          },
          this.clock.now(),
        );
        await enqueue(trx, unwindJob(po.id, 'stock_out'), this.clock.now());
      });
      return 'Unwinding';
    }
    // Money may already be with this supplier (or be on its way): re-sourcing now could pay twice. A person settles
    // with the supplier first (a SUPPLIER_UNWIND case: 供应商已取消 / 已退款), then the lines are placed elsewhere.
    const payment = await paymentOf(this.db.kysely, poId);
    if (payment && ['Placed', 'NeedsAttention', 'Paid'].includes(po.state)) {
      await this.db.kysely.transaction().execute(async (trx) => {
        await appendEvent(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            event: 'po.stock_out',
            actor: 'system:purchasing',
            note: '供应商缺货：请先与供应商取消或退款，再换供应商',
          },
          this.clock.now(),
        );
        await enqueue(trx, unwindJob(po.id, 'stock_out'), this.clock.now());
      });
      return 'Unwinding';
    }
    if (!['Placed', 'NeedsAttention'].includes(po.state))
      throw new DaifaError('WRONG_STATE', `采购单状态为 ${po.state}${payment ? `（付款 ${payment.status}）` : ''}，不能直接改派`);
    return this.outcomes.fallBack(po.id, po.shop_order_id, po.shop_id, po.supplier_id, '供应商回复缺货');
  }

  /** After the supplier order was cancelled or refunded: source its lines again, excluding that supplier. */
  async resourceAfterUnwind(poId: number, why: string): Promise<string> {
    const po = rowOrThrow(await poWithShop(this.db.kysely, poId), 'purchase_orders', poId);
    if (po.state === 'Cancelled') return 'AlreadyReplaced';
    return this.outcomes.fallBack(po.id, po.shop_order_id, po.shop_id, po.supplier_id, why);
  }
}
