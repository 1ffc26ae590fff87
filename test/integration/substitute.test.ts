import { afterEach, describe, expect, it } from 'vitest';
import { callApi, count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

/** 更换商品: every supplier out of stock → propose another product → continue only with the buyer's recorded answer. */
describe('substitute product with the buyer’s consent', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('out of stock everywhere → a substitute is proposed → agreed: that line is ordered as the substitute; refused: cancelled, nothing ordered, the buyer refunded by Daifa and booked', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const op = await tokenFor(h, 'operator');
    const viewer = await tokenFor(h, 'viewer');
    const k = h.app.db.kysely;
    await k.updateTable('supplier_offers').set({ stock: 0 }).execute();
    const [a, b] = h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    const cases = await waitFor(
      async () => {
        const r = await k.selectFrom('cases').selectAll().where('kind', '=', 'OUT_OF_STOCK').execute();
        return r.length === 2 && r;
      },
      { what: 'out-of-stock cases' },
    );
    const order = (wx: string) =>
      k.selectFrom('shop_orders').select(['id', 'state']).where('wx_order_id', '=', wx).executeTakeFirstOrThrow();
    const aOrder = await order(a!.orderId);
    const aCase = cases.find((c) => c.shop_order_id === aOrder.id)!;
    expect(aOrder.state).toBe('NeedsReview');
    expect(JSON.parse(aCase.actions)).toContain('ask_buyer_substitute');
    expect(h.sandbox.alibaba.orders.size).toBe(0);

    const mappingsBefore = await k.selectFrom('sku_mappings').select(['id', 'offer_ref', 'product_id', 'sku_id']).orderBy('id').execute();
    // A different product that is in stock.
    const line = await k
      .selectFrom('shop_order_lines')
      .select(['title', 'quantity'])
      .where('shop_order_id', '=', aOrder.id)
      .executeTakeFirstOrThrow();
    const sub = await k
      .selectFrom('supplier_offers')
      .select(['id', 'offer_id', 'title'])
      .where('title', '!=', line.title)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const short = await callApi(h, 'POST', `/api/cases/${aCase.id}/substitute`, op, { offerRef: sub.id, note: '同款缺货，换成同价位款' });
    expect([short.status, short.body.error.code]).toEqual([409, 'LIMIT_REACHED']);
    expect(short.body.error.message).toContain('库存');
    await k.updateTable('supplier_offers').set({ stock: 50 }).where('id', '=', sub.id).execute();
    // The dashboard's picker lists offers in stock only.
    const offers = (await callApi(h, 'GET', `/api/offers?q=${encodeURIComponent(sub.title.slice(0, 4))}`, viewer)).body.offers;
    expect(offers.map((o: { id: number }) => o.id)).toEqual([sub.id]);
    expect((await callApi(h, 'POST', `/api/cases/${aCase.id}/substitute`, viewer, { offerRef: sub.id, note: 'x' })).status).toBe(403);
    expect((await callApi(h, 'POST', `/api/cases/${aCase.id}/substitute`, op, { offerRef: 999999, note: 'x' })).status).toBe(400);
    const proposed = await callApi(h, 'POST', `/api/cases/${aCase.id}/substitute`, op, {
      offerRef: sub.id,
      note: '同款缺货，换成同价位款',
    });
    expect(proposed.status).toBe(200);
    expect((await callApi(h, 'POST', `/api/cases/${aCase.id}/substitute`, op, { offerRef: sub.id, note: 'again' })).status).toBe(409);
    expect((await order(a!.orderId)).state).toBe('AwaitingBuyer');
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'buyer_consent_needed'])) >= 1, {
      what: 'consent alert',
    });
    // Nothing is ordered while the buyer has not answered.
    await new Promise((r) => setTimeout(r, 300));
    expect(h.sandbox.alibaba.orders.size).toBe(0);

    const agreed = await callApi(h, 'POST', `/api/cases/${proposed.body.consentCaseId}/consent`, op, {
      answer: 'agreed',
      note: '买家在微信里回复：可以换',
    });
    expect(agreed.status).toBe(200);
    await waitFor(async () => ['Fulfilling', 'Purchasing'].includes((await order(a!.orderId)).state), {
      what: 'ordered as the substitute',
    });
    const poLines = await k
      .selectFrom('purchase_order_lines as l')
      .innerJoin('purchase_orders as p', 'p.id', 'l.purchase_order_id')
      .select(['l.offer_id', 'l.quantity'])
      .where('p.shop_order_id', '=', aOrder.id)
      .execute();
    expect(poLines).toEqual([{ offer_id: sub.offer_id, quantity: line.quantity }]);
    expect(h.sandbox.alibaba.orders.size).toBe(1);
    const events = await k.selectFrom('order_events').select(['event', 'actor']).where('shop_order_id', '=', aOrder.id).execute();
    expect(events).toEqual(
      expect.arrayContaining([
        { event: 'case.substitute_proposed', actor: expect.stringMatching(/^user:operator/) },
        { event: 'consent.agreed', actor: expect.stringMatching(/^user:operator/) },
        { event: 'order.substitute_agreed', actor: expect.stringMatching(/^user:operator/) },
      ]),
    );
    // The merchant's mappings are untouched: the substitute was for this order only.
    expect(await k.selectFrom('sku_mappings').select(['id', 'offer_ref', 'product_id', 'sku_id']).orderBy('id').execute()).toEqual(
      mappingsBefore,
    );

    // The other buyer refuses: the order is cancelled (refund on WeChat), and nothing is ordered for it.
    const bOrder = await order(b!.orderId);
    const bc = cases.find((c) => c.shop_order_id === bOrder.id)!;
    const p2 = await callApi(h, 'POST', `/api/cases/${bc.id}/substitute`, op, { offerRef: sub.id, note: '换款' });
    expect(p2.status).toBe(200);
    // WeChat leaves a refund the merchant starts waiting for the merchant's acceptance ([U]: the sandbox does
    // either), and the answer to Daifa's first acceptapply is lost (WeChat carried it out).
    h.sandbox.wechat.api.genAftersaleStatus = 'MERCHANT_PROCESSING';
    h.sandbox.wechat.api.loseAnswerOf = '/channels/ec/aftersale/acceptapply';
    const shop = h.sandbox.wechat.shops.get(h.creds.appId)!;
    const simB = shop.orders.get(b!.orderId)!;
    const simA = shop.orders.get(a!.orderId)!;
    // Meanwhile a buyer asks for a refund on the order being fulfilled: that one is never granted by Daifa.
    const openA = h.sandbox.wechat.openAftersale(shop, a!.orderId, simA.lines[0]!.skuId)!;
    const refused = await callApi(h, 'POST', `/api/cases/${p2.body.consentCaseId}/consent`, op, {
      answer: 'refused',
      note: '买家不要，申请退款',
    });
    expect(refused.body).toEqual({ orderState: 'Cancelled' });

    // Daifa refunds the buyer itself (代用户发起售后) — the buyer does not have to apply — accepts the refund WeChat
    // left waiting, and the ledger shows the money going back. Nothing is ordered for that order.
    await waitFor(async () => simB.status === 200, { what: 'refunded on WeChat' });
    expect(h.sandbox.alibaba.orders.size).toBe(1);
    expect(simB.aftersales.map((x) => [x.status, x.refundReason, x.reason])).toEqual(
      simB.lines.map(() => ['MERCHANT_REFUND_SUCCESS', 3, '10000014']),
    );
    expect(simB.aftersales.reduce((t, x) => t + x.amount, 0)).toBe(simB.lines.reduce((t, l) => t + l.realPrice, 0));
    const paid = (await k.selectFrom('shop_orders').select('order_price').where('id', '=', bOrder.id).executeTakeFirstOrThrow())
      .order_price;
    const refund = await waitFor(
      () =>
        k
          .selectFrom('ledger_entries')
          .select('amount')
          .where('shop_order_id', '=', bOrder.id)
          .where('kind', '=', 'refund_to_buyer')
          .executeTakeFirst(),
      { what: 'refund in the ledger' },
    );
    expect(Number(refund.amount)).toBe(-Number(paid));
    const ev = (name: string) =>
      k.selectFrom('order_events').select(['actor', 'data']).where('shop_order_id', '=', bOrder.id).where('event', '=', name).execute();
    const accepted = await waitFor(
      async () => {
        const r = await ev('order.refund_accepted');
        return r.length >= simB.lines.length && r;
      },
      { what: 'every refund recorded done', timeoutMs: 20_000 },
    );
    expect(accepted).toHaveLength(simB.lines.length);
    const ids = new Set(simB.aftersales.map((x) => x.id));
    expect(new Set(accepted.map((e) => JSON.parse(e.data!).afterSaleOrderId))).toEqual(ids);
    expect(new Set((await ev('order.refund_requested')).map((e) => JSON.parse(e.data!).afterSaleOrderId))).toEqual(ids);
    expect(h.sandbox.wechat.api.loseAnswerOf).toBeUndefined();
    await new Promise((r) => setTimeout(r, 500));
    expect(simA.aftersales.find((x) => x.id === openA)!.status).toBe('MERCHANT_PROCESSING');
    expect(h.sandbox.wechat.calls.get('/channels/ec/aftersale/genaftersaleorder')).toBe(simB.lines.length);
    expect(h.sandbox.wechat.calls.get('/channels/ec/aftersale/acceptapply')).toBe(simB.lines.length);
  });

  it('a buyer who refuses the substitute while another line is already with a supplier: that supplier order is refunded too', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const op = await tokenFor(h, 'operator');
    const k = h.app.db.kysely;
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'line 1 paid with its supplier' });
    const order = await k.selectFrom('shop_orders').select('id').where('wx_order_id', '=', o!.orderId).executeTakeFirstOrThrow();
    // As after a stock-out on another line of the same order (re-sourcing found nobody): review + OUT_OF_STOCK case.
    const { openCase } = await import('../../src/cases/cases.js');
    await k.updateTable('shop_orders').set({ state: 'NeedsReview' }).where('id', '=', order.id).execute();
    const caseId = await k
      .transaction()
      .execute((trx) =>
        openCase(
          trx,
          { kind: 'OUT_OF_STOCK', shopOrderId: order.id, message: '第 1 行所有供应商都无法供货', data: { lineNo: 1 } },
          Date.now(),
        ),
      );
    const sub = await k.selectFrom('supplier_offers').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
    const p = await callApi(h, 'POST', `/api/cases/${caseId}/substitute`, op, { offerRef: sub.id, note: '换款' });
    expect(p.status).toBe(200);
    expect(
      (await callApi(h, 'POST', `/api/cases/${p.body.consentCaseId}/consent`, op, { answer: 'refused', note: '买家不要了' })).body,
    ).toEqual({ orderState: 'Cancelled' });
    // The live supplier order is unwound: paid → a refund request on 1688, the purchase order closed once refunded.
    await waitFor(async () => (await k.selectFrom('purchase_orders').select('state').executeTakeFirstOrThrow()).state === 'Cancelled', {
      what: 'supplier order unwound',
      timeoutMs: 30_000,
    });
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    expect(sim.refunds).toHaveLength(1);
  });
});
