import { afterEach, describe, expect, it } from 'vitest';
import { PURCHASE_ROUTES, ROUTE_TRAITS, payMethodTraits, routeTraits } from '../../src/domain/purchase-routes.js';
import { PlacementOutcomes } from '../../src/purchasing/outcomes.js';
import { PurchaseOrderPlacement } from '../../src/purchasing/place-purchase-order.js';
import { fakeRoutes } from '../helpers/fake-route.js';
import { seedPaidOrder, startServices, type Services } from '../helpers/services.js';

/**
 * The placement service behind the SupplierRoute port, with fake routes: it hands each supplier order to its route's
 * adapter once, exactly as sourced, and the outcome (placed, a person, the supplier unable) moves the orders on —
 * whatever the route. Service tier: no HTTP server, no simulator (the fakes stand where 1688, e-mail and WeChat dropship are).
 */
describe('the SupplierRoute port', () => {
  let h: Services | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function draftedPurchaseOrder() {
    h = await startServices();
    const { id } = await seedPaidOrder(h);
    // The loop's steps run by hand, no worker and no HTTP: confirm → source drafts the supplier order (nobody places it).
    await h.app.handlers.get('order.confirm')!({ shopOrderId: id }, { job: { attempts: 1 } as never, workerId: 'test' });
    const po = await h.app.db.kysely.selectFrom('purchase_orders').selectAll().where('state', '=', 'Draft').executeTakeFirstOrThrow();
    const outcomes = new PlacementOutcomes(h.app.db, h.app.sourcing, h.app.clock, h.app.log);
    const routes = fakeRoutes(outcomes);
    return { po, routes, placement: new PurchaseOrderPlacement(h.app.db, routes, outcomes, h.app.clock) };
  }

  it('places on the route the supplier order was sourced for, once, with its lines; the order moves on and the payable is booked', async () => {
    const { po, routes, placement } = await draftedPurchaseOrder();
    expect(await placement.place(po.id, { payNext: true })).toBe('Placed');
    const used = routes[po.route as keyof typeof routes];
    expect(used.placed).toHaveLength(1);
    expect(used.placed[0]!.po.id).toBe(po.id);
    const lines = await h!.app.db.kysely
      .selectFrom('purchase_order_lines')
      .select(['offer_id', 'spec_id', 'quantity'])
      .where('purchase_order_id', '=', po.id)
      .execute();
    expect(used.placed[0]!.lines.map((l) => ({ offer_id: l.offer_id, spec_id: l.spec_id, quantity: l.quantity }))).toEqual(lines);
    for (const other of PURCHASE_ROUTES.filter((r) => r !== po.route)) expect(routes[other].placed).toHaveLength(0);
    // Placed: never handed to the route again.
    expect(await placement.place(po.id, { payNext: true })).toBe('Placed');
    expect(used.placed).toHaveLength(1);
    const order = await h!.app.db.kysely
      .selectFrom('shop_orders')
      .select('state')
      .where('id', '=', po.shop_order_id)
      .executeTakeFirstOrThrow();
    expect(order.state).toBe('Purchasing');
    const payable = await h!.app.db.kysely
      .selectFrom('ledger_entries')
      .select('amount')
      .where('purchase_order_id', '=', po.id)
      .where('kind', '=', 'supplier_payable')
      .execute();
    expect(payable.map((p) => Number(p.amount))).toEqual([-po.expected_amount]);
  });

  it('a route that needs a person stops the order with a case; a route whose supplier cannot sources the lines elsewhere', async () => {
    const first = await draftedPurchaseOrder();
    first.routes[first.po.route as '1688'].outcome = 'needs-person';
    expect(await first.placement.place(first.po.id)).toBe('NeedsAttention');
    expect(await h!.app.db.kysely.selectFrom('cases').select('kind').where('purchase_order_id', '=', first.po.id).execute()).toEqual([
      { kind: 'PLACEMENT_FAILED' },
    ]);
    await h!.stop();
    h = undefined;

    const second = await draftedPurchaseOrder();
    second.routes[second.po.route as '1688'].outcome = 'unable';
    const outcome = await second.placement.place(second.po.id);
    expect(['Replaced', 'OutOfStock']).toContain(outcome);
    const po = await h!.app.db.kysely
      .selectFrom('purchase_orders')
      .select(['state', 'excluded_suppliers'])
      .where('id', '=', second.po.id)
      .executeTakeFirstOrThrow();
    expect(po.state).toBe('Cancelled');
  });

  it('declares what each route can do: paid how, parcels from where, reached how', () => {
    expect(routeTraits('1688').payMethod('protocol')).toBe('1688-protocol');
    expect(routeTraits('1688').payMethod('link')).toBe('1688-link');
    expect(routeTraits('direct').payMethod('protocol')).toBe('manual');
    expect(ROUTE_TRAITS.wechat_dropship.parcels).toBe('wechat-platform');
    expect(ROUTE_TRAITS.direct.reach).toBe('email');
    expect(ROUTE_TRAITS.wechat_dropship.handsOverBoughtSku).toBe(true);
    expect(payMethodTraits('1688-protocol')).toMatchObject({ firstStatus: 'Paying', daifaPays: true });
    expect(payMethodTraits('manual')).toMatchObject({ firstStatus: 'AwaitingPayer', confirmedBy: 'voucher' });
    expect(() => routeTraits('carrier-pigeon')).toThrow(/unknown purchase route/);
  });
});
