import { afterEach, describe, expect, it } from 'vitest';
import { createWorker } from '../../src/app.js';
import { callApi, count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

const startWorker = (hh: Harness) => {
  hh.worker = createWorker(hh.app, { concurrency: 4 });
  hh.worker.start();
};

/**
 * 退款给买家: a person settles a case by refunding the buyer — one line (the rest of the order goes on) or the whole
 * order — and Daifa starts the refund on WeChat itself (genaftersaleorder), books it, and never orders those lines.
 */
describe('refund the buyer (代用户发起售后)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const twoLines = (hh: Harness) => {
    for (;;) {
      const [o] = hh.sandbox.wechat.generate(hh.creds.appId, { count: 1, multiLineRate: 1, requestRate: 0 });
      if (o!.lines.length === 2 && o!.lines[0]!.skuId !== o!.lines[1]!.skuId) return o!;
      hh.sandbox.wechat.refundAll(hh.sandbox.wechat.shops.get(hh.creds.appId)!, o!.orderId);
    }
  };

  it('one line out of stock everywhere: refunding that line lets the rest be ordered, shipped and synced; the line is never ordered and the ledger books it', async () => {
    h = await startHarness({ worker: false });
    await enableSourcing(h, { messages: true });
    const k = h.app.db.kysely;
    const op = await tokenFor(h, 'operator');
    const viewer = await tokenFor(h, 'viewer');
    // Line 2's SKU is out of stock at every supplier by the time the order is sourced.
    const o = twoLines(h);
    const [l1, l2] = o.lines;
    const offers = (await k.selectFrom('sku_mappings').select('offer_ref').where('sku_id', '=', l2!.skuId).execute()).map(
      (r) => r.offer_ref,
    );
    await k.updateTable('supplier_offers').set({ stock: 0 }).where('id', 'in', offers).execute();
    startWorker(h);
    const order = await waitFor(
      () => k.selectFrom('shop_orders').select(['id', 'state']).where('wx_order_id', '=', o.orderId).executeTakeFirst(),
      { what: 'order in Daifa' },
    );
    const c = await waitFor(
      () => k.selectFrom('cases').selectAll().where('shop_order_id', '=', order.id).where('kind', '=', 'OUT_OF_STOCK').executeTakeFirst(),
      { what: 'out-of-stock case for line 2' },
    );
    expect(JSON.parse(c.data!).lineNo).toBe(2);
    expect(JSON.parse(c.actions)).toContain('refund_buyer');

    const refund = (body: unknown, token = op) => callApi(h!, 'POST', `/api/orders/${order.id}/refund-buyer`, token, body);
    expect((await refund({ lines: [2], note: '缺货' }, viewer)).status).toBe(403);
    expect((await refund({ lines: [3], note: '缺货' })).status).toBe(400);
    expect((await refund({ lines: [2], note: ' ' })).status).toBe(400);
    expect((await refund({ lines: [2], reason: 'NO_REASON', note: '缺货' })).status).toBe(400);
    const r = await refund({ lines: [2], reason: '10000001', note: '买家同意缺货部分退款' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ state: 'Confirmed', lines: [2], whole: false });
    expect((await refund({ lines: [2], note: 'again' })).status).toBe(409);
    expect((await k.selectFrom('cases').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state).toBe('Resolved');

    // WeChat refunds line 2 (reason 缺货, the line's price); line 1 alone is ordered from 1688.
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o.orderId)!;
    await waitFor(async () => sim.lines[1]!.finishAftersale === l2!.cnt, { what: 'line 2 refunded on WeChat' });
    expect(sim.aftersales).toHaveLength(1);
    expect(sim.aftersales[0]).toMatchObject({
      skuId: l2!.skuId,
      count: l2!.cnt,
      amount: l2!.realPrice,
      reason: '10000001',
      refundReason: 3,
    });
    const po = await waitFor(
      () =>
        k
          .selectFrom('purchase_orders')
          .select(['id', 'supplier_order_id', 'state'])
          .where('shop_order_id', '=', order.id)
          .where('state', '=', 'Paid')
          .executeTakeFirst(),
      { what: 'line 1 ordered and paid' },
    );
    const poLines = await k
      .selectFrom('purchase_order_lines')
      .select('shop_order_line_no')
      .where('purchase_order_id', '=', po.id)
      .execute();
    expect(poLines.map((x) => x.shop_order_line_no)).toEqual([1]);
    // A line a live supplier order holds is not refunded from Daifa.
    expect((await refund({ lines: [1], note: 'x' })).body.error.message).toMatch(/采购单/);
    const booked = await waitFor(
      () =>
        k
          .selectFrom('ledger_entries')
          .select(['amount', 'ref'])
          .where('shop_order_id', '=', order.id)
          .where('kind', '=', 'refund_to_buyer')
          .executeTakeFirst(),
      { what: 'line refund booked' },
    );
    expect(Number(booked.amount)).toBe(-l2!.realPrice);

    // The supplier ships line 1: WeChat gets exactly it, and the order is shipped in full (line 2 was refunded).
    expect(h.sandbox.alibaba.ship(po.supplier_order_id!)).not.toBeTypeOf('string');
    await waitFor(
      async () =>
        (await k.selectFrom('shop_orders').select('state').where('id', '=', order.id).executeTakeFirstOrThrow()).state === 'Shipped',
      { what: 'order shipped' },
    );
    expect(sim.status).toBe(30);
    expect(sim.packages.flatMap((p) => p.product_infos.map((x) => x.sku_id))).toEqual([l1!.skuId]);
    const events = (await k.selectFrom('order_events').select(['event', 'actor']).where('shop_order_id', '=', order.id).execute()).map(
      (e) => e.event,
    );
    expect(events).toEqual(
      expect.arrayContaining(['order.line_refund_decided', 'order.resumed', 'order.refund_requested', 'order.refund_accepted']),
    );
    expect(h.sandbox.wechat.calls.get('/channels/ec/aftersale/genaftersaleorder')).toBe(1);
  });

  it('a line whose supplier ran out after payment and nobody else has: refunding it puts the order back with the line still ordered (not left Confirmed)', async () => {
    h = await startHarness({ worker: false });
    await enableSourcing(h, { messages: true });
    const k = h.app.db.kysely;
    const op = await tokenFor(h, 'operator');
    const o = twoLines(h);
    // Line 1 only from the first seller, line 2 only from the second: two supplier orders.
    const [a, b] = await k.selectFrom('suppliers').select('id').orderBy('id').limit(2).execute();
    const only = async (skuId: string, supplierId: number) => {
      const other = (await k.selectFrom('supplier_offers').select('id').where('supplier_id', '!=', supplierId).execute()).map((x) => x.id);
      await k.deleteFrom('sku_mappings').where('sku_id', '=', skuId).where('offer_ref', 'in', other).execute();
    };
    await only(o.lines[0]!.skuId, a!.id);
    await only(o.lines[1]!.skuId, b!.id);
    startWorker(h);
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 2, { what: 'both supplier orders paid' });
    const order = await k.selectFrom('shop_orders').select(['id', 'state']).where('wx_order_id', '=', o.orderId).executeTakeFirstOrThrow();
    expect(order.state).toBe('Fulfilling');
    const poB = await k
      .selectFrom('purchase_orders')
      .select('id')
      .where('shop_order_id', '=', order.id)
      .where('supplier_id', '=', b!.id)
      .executeTakeFirstOrThrow();
    // The second seller is out of stock after payment: refunded on 1688, and nobody else offers line 2.
    await callApi(h, 'POST', `/api/purchase-orders/${poB.id}/stock-out`, op);
    const c = await waitFor(
      () =>
        k
          .selectFrom('cases')
          .selectAll()
          .where('shop_order_id', '=', order.id)
          .where('kind', '=', 'OUT_OF_STOCK')
          .where('state', '=', 'Open')
          .executeTakeFirst(),
      { what: 'out-of-stock case after the fallback', timeoutMs: 30_000 },
    );
    expect((await k.selectFrom('shop_orders').select('state').where('id', '=', order.id).executeTakeFirstOrThrow()).state).toBe(
      'NeedsReview',
    );
    const r = await callApi(h, 'POST', `/api/orders/${order.id}/refund-buyer`, op, {
      lines: [JSON.parse(c.data!).lineNo],
      note: '缺货，退这一件',
    });
    expect(r.body).toMatchObject({ lines: [2], whole: false });
    // Line 1 is still with its paid supplier: the order is back in Fulfilling, not Confirmed, and line 2 is refunded.
    await waitFor(
      async () =>
        (await k.selectFrom('shop_orders').select('state').where('id', '=', order.id).executeTakeFirstOrThrow()).state === 'Fulfilling',
      { what: 'order back to Fulfilling' },
    );
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o.orderId)!;
    await waitFor(async () => sim.lines[1]!.finishAftersale === o.lines[1]!.cnt, { what: 'line 2 refunded on WeChat' });
    expect(await count(h.app, 'purchase_orders', ['shop_order_id', '=', order.id])).toBe(2);
  });

  it('cancelled in review after the supplier already sent a parcel (not yet synced to WeChat): that line is not refunded from Daifa', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    const k = h.app.db.kysely;
    const op = await tokenFor(h, 'operator');
    h.sandbox.wechat.api.deliverySendErrcode = 606005; // WeChat refuses the delivery: the parcel is Daifa's alone
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, multiLineRate: 0, requestRate: 0 });
    const po = await waitFor(
      () =>
        k.selectFrom('purchase_orders').select(['id', 'supplier_order_id', 'shop_order_id']).where('state', '=', 'Paid').executeTakeFirst(),
      { what: 'paid' },
    );
    expect(h.sandbox.alibaba.ship(po.supplier_order_id!)).not.toBeTypeOf('string');
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'DELIVERY_FAILED'])) === 1, {
      what: 'parcel recorded, delivery refused',
    });
    // A person holds the order and cancels it in review (as after a problem found late).
    await k.updateTable('shop_orders').set({ state: 'NeedsReview' }).where('id', '=', po.shop_order_id).execute();
    expect(
      (await callApi(h, 'POST', `/api/orders/${po.shop_order_id}/review`, op, { decision: 'cancel', note: '买家要求取消' })).body,
    ).toEqual({ state: 'Cancelled' });
    await waitFor(
      async () =>
        (await k.selectFrom('jobs').select('status').where('kind', '=', 'order.refund-buyer').executeTakeFirst())?.status === 'done',
      { what: 'refund job ran' },
    );
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o!.orderId)!;
    expect(sim.aftersales).toEqual([]);
    expect(h.sandbox.wechat.calls.get('/channels/ec/aftersale/genaftersaleorder') ?? 0).toBe(0);
  });

  it('the whole order (商品未关联 → 取消订单): cancelled, refunded in full by Daifa; a refusal by WeChat opens a case that 重试 clears', async () => {
    h = await startHarness({ worker: false });
    await enableSourcing(h);
    const k = h.app.db.kysely;
    const op = await tokenFor(h, 'operator');
    const o = twoLines(h);
    // Line 1 is not mapped to any supplier: the order waits for a person.
    await k.deleteFrom('sku_mappings').where('sku_id', '=', o.lines[0]!.skuId).execute();
    startWorker(h);
    const order = await waitFor(
      () =>
        k
          .selectFrom('shop_orders')
          .select(['id', 'state', 'order_price'])
          .where('wx_order_id', '=', o.orderId)
          .where('state', '=', 'NeedsReview')
          .executeTakeFirst(),
      { what: 'order held for review' },
    );
    const c = await waitFor(
      () => k.selectFrom('cases').selectAll().where('shop_order_id', '=', order.id).where('state', '=', 'Open').executeTakeFirst(),
      { what: 'a case' },
    );
    expect(['UNMAPPED', 'OUT_OF_STOCK']).toContain(c.kind);

    // WeChat refuses the refund the first time.
    h.sandbox.wechat.api.genAftersaleErrcode = 10021045;
    const r = await callApi(h, 'POST', `/api/orders/${order.id}/refund-buyer`, op, { reason: '10000008', note: '无法供货，整单退款' });
    expect(r.body).toEqual({ state: 'Cancelled', lines: [1, 2], whole: true });
    expect((await k.selectFrom('cases').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state).toBe('Resolved');
    const failed = await waitFor(
      () =>
        k
          .selectFrom('cases')
          .selectAll()
          .where('shop_order_id', '=', order.id)
          .where('kind', '=', 'REFUND_FAILED')
          .where('state', '=', 'Open')
          .executeTakeFirst(),
      { what: 'refund-failed case' },
    );
    expect(failed.message).toContain('10021045');
    // The job asks WeChat line by line: both lines' refusals are in before anything is retried.
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'REFUND_FAILED'])) === 2, { what: 'a refusal per line' });
    await waitFor(
      async () =>
        (await k.selectFrom('notifications').select('body').where('event', '=', 'needs_review').execute()).some((n) =>
          n.body.includes('给买家退款失败'),
        ),
      { what: 'merchant alerted, with the reason in the message' },
    );
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o.orderId)!;
    expect(sim.aftersales).toHaveLength(0);
    expect(sim.status).toBe(20);

    // 重试 once WeChat accepts again: refunded in full, booked once, and nothing was ever ordered.
    h.sandbox.wechat.api.genAftersaleErrcode = undefined;
    expect((await callApi(h, 'POST', `/api/cases/${failed.id}/retry`, op)).body).toEqual({ kind: 'REFUND_FAILED', outcome: 'queued' });
    await waitFor(async () => sim.status === 200, { what: 'refunded in full on WeChat' });
    expect(sim.aftersales.map((a) => a.reason)).toEqual(['10000008', '10000008']);
    const booked = await waitFor(
      () =>
        k
          .selectFrom('ledger_entries')
          .select('amount')
          .where('shop_order_id', '=', order.id)
          .where('kind', '=', 'refund_to_buyer')
          .execute()
          .then((x) => x.length > 0 && x),
      { what: 'refund booked' },
    );
    expect(booked.map((b) => Number(b.amount))).toEqual([-Number(order.order_price)]);
    expect(await count(h.app, 'purchase_orders', ['shop_order_id', '=', order.id])).toBe(0);
    // One case per line was opened; the one retried and the other are both settled once WeChat shows the refund.
    await waitFor(
      async () =>
        (
          await k.selectFrom('cases').select('state').where('shop_order_id', '=', order.id).where('kind', '=', 'REFUND_FAILED').execute()
        ).every((x) => x.state === 'Resolved'),
      { what: 'refund cases settled' },
    );
    expect(await count(h.app, 'cases', ['kind', '=', 'REFUND_FAILED'])).toBe(2);
    expect((await callApi(h, 'POST', `/api/orders/${order.id}/refund-buyer`, op, { note: 'again' })).status).toBe(409);
  });
});
