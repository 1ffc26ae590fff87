import { afterEach, describe, expect, it } from 'vitest';
import { supplierScorecards } from '../../src/dashboard/queries.js';
import { callApi, count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

/** The deadline approaches: on WeChat (the simulator) and in Daifa's copy alike. */
async function shortenDeadlines(h: Harness, wxOrderIds: string[], hours: number): Promise<void> {
  const at = Math.floor(Date.now() / 1000) + hours * 3600;
  for (const id of wxOrderIds) for (const l of h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(id)!.lines) l.deadline = at;
  await h.app.db.kysely.updateTable('shop_order_lines').set({ delivery_deadline_s: at }).execute();
}

/** Ship-by deadlines: risk, alert, expedite, and the buyer's answer to a delivery negotiation (issue 5). */
describe('ship-by deadlines', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a supplier that cannot make the deadline → risk case and alert; expedite once a day; the buyer agrees to a later date (recorded) or refuses (recorded)', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    const op = await tokenFor(h, 'operator');
    const orders = h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 2, { what: 'paid' });
    const pos = await h.app.db.kysely
      .selectFrom('purchase_orders as p')
      .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
      .select(['p.id', 'p.shop_order_id', 'p.supplier_order_id', 'o.wx_order_id'])
      .orderBy('p.shop_order_id')
      .execute();
    // Time passes: the ship-by deadline is now 10 h away, and the sellers promise 12–36 h.
    await shortenDeadlines(
      h,
      orders.map((o) => o.orderId),
      10,
    );

    const f = (await callApi(h, 'GET', `/api/purchase-orders/${pos[0]!.id}/forecast`, op)).body;
    expect(f).toMatchObject({ basis: 'lead_time', risk: 1 });
    expect(f.hoursLeft).toBeGreaterThan(9);
    expect(await h.app.deadlines.watch()).toBe(2);
    expect(await h.app.deadlines.watch()).toBe(0); // one case per purchase order
    const c = await h.app.db.kysely.selectFrom('cases').selectAll().where('kind', '=', 'DEADLINE_AT_RISK').orderBy('id').execute();
    expect(c[0]!.message).toMatch(/供应商超时概率 100%.*催发货.*发货协商/);
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'deadline_at_risk'])) >= 2, { what: 'alerts' });

    const urge1 = await callApi(h, 'POST', `/api/purchase-orders/${pos[0]!.id}/expedite`, op);
    expect(urge1.body).toEqual({ ok: true, message: '已在 1688 催发货' });
    expect((await callApi(h, 'POST', `/api/purchase-orders/${pos[0]!.id}/expedite`, op)).body.message).toContain('24小时内只能催发货一次');
    // A message of one's own to a 1688 seller goes through 旺旺: the answer says so (no message API in the reference).
    expect(
      (await callApi(h, 'POST', `/api/purchase-orders/${pos[0]!.id}/contact`, op, { body: '请尽快发货' })).body.error.message,
    ).toContain('旺旺');

    // Ask both buyers for two more days: one agrees, one refuses.
    const later = Math.floor(Date.now() / 1000) + 2 * 86_400;
    for (const po of pos)
      expect(
        (
          await callApi(h, 'POST', `/api/orders/${po.shop_order_id}/delivery-negotiation`, op, {
            predictDeliveryTime: later,
            reason: 2,
            remark: '厂家补货中，预计两天内发出',
          })
        ).status,
      ).toBe(200);
    expect(
      (
        await callApi(h, 'POST', `/api/orders/${pos[0]!.shop_order_id}/delivery-negotiation`, op, {
          predictDeliveryTime: later,
          reason: 2,
          remark: '再次协商',
        })
      ).body.error.message,
    ).toContain('待买家答复');
    // Answers go to the orders by their WeChat ids (ingestion order need not match generation order).
    h.sandbox.wechat.answerNegotiation(h.creds.appId, pos[0]!.wx_order_id, 'agree');
    h.sandbox.wechat.answerNegotiation(h.creds.appId, pos[1]!.wx_order_id, 'reject');
    await waitFor(async () => (await count(h!.app, 'negotiations', ['state', '!=', 'Waiting'])) === 2, { what: 'answers recorded' });
    const n = await h.app.db.kysely.selectFrom('negotiations').select(['shop_order_id', 'state']).orderBy('shop_order_id').execute();
    expect(n.map((x) => x.state)).toEqual(['Agreed', 'Rejected']);
    const events = await h.app.db.kysely
      .selectFrom('order_events')
      .select(['shop_order_id', 'event', 'actor'])
      .where('event', 'like', 'order.negotiation_%')
      .where('event', '!=', 'order.negotiation_sent')
      .orderBy('shop_order_id')
      .execute();
    expect(events).toEqual([
      { shop_order_id: pos[0]!.shop_order_id, event: 'order.negotiation_agreed', actor: 'buyer:wechat' },
      { shop_order_id: pos[1]!.shop_order_id, event: 'order.negotiation_rejected', actor: 'buyer:wechat' },
    ]);
    const rows = await h.app.db.kysely
      .selectFrom('cases')
      .select(['purchase_order_id', 'state', 'resolution'])
      .where('kind', '=', 'DEADLINE_AT_RISK')
      .execute();
    const cases = pos.map((po) => rows.find((r) => r.purchase_order_id === po.id)!);
    expect(cases.map((x) => x.state)).toEqual(['Resolved', 'Open']);
    expect(cases[0]!.resolution).toBe('buyer_agreed_later_delivery');
    // The agreed date is the new deadline: the risk drops.
    const line = await h.app.db.kysely
      .selectFrom('shop_order_lines')
      .select('delivery_deadline_s')
      .where('shop_order_id', '=', pos[0]!.shop_order_id)
      .executeTakeFirstOrThrow();
    expect(line.delivery_deadline_s).toBe(later);
    expect((await h.app.deadlines.forecast(pos[0]!.id))!.risk).toBeLessThan(1);
  });

  it('a supplier that always shipped within seconds: an order waiting longer is not 100% late while its lead time says it may still ship in time; past every record and the lead time, it is', async () => {
    h = await startHarness({ alibaba: { autoShipAfterMs: 20, traceStepMs: 20 } });
    await enableSourcing(h, { messages: true });
    // Every order goes to one seller (the others much dearer): it builds a record of fast dispatches.
    const cheap = await h.app.db.kysely
      .selectFrom('suppliers')
      .select('id')
      .where('member_id', '=', 'b2b-2200000001')
      .executeTakeFirstOrThrow();
    await h.app.db.kysely
      .updateTable('supplier_offers')
      .set((eb) => ({ unit_price: eb('unit_price', '*', 3) }))
      .where('supplier_id', '!=', cheap.id)
      .execute();
    h.sandbox.wechat.generate(h.creds.appId, { count: 6, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'purchase_orders', ['state', '=', 'Shipped'])) === 6, {
      timeoutMs: 30_000,
      what: 'six dispatches on record',
    });
    // This one the seller does not ship.
    h.sandbox.alibaba.knobs.autoShipAfterMs = null;
    const [late] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const po = await waitFor(
      async () =>
        await h!.app.db.kysely
          .selectFrom('purchase_orders as p')
          .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
          .innerJoin('payments as pay', 'pay.purchase_order_id', 'p.id')
          .select(['p.id', 'pay.id as paymentId', 'p.supplier_id'])
          .where('o.wx_order_id', '=', late!.orderId)
          .where('pay.status', '=', 'Paid')
          .executeTakeFirst(),
      { what: 'paid' },
    );
    expect(po.supplier_id).toBe(cheap.id);
    // The same record feeds the supplier choice: six shipments within seconds of payment.
    const record = (await h.app.sourcing.readHistories(h.app.db.kysely, h.shop.id)).get(cheap.id)!;
    expect(record.dispatched).toBe(6);
    expect(record.dispatchP50Hours).toBeLessThan(0.01);
    expect(record.dispatchP80Hours).toBeLessThan(0.01);
    // And the scorecard shows it (shipments stamped before Daifa's payment record count as immediate, not missing).
    const card = (await supplierScorecards(h.app.db, Date.now())).find((c) => c.id === cheap.id)!;
    expect(card.dispatchHoursP80).not.toBeNull();
    expect(card.dispatchHoursP80!).toBeLessThan(0.01);
    await shortenDeadlines(h, [late!.orderId], 40);
    const f = (await h.app.deadlines.forecast(po.id))!;
    expect(f.basis).toBe('history');
    expect(f.samples).toBeGreaterThanOrEqual(6);
    // Waited longer than any past order (seconds), but far inside the 12–36 h the seller promises: no alarm.
    expect(f.risk).toBeLessThan(0.5);
    expect(await h.app.deadlines.watch()).toBe(0);
    // Paid 80 h ago and due in 2 h: past every record and twice the promise — certainly late.
    await h.app.db.kysely
      .updateTable('payments')
      .set({ paid_at: Date.now() - 80 * 3_600_000 })
      .where('id', '=', po.paymentId)
      .execute();
    await shortenDeadlines(h, [late!.orderId], 2);
    expect((await h.app.deadlines.forecast(po.id))!.risk).toBe(1);
    expect(await h.app.deadlines.watch()).toBe(1);
    // The seller ships after all: the warning is settled with the shipment, not left open in the list.
    const supplierOrderId = (
      await h.app.db.kysely.selectFrom('purchase_orders').select('supplier_order_id').where('id', '=', po.id).executeTakeFirstOrThrow()
    ).supplier_order_id!;
    h.sandbox.alibaba.ship(supplierOrderId);
    await h.app.tracking.track(po.id);
    expect(
      await h.app.db.kysely.selectFrom('cases').select(['state', 'resolution']).where('kind', '=', 'DEADLINE_AT_RISK').execute(),
    ).toEqual([{ state: 'Resolved', resolution: 'shipped' }]);
  });

  it('an order still waiting for the buyer (no supplier order yet) is watched too: a case and an alert a day before its deadline; settled once it is placed', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    // No sandbox supplier ships 德邦: the buyer is asked.
    h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o!.orderId)!.notes = '请发德邦快递';
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'AwaitingBuyer'])) === 1, { what: 'awaiting the buyer' });
    expect(await h.app.deadlines.watch()).toBe(0); // days left: nothing to say yet
    await shortenDeadlines(h, [o!.orderId], 10);
    expect(await h.app.deadlines.watch()).toBe(1);
    expect(await h.app.deadlines.watch()).toBe(0);
    const [c] = await h.app.db.kysely.selectFrom('cases').selectAll().where('kind', '=', 'DEADLINE_AT_RISK').execute();
    expect(c!.message).toMatch(/剩 \d+\.\d 小时.*订单仍等待买家答复，尚未向供应商下单.*发货协商/);
    expect(c!.purchase_order_id).toBeNull();
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'deadline_at_risk'])) >= 1, { what: 'alert' });

    // (Ten hours is shorter than any sandbox supplier's dispatch: the deadline moves out, as an agreed negotiation does.)
    await shortenDeadlines(h, [o!.orderId], 72);
    const consent = await h.app.db.kysely
      .selectFrom('cases')
      .select('id')
      .where('kind', '=', 'SPECIAL_REQUEST_CONSENT')
      .executeTakeFirstOrThrow();
    await h.app.consent.record({ caseId: consent.id, answer: 'agreed', note: '买家说中通也行', actor: 'user:op' });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 1, { what: 'placed and paid' });
    await h.app.deadlines.watch();
    const settled = await h.app.db.kysely
      .selectFrom('cases')
      .select(['state', 'resolution'])
      .where('id', '=', c!.id)
      .executeTakeFirstOrThrow();
    expect(settled).toEqual({ state: 'Resolved', resolution: 'placed' });
    // Back without a supplier later (its supplier could not fulfil, say) and near the deadline again: a new case.
    await h.app.db.kysely.updateTable('shop_orders').set({ state: 'NeedsReview' }).where('wx_order_id', '=', o!.orderId).execute();
    await shortenDeadlines(h, [o!.orderId], 10);
    expect(await h.app.deadlines.watch()).toBe(2); // the order again, and now its purchase order too
    expect(await count(h.app, 'cases', ['kind', '=', 'DEADLINE_AT_RISK'])).toBe(3);
    expect(
      (
        await h.app.db.kysely
          .selectFrom('cases')
          .select('message')
          .where('kind', '=', 'DEADLINE_AT_RISK')
          .where('purchase_order_id', 'is', null)
          .where('state', '=', 'Open')
          .executeTakeFirstOrThrow()
      ).message,
    ).toContain('订单仍待人工审核');
  });

  it('a date the buyer asked for is watched after the supplier was chosen: a seller that has not shipped while the date nears → a case and an alert, once; a waived date is not watched', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    const [o, waived] = h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    for (const x of [o!, waived!]) {
      const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(x.orderId)!;
      sim.notes = '5天内送到';
      Object.assign(sim.address, { province: '浙江省', city: '杭州市', county: '西湖区' }); // not a remote province
    }
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 2, { what: 'placed and paid' });
    const orderOf = async (wx: string) =>
      h!.app.db.kysely.selectFrom('shop_orders').select(['id', 'special_requests']).where('wx_order_id', '=', wx).executeTakeFirstOrThrow();
    const order = await orderOf(o!.orderId);
    // Five days is plenty for a fresh supplier (36 h to dispatch + 48 h in transit): nothing to say.
    expect(JSON.parse(order.special_requests)).toMatchObject({ deliveryDate: { kind: 'relative', days: 5 } });
    await h.app.deadlines.watch();
    expect(await count(h.app, 'cases', ['kind', '=', 'DELIVERY_DATE_AT_RISK'])).toBe(0);
    // Time passes and the seller has not shipped: the date is 60 h away, the parcel still needs ~84 h.
    const soon = Math.floor(Date.now() / 1000) + 60 * 3600;
    for (const x of [order, await orderOf(waived!.orderId)]) {
      const r = JSON.parse(x.special_requests);
      const set =
        x.id === order.id
          ? { ...r, deliveryBy: soon }
          : { ...r, deliveryBy: soon, deliveryDate: undefined, waived: { deliveryDate: r.deliveryDate, by: 'user:op' } };
      await h.app.db.kysely
        .updateTable('shop_orders')
        .set({ special_requests: JSON.stringify(set) })
        .where('id', '=', x.id)
        .execute();
    }
    await h.app.deadlines.watch();
    const cases = await h.app.db.kysely.selectFrom('cases').selectAll().where('kind', '=', 'DELIVERY_DATE_AT_RISK').execute();
    expect(cases.map((c) => c.shop_order_id)).toEqual([order.id]);
    expect(cases[0]!.message).toMatch(/^买家要求5天内送达（.+ 前），供应商尚未发货：按其记录预计 .+ 才能送到。可选：催发货/);
    expect(JSON.parse(cases[0]!.actions)).toEqual(['expedite', 'contact_supplier', 'resolve']);
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'delivery_date_at_risk'])) >= 1, { what: 'alert' });
    await h.app.deadlines.watch();
    expect(await count(h.app, 'cases', ['kind', '=', 'DELIVERY_DATE_AT_RISK'])).toBe(1);
    // Urged, the seller ships; the parcel is on its way (not settled yet), then signed for in time: settled, saying so.
    const po = await h.app.db.kysely
      .selectFrom('purchase_orders')
      .select(['id', 'supplier_order_id'])
      .where('id', '=', cases[0]!.purchase_order_id!)
      .executeTakeFirstOrThrow();
    const parcel = h.sandbox.alibaba.ship(po.supplier_order_id!);
    expect(typeof parcel).toBe('object');
    await h.app.tracking.track(po.id);
    await h.app.deadlines.watch();
    expect((await h.app.db.kysely.selectFrom('cases').select('state').where('id', '=', cases[0]!.id).executeTakeFirstOrThrow()).state).toBe(
      'Open',
    );
    while (h.sandbox.alibaba.advanceTrace(po.supplier_order_id!));
    await h.app.tracking.track(po.id);
    await h.app.deadlines.watch();
    const settled = await h.app.db.kysely
      .selectFrom('cases')
      .select(['state', 'resolution'])
      .where('id', '=', cases[0]!.id)
      .executeTakeFirstOrThrow();
    expect(settled).toEqual({ state: 'Resolved', resolution: 'delivered_in_time' });
  });

  it('too close to the deadline (under 4 h) a negotiation is refused with a clear message', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const op = await tokenFor(h, 'operator');
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 1, { what: 'paid' });
    await shortenDeadlines(h, [o!.orderId], 3);
    const so = await h.app.db.kysely.selectFrom('shop_orders').select('id').executeTakeFirstOrThrow();
    const r = await callApi(h, 'POST', `/api/orders/${so.id}/delivery-negotiation`, op, {
      predictDeliveryTime: Math.floor(Date.now() / 1000) + 86_400,
      reason: 2,
      remark: '补货中',
    });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain('不足 4 小时');
    expect(h.sandbox.wechat.calls.get('/channels/ec/order/deliverynegotiation/submit') ?? 0).toBe(0);
  });
  it("a negotiation whose outcome was lost is never forgotten nor sent twice: the next try settles it with result/get, and the buyer's answer is recorded", async () => {
    h = await startHarness();
    await enableSourcing(h);
    const op = await tokenFor(h, 'operator');
    const orders = h.sandbox.wechat.generate(h.creds.appId, { count: 3, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 3, { what: 'paid' });
    await shortenDeadlines(
      h,
      orders.map((o) => o.orderId),
      10,
    );
    const k = h.app.db.kysely;
    const so = async (wxOrderId: string) =>
      (await k.selectFrom('shop_orders').select('id').where('wx_order_id', '=', wxOrderId).executeTakeFirstOrThrow()).id;
    const [a, b] = [await so(orders[0]!.orderId), await so(orders[1]!.orderId)];
    const onWeChat = (wxOrderId: string) => h!.sandbox.wechat.shops.get(h!.creds.appId)!.orders.get(wxOrderId)!.negotiations ?? [];
    const rows = (id: number) => k.selectFrom('negotiations').select(['state']).where('shop_order_id', '=', id).execute();
    const ask = (id: number, remark: string) =>
      callApi(h!, 'POST', `/api/orders/${id}/delivery-negotiation`, op, {
        predictDeliveryTime: Math.floor(Date.now() / 1000) + 2 * 86_400,
        reason: 2,
        remark,
      });

    // A: WeChat asked the buyer, but the answer was lost. Daifa keeps the request (Sending) and says the outcome is unknown.
    h.sandbox.wechat.api.loseAnswerOf = '/channels/ec/order/deliverynegotiation/submit';
    const lost = await ask(a, '补货中');
    expect(lost.status).toBeGreaterThanOrEqual(500);
    expect(lost.body.error.message).toContain('结果未知');
    expect(await rows(a)).toEqual([{ state: 'Sending' }]);
    expect(onWeChat(orders[0]!.orderId)).toHaveLength(1);
    // Trying again settles it first: WeChat lists it, so it is waiting for the buyer — not sent a second time.
    const again = await ask(a, '补货中');
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('待买家答复');
    expect(await rows(a)).toEqual([{ state: 'Waiting' }]);
    expect(onWeChat(orders[0]!.orderId)).toHaveLength(1);
    expect(await count(h.app, 'order_events', ['event', '=', 'order.negotiation_sent'])).toBe(1);

    // B: the request never reached WeChat (an outage). The next try finds it not listed and sends it.
    h.sandbox.wechat.api.outageFromPath = '/channels/ec/order/deliverynegotiation/submit';
    expect((await ask(b, '补货中')).status).toBeGreaterThanOrEqual(500);
    expect(await rows(b)).toEqual([{ state: 'Sending' }]);
    h.sandbox.wechat.api.outageFromPath = undefined;
    expect((await ask(b, '补货中')).status).toBe(200);
    expect(await rows(b)).toEqual([{ state: 'Waiting' }]);
    expect(onWeChat(orders[1]!.orderId)).toHaveLength(1);

    // A refusal by WeChat leaves nothing behind (nothing reached the buyer).
    h.sandbox.wechat.api.forcedErrcode = 10020052;
    await k.updateTable('negotiations').set({ state: 'Rejected' }).where('shop_order_id', '=', b).execute();
    expect((await ask(b, '再问一次')).status).toBeGreaterThanOrEqual(400);
    h.sandbox.wechat.api.forcedErrcode = undefined;
    expect(await rows(b)).toEqual([{ state: 'Rejected' }]);

    // C: the answer lost again, and nobody tries again — the next sync of the order settles it, and the buyer's
    // answer that was already there is recorded at once.
    const c = await so(orders[2]!.orderId);
    h.sandbox.wechat.api.loseAnswerOf = '/channels/ec/order/deliverynegotiation/submit';
    expect((await ask(c, '补货中')).status).toBeGreaterThanOrEqual(500);
    h.sandbox.wechat.answerNegotiation(h.creds.appId, orders[2]!.orderId, 'reject');
    await h.app.deadlines.afterSync({ shopId: h.shop.id, orderId: orders[2]!.orderId });
    expect(await rows(c)).toEqual([{ state: 'Rejected' }]);
    expect(
      (
        await k
          .selectFrom('order_events')
          .select('event')
          .where('shop_order_id', '=', c)
          .where('event', 'like', 'order.negotiation_%')
          .orderBy('id')
          .execute()
      ).map((e) => e.event),
    ).toEqual(['order.negotiation_sent', 'order.negotiation_rejected']);

    // The buyer of A answers: recorded as consent.
    h.sandbox.wechat.answerNegotiation(h.creds.appId, orders[0]!.orderId, 'agree');
    await waitFor(async () => (await rows(a))[0]?.state === 'Agreed', { what: 'answer recorded' });
  });
});
