import { afterEach, describe, expect, it } from 'vitest';
import { count, scale, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/** Acceptance: N orders whose pushes are each delivered 1–10 times, shuffled → exactly N orders, one Received each. */
describe('order intake', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const receivedPerOrder = async (hh: Harness) =>
    hh.app.db.kysely
      .selectFrom('order_events')
      .select(['entity_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('to_state', '=', 'Received')
      .groupBy('entity_id')
      .execute();

  it(`pushes duplicated 1–10× and shuffled: exactly one order and one Received transition per order`, async () => {
    const N = scale(600);
    h = await startHarness({ push: { minCopies: 1, maxCopies: 10, maxReorderMs: 1500, concurrency: 32 }, concurrency: 16 });
    const orders = h.sandbox.wechat.generate(h.creds.appId, { count: N });
    await waitFor(async () => h!.sandbox.wechat.push.outstanding === 0, { timeoutMs: 300_000, what: 'pushes delivered' });
    expect(h.sandbox.wechat.push.stats.deliveries).toBeGreaterThan(N * 3);
    await waitFor(async () => (await count(h!.app, 'jobs', ['status', 'in', ['pending', 'running']])) === 0, {
      timeoutMs: 300_000,
      what: 'jobs drained',
    });
    expect(await count(h.app, 'shop_orders')).toBe(N);
    const per = await receivedPerOrder(h);
    expect(per).toHaveLength(N);
    expect(per.every((r) => Number(r.n) === 1)).toBe(true);
    const ids = new Set((await h.app.db.kysely.selectFrom('shop_orders').select('wx_order_id').execute()).map((r) => r.wx_order_id));
    for (const o of orders) expect(ids.has(o.orderId)).toBe(true);
    // Every order was checked: none is left in Received, and nothing died.
    expect(await count(h.app, 'shop_orders', ['state', '=', 'Received'])).toBe(0);
    expect(await count(h.app, 'jobs', ['status', '=', 'dead'])).toBe(0);
    // Each order is fetched with order/get far fewer times than it was pushed (singleton sync jobs coalesce).
    expect(h.sandbox.wechat.calls.get('/channels/ec/order/get')!).toBeLessThan(h.sandbox.wechat.push.stats.acked);
    const st = h.sandbox.wechat.push.stats;
    console.log(
      `[scale] ${N} orders, ${st.deliveries} push deliveries (${st.acked} acknowledged) → ${await count(h.app, 'shop_orders')} orders, ${per.length} with exactly one Received; order/get calls: ${h.sandbox.wechat.calls.get('/channels/ec/order/get')}`,
    );
  });

  it('with pushes switched off, the poller alone ingests every order', async () => {
    const N = scale(600);
    h = await startHarness({ push: { enabled: false } });
    h.sandbox.wechat.generate(h.creds.appId, { count: N });
    const r = await h.app.poller.poll(h.shop.id);
    expect(r.found).toBe(N);
    await waitFor(
      async () => (await count(h!.app, 'shop_orders')) === N && (await count(h!.app, 'shop_orders', ['state', '=', 'Received'])) === 0,
      { timeoutMs: 300_000, what: 'poller ingestion' },
    );
    const per = await receivedPerOrder(h);
    expect(per.every((r) => Number(r.n) === 1)).toBe(true);
    // A second poll with the persisted cursor (and its overlap) re-finds the recent ones but creates nothing new.
    await h.app.poller.poll(h.shop.id);
    await waitFor(async () => (await count(h!.app, 'jobs', ['status', 'in', ['pending', 'running']])) === 0, {
      timeoutMs: 300_000,
      what: 'jobs drained',
    });
    expect(await count(h.app, 'shop_orders')).toBe(N);
    console.log(
      `[scale] pushes off: poller found ${r.found} of ${N} orders → ${await count(h.app, 'shop_orders')} orders, each with one Received`,
    );
  });

  it('an order whose pushes were lost is picked up by the poller within one interval', async () => {
    h = await startHarness({ push: { lostRate: 1 }, env: { DAIFA_POLL_INTERVAL_SECONDS: '1' } });
    await h.app.poller.ensureScheduled();
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1 });
    expect(h.sandbox.wechat.push.stats.lost).toBe(1);
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['wx_order_id', '=', o!.orderId])) === 1, {
      timeoutMs: 15_000,
      what: 'poll pick-up',
    });
  });

  it('a refund before shipment cancels the order (status 200 + cancel event)', async () => {
    h = await startHarness();
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1 });
    await waitFor(
      async () => {
        const r = await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('wx_order_id', '=', o!.orderId).executeTakeFirst();
        return r && r.state !== 'Received';
      },
      { what: 'order checked' },
    );
    const shop = h.sandbox.wechat.shops.get(h.creds.appId)!;
    expect(h.sandbox.wechat.refundAll(shop, o!.orderId)).toBe(true);
    await waitFor(
      async () =>
        (await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('wx_order_id', '=', o!.orderId).executeTakeFirst())
          ?.state === 'Cancelled',
      { what: 'cancelled' },
    );
    const history = await h.app.db.kysely.selectFrom('order_events').select(['event', 'to_state']).orderBy('id').execute();
    expect(history.map((e) => e.to_state)).toEqual(expect.arrayContaining(['Received', 'Cancelled']));
  });

  it('flags orders for review with every reason and alerts the merchant once per reason', async () => {
    h = await startHarness();
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1 });
    const shop = h.sandbox.wechat.shops.get(h.creds.appId)!;
    const sim = shop.orders.get(o!.orderId)!;
    // Re-shape the order before Daifa reads it: unclear buyer note and an inconsistent county.
    sim.notes = '请把颜色换成红色';
    sim.address.county = '不存在区';
    await waitFor(
      async () =>
        (await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('wx_order_id', '=', o!.orderId).executeTakeFirst())
          ?.state === 'NeedsReview',
      { what: 'needs review' },
    );
    const row = await h.app.db.kysely
      .selectFrom('shop_orders')
      .select('review_reasons')
      .where('wx_order_id', '=', o!.orderId)
      .executeTakeFirstOrThrow();
    const codes = JSON.parse(row.review_reasons).reasons.map((r: { code: string }) => r.code);
    expect(codes).toEqual(expect.arrayContaining(['BUYER_NOTE_UNPARSED', 'ADDRESS_DIVISION_MISMATCH']));
    await waitFor(async () => (await count(h!.app, 'notifications', ['status', '=', 'sent'])) === 2, { what: 'alerts sent' });
    const events = (await h.app.db.kysely.selectFrom('notifications').select('event').execute()).map((n) => n.event).sort();
    expect(events).toEqual(['needs_review', 'new_paid_order']);
  });
});
