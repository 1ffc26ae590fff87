import type { PurchaseRoute } from '../../src/domain/purchase-routes.js';
import type { PlacementOutcomes } from '../../src/purchasing/outcomes.js';
import type { PlacementTarget, SupplierRoute, SupplierRoutes } from '../../src/purchasing/routes/port.js';

/**
 * A purchase route for tests of the services around the port: it records what it was asked to place and ends the
 * placement the way it is told (placed, a person needed, or the supplier unable).
 */
export class FakeRoute implements SupplierRoute {
  readonly placed: PlacementTarget[] = [];
  outcome: 'placed' | 'needs-person' | 'unable' = 'placed';
  constructor(
    readonly route: PurchaseRoute,
    private readonly outcomes: PlacementOutcomes,
  ) {}

  async place(t: PlacementTarget): Promise<string> {
    this.placed.push(t);
    if (this.outcome === 'unable')
      return this.outcomes.fallBack(t.po.id, t.order.id, t.order.shop_id, t.po.supplier_id, 'fake supplier cannot');
    if (this.outcome === 'needs-person') {
      await this.outcomes.needsAttention(t.po.id, t.order.id, '', 'PLACEMENT_FAILED', 'fake route asks a person', { route: this.route });
      return 'NeedsAttention';
    }
    await this.outcomes.markPlaced(t.po.id, t.order.id, `fake ${this.route}`, { route: this.route }, {}, t.next);
    return 'Placed';
  }
}

export const fakeRoutes = (outcomes: PlacementOutcomes): SupplierRoutes & Record<PurchaseRoute, FakeRoute> => ({
  '1688': new FakeRoute('1688', outcomes),
  direct: new FakeRoute('direct', outcomes),
  wechat_dropship: new FakeRoute('wechat_dropship', outcomes),
});
