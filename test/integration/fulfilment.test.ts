import { afterEach, describe, expect, it } from 'vitest';
import type { SimOrder } from '../../sandbox/wechat-shop/model.js';
import { takeDeliverEcho } from '../../src/fulfilment/delivery-sync.js';
import { openCase } from '../../src/cases/cases.js';
import { callApi, count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

/** Tracking, delivery sync and completion against the simulators (issue 5). */
describe('tracking and delivery sync', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const state = async (hh: Harness, id: number) =>
    (await hh.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
  const wxOrder = (hh: Harness, orderId: string): SimOrder => hh.sandbox.wechat.shops.get(hh.creds.appId)!.orders.get(orderId)!;

  /** One multi-line order whose lines all go to the cheap factory (one 1688 order), at least one line with 2+ units. */
  async function oneOrderOneSeller(hh: Harness, want: (o: SimOrder) => boolean) {
    let order: SimOrder | undefined;
    for (let i = 0; i < 200 && !order; i++) {
      const [o] = hh.sandbox.wechat.generate(hh.creds.appId, { count: 1, requestRate: 0, multiLineRate: 1 });
      if (want(wxOrder(hh, o!.orderId))) order = wxOrder(hh, o!.orderId);
    }
    if (!order) throw new Error('no suitable sandbox order generated');
    const others = (await hh.app.db.kysely.selectFrom('suppliers').select('id').where('member_id', '!=', 'b2b-2200000001').execute()).map(
      (s) => s.id,
    );
    await hh.app.db.kysely
      .updateTable('supplier_offers')
      .set((eb) => ({ unit_price: eb('unit_price', '*', 3) }))
      .where('supplier_id', 'in', others)
      .execute();
    await hh.app.intake.sync({ shopId: hh.shop.id, orderId: order.orderId, source: 'manual' });
    const so = await hh.app.db.kysely
      .selectFrom('shop_orders')
      .select('id')
      .where('wx_order_id', '=', order.orderId)
      .executeTakeFirstOrThrow();
    await waitFor(async () => (await state(hh, so.id)) === 'Fulfilling', { what: 'paid' });
    const po = await hh.app.db.kysely
      .selectFrom('purchase_orders')
      .select(['id', 'supplier_order_id'])
      .where('shop_order_id', '=', so.id)
      .executeTakeFirstOrThrow();
    return { order, soId: so.id, poId: po.id, sim1688: hh.sandbox.alibaba.orders.get(po.supplier_order_id!)! };
  }

  it('sellers ship, parcels are traced, WeChat gets the courier and tracking per package; receipt and settlement complete the order', async () => {
    h = await startHarness({ alibaba: { autoShipAfterMs: 20, traceStepMs: 20 } });
    await enableSourcing(h, { messages: true });
    const orders = h.sandbox.wechat.generate(h.creds.appId, { count: 4, requestRate: 0, multiLineRate: 0.5 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Shipped'])) === 4, {
      timeoutMs: 60_000,
      what: 'all shipped and synced',
    });
    for (const o of orders) {
      const wx = wxOrder(h, o.orderId);
      expect(wx.status).toBe(30);
      for (const p of wx.packages) expect(['ZTO', 'YTO', 'YUNDA', 'STO', 'JTSD', 'SF', 'JD', 'EMS']).toContain(p.delivery_id);
    }
    // Every WeChat waybill is a real 1688 parcel's tracking number, sent once.
    const mailNos = new Set([...h.sandbox.alibaba.orders.values()].flatMap((o) => o.shipments.map((s) => s.mailNo)));
    const wxWaybills = orders.flatMap((o) => wxOrder(h!, o.orderId).packages.map((p) => p.waybill_id));
    expect(wxWaybills.every((w) => mailNos.has(w))).toBe(true);
    expect(new Set(wxWaybills).size).toBe(wxWaybills.length);
    expect(await count(h.app, 'purchase_orders', ['state', '=', 'Shipped'])).toBe(await count(h.app, 'purchase_orders'));
    // Traces arrive through messages and re-reads until signed.
    await waitFor(async () => (await count(h!.app, 'packages', ['status', '=', 'SIGN'])) === (await count(h!.app, 'packages')), {
      timeoutMs: 30_000,
      what: 'all signed',
    });
    expect(await count(h.app, 'trace_events')).toBeGreaterThanOrEqual(5 * (await count(h.app, 'packages')));
    expect(await count(h.app, 'inbound_events', ['source', '=', '1688'])).toBeGreaterThan(0);

    for (const o of orders) h.sandbox.wechat.confirmReceipt(h.creds.appId, o.orderId, { settle: true });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Completed'])) === 4, { what: 'completed' });
    expect(await count(h.app, 'purchase_orders', ['state', '=', 'Completed'])).toBe(await count(h.app, 'purchase_orders'));
    const commission = await h.app.db.kysely
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.sum<number>('amount').as('s'))
      .where('kind', '=', 'commission')
      .executeTakeFirstOrThrow();
    expect(-Number(commission.s)).toBe(
      orders.reduce(
        (s, o) =>
          s + Math.round(wxOrder(h!, o.orderId).lines.reduce((t, l) => t + l.realPrice, 0) * 0.01 + wxOrder(h!, o.orderId).freight * 0.01),
        0,
      ),
    );
  });

  it("the deliver push that echoes Daifa's own send is kept but not re-read; one Daifa did not cause is; without the push Daifa still knows", async () => {
    h = await startHarness({ alibaba: { autoShipAfterMs: 20, traceStepMs: 20 } });
    await enableSourcing(h, { messages: true });
    const k = h.app.db.kysely;
    const orderRow = (id: string) =>
      k
        .selectFrom('shop_orders')
        .select(['id', 'state', 'wx_status', 'deliver_echoes', 'deliver_echo_finish'])
        .where('wx_order_id', '=', id)
        .executeTakeFirst();
    const deliverPushes = (id: string) =>
      k
        .selectFrom('inbound_events')
        .select('id')
        .where('event_type', '=', 'channels_ec_order_deliver')
        .where('external_id', '=', id)
        .execute();
    const syncJobs = (id: string) =>
      k.selectFrom('jobs').select(['status', 'created_at']).where('kind', '=', 'order.sync').where('payload', 'like', `%${id}%`).execute();
    const idle = async () => (await syncJobs('')).every((j) => j.status === 'done');

    // Daifa ships: WeChat's push about it is stored, and no order/get follows it.
    const [a] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await orderRow(a!.orderId))?.state === 'Shipped', { timeoutMs: 60_000, what: 'a shipped' });
    await waitFor(
      async () => (await deliverPushes(a!.orderId)).length === 1 && h!.sandbox.wechat.push.outstanding === 0 && (await idle()),
      { what: 'echo received' },
    );
    const synced = await k
      .selectFrom('order_events')
      .select('created_at')
      .where('event', '=', 'order.delivery_synced')
      .where('shop_order_id', '=', (await orderRow(a!.orderId))!.id)
      .executeTakeFirstOrThrow();
    expect((await syncJobs(a!.orderId)).filter((j) => j.created_at >= synced.created_at)).toEqual([]);
    expect(await orderRow(a!.orderId)).toMatchObject({ wx_status: 30, deliver_echoes: 0 });

    // The merchant ships an order by hand in the back office: that push is re-read.
    await k.updateTable('suppliers').set({ active: 0 }).execute();
    const [b] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(
      async () =>
        (await k.selectFrom('shop_orders').select('state').where('wx_order_id', '=', b!.orderId).executeTakeFirst())?.state ===
        'NeedsReview',
      { what: 'b waits for review' },
    );
    expect(h.sandbox.wechat.shipInBackOffice(h.creds.appId, b!.orderId, { deliveryId: 'SF', waybillId: 'SF1234567890' })).toBe(true);
    await waitFor(async () => (await orderRow(b!.orderId))?.wx_status === 30, { what: 'b re-read after the back-office shipment' });

    // WeChat sends no push for an API shipment (reported [U]): Daifa's snapshot already says shipped.
    h.sandbox.wechat.api.deliverPushOnApiSend = false;
    await k.updateTable('suppliers').set({ active: 1 }).execute();
    const [c] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await orderRow(c!.orderId))?.state === 'Shipped', { timeoutMs: 60_000, what: 'c shipped' });
    expect(await orderRow(c!.orderId)).toMatchObject({ wx_status: 30, deliver_echoes: 1, deliver_echo_finish: 1 });
    // An expected echo is taken once; "all shipped" is an echo only when Daifa's own last send shipped everything.
    expect(await takeDeliverEcho(k, h.shop.id, c!.orderId, true)).toBe(true);
    expect(await takeDeliverEcho(k, h.shop.id, c!.orderId, false)).toBe(false);
    await k.updateTable('shop_orders').set({ deliver_echoes: 1, deliver_echo_finish: 0 }).where('wx_order_id', '=', c!.orderId).execute();
    expect(await takeDeliverEcho(k, h.shop.id, c!.orderId, true)).toBe(false);
    expect(await takeDeliverEcho(k, h.shop.id, c!.orderId, false)).toBe(true);
  });

  it('a send an outage left in doubt is tried again without counting its push twice: the one push is taken as the echo, nothing is left expected', async () => {
    h = await startHarness({ alibaba: { autoShipAfterMs: 20, traceStepMs: 20 } });
    await enableSourcing(h, { messages: true });
    const k = h.app.db.kysely;
    // The outage begins with delivery/send: it answers "system busy", and so does the order/get that would show
    // whether it went through. The job tries again, still in the outage.
    h.sandbox.wechat.api.outageFromPath = '/channels/ec/order/delivery/send';
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const order = () =>
      k
        .selectFrom('shop_orders')
        .select(['id', 'state', 'wx_status', 'deliver_echoes'])
        .where('wx_order_id', '=', o!.orderId)
        .executeTakeFirst();
    const delivery = async () =>
      k
        .selectFrom('wx_deliveries')
        .select(['status', 'in_flight'])
        .where('shop_order_id', '=', (await order())!.id)
        .execute();
    await waitFor(
      async () =>
        (
          await k
            .selectFrom('jobs')
            .select('id')
            .where('kind', '=', 'order.deliver')
            .where('attempts', '>=', 1)
            .where('status', '=', 'pending')
            .execute()
        ).length > 0,
      { timeoutMs: 60_000, what: 'the send tried again in the outage' },
    );
    expect(wxOrder(h, o!.orderId).packages).toEqual([]);
    expect(await delivery()).toEqual([{ status: 'Sending', in_flight: 1 }]);
    expect((await order())!.deliver_echoes).toBe(1);

    // The outage over, the send goes through once; its push is the echo, taken; no expectation is left over to
    // swallow a push Daifa does not cause (the counter used to keep one per attempt).
    h.sandbox.wechat.api.outageFromPath = undefined;
    await waitFor(async () => (await order())?.state === 'Shipped', { timeoutMs: 60_000, what: 'shipped after the outage' });
    await waitFor(
      async () =>
        (
          await k
            .selectFrom('inbound_events')
            .select('id')
            .where('event_type', '=', 'channels_ec_order_deliver')
            .where('external_id', '=', o!.orderId)
            .execute()
        ).length === 1 && h!.sandbox.wechat.push.outstanding === 0,
      { what: 'the echo received' },
    );
    await waitFor(
      async () =>
        (
          await k
            .selectFrom('jobs')
            .select('id')
            .where('status', 'in', ['pending', 'running'])
            .where('kind', 'in', ['order.sync', 'order.deliver'])
            .execute()
        ).length === 0,
      { what: 'idle' },
    );
    expect(wxOrder(h, o!.orderId).packages).toHaveLength(1);
    expect(await delivery()).toEqual([{ status: 'Sent', in_flight: 0 }]);
    expect(await order()).toMatchObject({ wx_status: 30, deliver_echoes: 0 });
  });

  it('WeChat refuses a delivery → a case; fixed and retried from the case, it goes through and the case is settled; a rate limit is waited out, not a case', async () => {
    h = await startHarness({ alibaba: { autoShipAfterMs: 20, traceStepMs: 20 } });
    await enableSourcing(h, { messages: true });
    const k = h.app.db.kysely;
    const operator = await tokenFor(h, 'operator');
    // WeChat refuses the package (606005): recorded as failed, a case; nothing more happens by itself.
    h.sandbox.wechat.api.deliverySendErrcode = 606005;
    const [b] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const c = await waitFor(() => k.selectFrom('cases').selectAll().where('kind', '=', 'DELIVERY_FAILED').executeTakeFirst(), {
      timeoutMs: 60_000,
      what: 'delivery case',
    });
    expect(JSON.parse(c.actions)).toContain('retry');
    expect(c.message).toContain('606005');
    const idle = async () =>
      (await k.selectFrom('jobs').select('id').where('kind', '=', 'order.deliver').where('status', 'in', ['pending', 'running']).execute())
        .length === 0;
    // Retrying while the cause is still there fails again: the same case stays open (no second one).
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/retry`, operator)).body).toEqual({ kind: 'DELIVERY_FAILED', outcome: 'queued' });
    await waitFor(idle, { what: 'retry ran' });
    expect(await count(h.app, 'cases', ['kind', '=', 'DELIVERY_FAILED'])).toBe(1);
    expect((await k.selectFrom('cases').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state).toBe('Open');
    // The cause fixed: retried, it goes through; the case is settled by the send itself.
    h.sandbox.wechat.api.deliverySendErrcode = undefined;
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/retry`, operator)).status).toBe(200);
    await waitFor(
      async () =>
        (await k.selectFrom('shop_orders').select('state').where('wx_order_id', '=', b!.orderId).executeTakeFirst())?.state === 'Shipped',
      { what: 'shipped after the retry' },
    );
    expect(await k.selectFrom('cases').select(['state', 'resolution']).where('id', '=', c.id).executeTakeFirstOrThrow()).toEqual({
      state: 'Resolved',
      resolution: 'synced',
    });
    expect(wxOrder(h, b!.orderId).packages).toHaveLength(1);
    // A settled case cannot be retried; a viewer cannot retry; a case with no step to retry says so.
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/retry`, operator)).status).toBe(409);
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/retry`, await tokenFor(h, 'viewer'))).status).toBe(403);
    const other = await k
      .transaction()
      .execute((trx) => openCase(trx, { kind: 'TRACKING_ANOMALY', shopOrderId: c.shop_order_id!, message: '物流异常' }, Date.now()));
    const refused = await callApi(h, 'POST', `/api/cases/${other}/retry`, operator);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain('没有可自动重试的步骤');

    // A rate limit on delivery/send (45011) was refused before anything was done: the job waits for the next
    // minute and tries again — no case, nothing recorded as failed.
    h.sandbox.wechat.api.deliverySendErrcode = 45011;
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const job = await waitFor(
      () =>
        k
          .selectFrom('jobs')
          .select(['status', 'run_at', 'updated_at'])
          .where('kind', '=', 'order.deliver')
          .where('last_error', 'like', '%45011%')
          .executeTakeFirst(),
      { timeoutMs: 60_000, what: 'delivery rate-limited' },
    );
    expect(job.status).toBe('pending');
    expect(job.run_at).toBeGreaterThanOrEqual(Math.ceil(job.updated_at / 60_000) * 60_000);
    expect(await count(h.app, 'cases', ['kind', '=', 'DELIVERY_FAILED'])).toBe(1);
    expect(await count(h.app, 'wx_deliveries', ['status', '=', 'Failed'])).toBe(0);
  });

  it('a parcel not picked up for a day → a TRACKING_ANOMALY case and an alert; once it moves again the case is settled', async () => {
    h = await startHarness({ alibaba: { autoShipAfterMs: 20 } });
    await enableSourcing(h, { messages: true });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'packages')) === 1, { what: 'shipped' });
    const k = h.app.db.kysely;
    const pkg = await k.selectFrom('packages').select(['id', 'purchase_order_id', 'waybill_id']).executeTakeFirstOrThrow();
    // A day and a bit passes with the parcel still waiting for the courier.
    await k
      .updateTable('packages')
      .set({ shipped_at: Date.now() - 25 * 3_600_000 })
      .execute();
    expect((await h.app.tracking.sweep()).anomalies).toBe(1);
    expect(await k.selectFrom('cases').select(['state', 'message']).where('kind', '=', 'TRACKING_ANOMALY').execute()).toEqual([
      { state: 'Open', message: `包裹 ${pkg.waybill_id} 发货 24 小时后仍未揽收` },
    ]);
    expect(await count(h.app, 'notifications', ['event', '=', 'tracking_anomaly'])).toBe(1);
    // The same read without news changes nothing; the courier then picks it up.
    await h.app.tracking.track(pkg.purchase_order_id);
    expect((await k.selectFrom('cases').select('state').where('kind', '=', 'TRACKING_ANOMALY').executeTakeFirstOrThrow()).state).toBe(
      'Open',
    );
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    // Trace times have whole seconds: a pickup in the same second as the dispatch step is no later than it. The
    // new status must be enough (recorded later than now here, so the time alone cannot settle it).
    await k
      .updateTable('packages')
      .set({ last_trace_at: Date.now() + 600_000 })
      .execute();
    h.sandbox.alibaba.advanceTrace(sim.orderId);
    await h.app.tracking.track(pkg.purchase_order_id);
    expect(await k.selectFrom('cases').select(['state', 'resolution']).where('kind', '=', 'TRACKING_ANOMALY').execute()).toEqual([
      { state: 'Resolved', resolution: 'moving_again' },
    ]);
    expect((await k.selectFrom('packages').select('anomaly').executeTakeFirstOrThrow()).anomaly).toBeNull();
  });

  it('split shipments: a SKU is sent to WeChat only when all its units have shipped, in one package; other lines go first (status 21)', async () => {
    h = await startHarness({ push: { enabled: false } });
    await enableSourcing(h, { messages: true });
    const { order, soId, sim1688 } = await oneOrderOneSeller(h, (o) => o.lines.length >= 2 && o.lines[0]!.cnt >= 2);
    const split = order.lines[0]!;
    // Parcel 1: one unit of line 1 → nothing can be sent yet (the SKU would be split).
    expect(h.sandbox.alibaba.ship(sim1688.orderId, [{ lineIdx: 0, quantity: 1 }])).not.toBeTypeOf('string');
    await waitFor(async () => (await count(h!.app, 'packages')) === 1, { what: 'parcel 1 recorded' });
    await h.app.delivery.deliver(soId);
    expect(wxOrder(h, order.orderId).packages).toEqual([]);
    // Parcel 2: every other line → sent, the order is partially shipped.
    h.sandbox.alibaba.ship(sim1688.orderId, sim1688.lines.map((l, i) => ({ lineIdx: i, quantity: l.quantity })).slice(1));
    await waitFor(async () => (await state(h!, soId)) === 'PartiallyShipped', { what: 'partially shipped' });
    expect(wxOrder(h, order.orderId).status).toBe(21);
    expect(
      wxOrder(h, order.orderId)
        .packages.flatMap((p) => p.product_infos)
        .some((p) => p.sku_id === split.skuId),
    ).toBe(false);
    // Parcel 3: the rest of line 1 → the whole SKU in one WeChat package, under parcel 3's waybill.
    const last = h.sandbox.alibaba.ship(sim1688.orderId, [{ lineIdx: 0, quantity: sim1688.lines[0]!.quantity - 1 }]);
    await waitFor(async () => (await state(h!, soId)) === 'Shipped', { what: 'shipped' });
    const withSku = wxOrder(h, order.orderId).packages.filter((p) => p.product_infos.some((x) => x.sku_id === split.skuId));
    expect(withSku).toHaveLength(1);
    expect(withSku[0]!.product_infos.find((x) => x.sku_id === split.skuId)!.product_cnt).toBe(split.cnt);
    expect(withSku[0]!.waybill_id).toBe((last as { mailNo: string }).mailNo);
    expect(wxOrder(h, order.orderId).status).toBe(30);
  });

  it('an after-sale in progress holds the sync; once refunded, that line is never shipped and the rest is', async () => {
    h = await startHarness({ push: { enabled: false } });
    await enableSourcing(h, { messages: true });
    const { order, soId, sim1688 } = await oneOrderOneSeller(h, (o) => o.lines.length >= 2);
    const refunded = order.lines[1]!;
    const asId = h.sandbox.wechat.openAftersale(h.sandbox.wechat.shops.get(h.creds.appId)!, order.orderId, refunded.skuId)!;
    h.sandbox.alibaba.ship(sim1688.orderId);
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'DELIVERY_BLOCKED'])) === 1, { what: 'held by the after-sale' });
    expect(wxOrder(h, order.orderId).packages).toEqual([]);
    expect(await state(h, soId)).toBe('Fulfilling');
    // The merchant refunds that line; the after-sale ends and delivery sync goes on without it.
    h.sandbox.wechat.closeAftersale(h.creds.appId, asId, 'refunded');
    await h.app.intake.sync({ shopId: h.shop.id, orderId: order.orderId, source: 'manual' });
    await waitFor(async () => (await state(h!, soId)) === 'Shipped', { what: 'rest shipped' });
    const sent = wxOrder(h, order.orderId).packages.flatMap((p) => p.product_infos);
    expect(sent.some((p) => p.sku_id === refunded.skuId)).toBe(false);
    expect(
      (await h.app.db.kysely.selectFrom('cases').select('state').where('kind', '=', 'DELIVERY_BLOCKED').executeTakeFirstOrThrow()).state,
    ).toBe('Resolved');
    expect(sent.map((p) => p.sku_id).sort()).toEqual(
      order.lines
        .filter((l) => l.skuId !== refunded.skuId)
        .map((l) => l.skuId)
        .sort(),
    );
  });

  it('unknown courier → OTHER and a case; a changed tracking number → deliveryinfo/update; re-running never sends twice', async () => {
    h = await startHarness({ push: { enabled: false }, alibaba: { courierNameOverride: '城东同城快递' } });
    await enableSourcing(h, { messages: true });
    const { order, soId, sim1688 } = await oneOrderOneSeller(h, (o) => o.lines.length >= 1);
    h.sandbox.alibaba.ship(sim1688.orderId);
    await waitFor(async () => (await state(h!, soId)) === 'Shipped', { what: 'shipped' });
    expect(wxOrder(h, order.orderId).packages.map((p) => p.delivery_id)).toEqual(['OTHER']);
    expect(await count(h.app, 'cases', ['kind', '=', 'UNKNOWN_COURIER'])).toBe(1);
    const sends = () => h!.sandbox.wechat.calls.get('/channels/ec/order/delivery/send') ?? 0;
    expect(sends()).toBe(1);

    // The seller re-prints the waybill with a known courier.
    const changed = h.sandbox.alibaba.changeMailNo(sim1688.orderId, undefined, 'ZTO')!;
    await waitFor(async () => wxOrder(h!, order.orderId).packages[0]!.waybill_id === changed.mailNo, { what: 'deliveryinfo/update' });
    // Daifa records the update once WeChat has answered: wait for that record, not only for WeChat.
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('wx_deliveries').select('updates').executeTakeFirstOrThrow()).updates > 0,
      { what: 'update recorded' },
    );
    expect(wxOrder(h, order.orderId).packages[0]!.delivery_id).toBe('ZTO');
    expect(await h.app.db.kysely.selectFrom('wx_deliveries').select(['updates', 'waybill_id']).executeTakeFirstOrThrow()).toEqual({
      updates: 1,
      waybill_id: changed.mailNo,
    });
    // The courier is known now: the case about the unknown one is settled, not left for a person to close.
    expect(
      await h.app.db.kysely.selectFrom('cases').select(['state', 'resolution']).where('kind', '=', 'UNKNOWN_COURIER').execute(),
    ).toEqual([{ state: 'Resolved', resolution: 'waybill_changed' }]);

    // A crash that lost Daifa's record of the send: running again compares with WeChat and sends nothing.
    await h.app.db.kysely.deleteFrom('wx_deliveries').execute();
    await h.app.delivery.deliver(soId);
    await h.app.tracking.track((await h.app.db.kysely.selectFrom('purchase_orders').select('id').executeTakeFirstOrThrow()).id);
    expect(sends()).toBe(1);
    expect(wxOrder(h, order.orderId).packages).toHaveLength(1);
  });

  it('unknown courier named by a person (指定快递公司): WeChat gets it by deliveryinfo/update on the same waybill, the case settles, re-reading 1688 does not undo it, and the name is remembered', async () => {
    h = await startHarness({ push: { enabled: false }, alibaba: { courierNameOverride: '城东同城快递' } });
    await enableSourcing(h, { messages: true });
    const op = await tokenFor(h, 'operator');
    const { order, soId, sim1688 } = await oneOrderOneSeller(h, (o) => o.lines.length >= 1);
    h.sandbox.alibaba.ship(sim1688.orderId);
    await waitFor(async () => (await state(h!, soId)) === 'Shipped', { what: 'shipped as OTHER' });
    const waybill = wxOrder(h, order.orderId).packages[0]!.waybill_id;
    expect(wxOrder(h, order.orderId).packages[0]!.delivery_id).toBe('OTHER');
    const c = await h.app.db.kysely
      .selectFrom('cases')
      .select(['id', 'actions'])
      .where('kind', '=', 'UNKNOWN_COURIER')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(c.actions)).toContain('set_courier');
    const couriers = (await callApi(h, 'GET', '/api/couriers', op)).body.couriers;
    expect(couriers).toContainEqual({ deliveryId: 'ZTO', name: '中通快递' });
    expect(couriers.some((x: { deliveryId: string }) => x.deliveryId === 'OTHER')).toBe(false);
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/courier`, op, { deliveryId: 'NOPE' })).status).toBe(400);
    // A tracking number that cannot be SF's is refused (SF numbers start with SF).
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/courier`, op, { deliveryId: 'SF' })).body.error.message).toContain(waybill);
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/courier`, await tokenFor(h, 'viewer'), { deliveryId: 'ZTO' })).status).toBe(403);
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/courier`, op, { deliveryId: 'ZTO' })).body).toEqual({ packages: 1 });
    await waitFor(async () => wxOrder(h!, order.orderId).packages[0]!.delivery_id === 'ZTO', { what: 'deliveryinfo/update' });
    expect(wxOrder(h, order.orderId).packages[0]!.waybill_id).toBe(waybill);
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('wx_deliveries').select('updates').executeTakeFirstOrThrow()).updates === 1,
      { what: 'update recorded' },
    );
    expect((await h.app.db.kysely.selectFrom('cases').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state).toBe(
      'Resolved',
    );
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/courier`, op, { deliveryId: 'ZTO' })).status).toBe(409);
    // 1688 still calls it 城东同城快递: a re-read keeps the courier the person named, and WeChat is not asked again.
    const poId = (await h.app.db.kysely.selectFrom('purchase_orders').select('id').executeTakeFirstOrThrow()).id;
    await h.app.tracking.track(poId);
    await h.app.delivery.deliver(soId);
    expect((await h.app.db.kysely.selectFrom('packages').select('delivery_id').executeTakeFirstOrThrow()).delivery_id).toBe('ZTO');
    expect(h.sandbox.wechat.calls.get('/channels/ec/order/deliveryinfo/update')).toBe(1);
    expect(await count(h.app, 'cases', ['kind', '=', 'UNKNOWN_COURIER'])).toBe(1);

    // Remembered: the next parcel under that courier name goes to WeChat as ZTO at once, with no case.
    const next = await oneOrderOneSeller(h, (o) => o.lines.length >= 1);
    h.sandbox.alibaba.ship(next.sim1688.orderId);
    await waitFor(async () => (await state(h!, next.soId)) === 'Shipped', { what: 'second order shipped' });
    expect(wxOrder(h, next.order.orderId).packages.map((p) => p.delivery_id)).toEqual(['ZTO']);
    expect(await count(h.app, 'cases', ['kind', '=', 'UNKNOWN_COURIER'])).toBe(1);
    expect(h.sandbox.wechat.calls.get('/channels/ec/order/deliveryinfo/update')).toBe(1);
  });
});
