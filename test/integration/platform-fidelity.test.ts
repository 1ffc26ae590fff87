import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WeChatShopClient } from '../../src/channels/wechat-shop/client.js';
import { parseJsonLossless } from '../../src/lib/lossless-json.js';
import { aopSignature, pushSignature } from '../../src/suppliers/alibaba-1688/signing.js';
import { SANDBOX_1688_APP } from '../../src/runtime/sandbox-bootstrap.js';
import { SANDBOX_SELLERS } from '../../sandbox/catalogue.js';
import { PRODUCTS } from '../../sandbox/data.js';
import { callApi, count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

/**
 * Where the simulators used to agree with Daifa's clients and disagree with the real platforms (issue 22): each
 * point through the real client over HTTP against the (now stricter) simulators.
 */
describe('the sandbox as strict as WeChat Shop and 1688', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const wxClient = (hh: Harness) =>
    new WeChatShopClient(
      { shopId: hh.shop.id, appId: hh.creds.appId, appSecret: hh.creds.appSecret },
      { baseUrl: hh.sandbox.url, clock: { now: () => Date.now() }, log: pino({ level: 'silent' }) },
    );
  const rawWx = async (hh: Harness, path: string, body: string) => {
    const token = await wxClient(hh).accessToken();
    return (
      await fetch(`${hh.sandbox.url}${path}?access_token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    ).json() as Promise<{ errcode: number; errmsg: string; negotiation_list?: unknown[] }>;
  };
  /** A long deadline on WeChat and in Daifa alike, so a negotiation may be submitted (≥ 4 h before it). */
  const farDeadline = (hh: Harness, wxOrderId: string, hours: number) => {
    const at = Math.floor(Date.now() / 1000) + hours * 3600;
    for (const l of hh.sandbox.wechat.shops.get(hh.creds.appId)!.orders.get(wxOrderId)!.lines) l.deadline = at;
    return at;
  };

  it('1. deliverynegotiation/result/get takes order_id_list as a number array and its answer is filtered by order_id; states 10/11 are not outcomes', async () => {
    h = await startHarness({ worker: false });
    const [a, b] = h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0 });
    const client = wxClient(h);
    for (const o of [a!, b!]) {
      const deadline = farDeadline(h, o.orderId, 30);
      await client.deliveryNegotiationSubmit(o.orderId, deadline + 86_400, 2, '补货中');
    }
    // The old body ({order_id}) and quoted ids are refused with the documented 40097.
    expect((await rawWx(h, '/channels/ec/order/deliverynegotiation/result/get', JSON.stringify({ order_id: a!.orderId }))).errcode).toBe(
      40097,
    );
    expect(
      (await rawWx(h, '/channels/ec/order/deliverynegotiation/result/get', JSON.stringify({ order_id_list: [a!.orderId] }))).errcode,
    ).toBe(40097);
    // Two orders asked at once: both listed, each with its order_id.
    const both = await rawWx(h, '/channels/ec/order/deliverynegotiation/result/get', `{"order_id_list":[${a!.orderId},${b!.orderId}]}`);
    expect(both.errcode).toBe(0);
    expect(both.negotiation_list).toHaveLength(2);
    // The client: this order's negotiation only, first in state 10 (message sent), which is no outcome.
    const listed = await client.deliveryNegotiationResult(a!.orderId);
    expect(listed).toHaveLength(1);
    expect(listed[0]!.state).toBe(10);
    h.sandbox.wechat.answerNegotiation(h.creds.appId, a!.orderId, 'agree');
    expect((await client.deliveryNegotiationResult(a!.orderId)).map((n) => n.state)).toEqual([2]);
    expect((await client.deliveryNegotiationResult(b!.orderId)).map((n) => n.state)).toEqual([10]);
    // Status 21 (partly shipped) is not 待发货: a negotiation is refused with 40097.
    h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(b!.orderId)!.status = 21;
    await expect(
      client.deliveryNegotiationSubmit(b!.orderId, Math.floor(Date.now() / 1000) + 3 * 86_400, 2, '再协商'),
    ).rejects.toMatchObject({ details: { errcode: 40097 } });
  });

  it('2. an agreed later ship date survives the next order sync (order/get keeps the old delivery_deadline) and raises no false case', async () => {
    h = await startHarness();
    expect(h.sandbox.wechat.api.negotiationMovesDeadline).toBe(false);
    const op = await tokenFor(h, 'operator');
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const so = await waitFor(async () => h!.app.db.kysely.selectFrom('shop_orders').select(['id', 'state']).executeTakeFirst(), {
      what: 'received',
    });
    const original = farDeadline(h, o!.orderId, 10);
    await h.app.db.kysely.updateTable('shop_order_lines').set({ delivery_deadline_s: original }).execute();
    const later = original + 2 * 86_400;
    expect(
      (
        await callApi(h, 'POST', `/api/orders/${so.id}/delivery-negotiation`, op, {
          predictDeliveryTime: later,
          reason: 2,
          remark: '厂家补货中',
        })
      ).status,
    ).toBe(200);
    h.sandbox.wechat.answerNegotiation(h.creds.appId, o!.orderId, 'agree');
    await waitFor(async () => (await count(h!.app, 'negotiations', ['state', '=', 'Agreed'])) === 1, { what: 'agreement recorded' });
    const deadlineNow = async () =>
      (
        await h!.app.db.kysely
          .selectFrom('shop_order_lines')
          .select('delivery_deadline_s')
          .where('shop_order_id', '=', so.id)
          .executeTakeFirstOrThrow()
      ).delivery_deadline_s;
    expect(await deadlineNow()).toBe(later);
    // WeChat still shows the original deadline; the buyer changes the address → a push → a full sync of the order.
    expect(h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o!.orderId)!.lines[0]!.deadline).toBe(original);
    h.sandbox.wechat.changeAddress(h.creds.appId, o!.orderId, { detail: '新地址 88 号' });
    await waitFor(async () => (await count(h!.app, 'order_events', ['event', '=', 'order.address_changed'])) === 1, {
      what: 'synced again',
    });
    expect(await deadlineNow()).toBe(later);
    await h.app.deadlines.watch();
    expect(await count(h.app, 'cases', ['kind', '=', 'DEADLINE_AT_RISK'])).toBe(0);
  });

  it('3. the encrypted 1688 route is off unless switched on, sends outPlatformAppkey and no masked text as ciphertext, and the preview gets the same envelope', async () => {
    h = await startHarness({ alibaba: { autoShipAfterMs: null } });
    await enableSourcing(h, { messages: true });
    const seller = SANDBOX_SELLERS[0].memberId;
    // Off by default: every sandbox supplier places plain orders.
    expect(await count(h.app, 'suppliers', ['accepts_encrypted', '=', 1])).toBe(0);
    await h.app.db.kysely
      .updateTable('supplier_offers')
      .set((eb) => ({ unit_price: eb('unit_price', '*', 5) }))
      .where(
        'supplier_id',
        '!=',
        (await h!.app.db.kysely.selectFrom('suppliers').select('id').where('member_id', '=', seller).executeTakeFirstOrThrow()).id,
      )
      .execute();
    await h.app.db.kysely.updateTable('suppliers').set({ accepts_encrypted: 1 }).where('member_id', '=', seller).execute();
    for (const o of h.sandbox.alibaba.offers.values()) if (o.sellerMemberId === seller) o.acceptsEncrypted = true;
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => h!.sandbox.alibaba.orders.size === 1, { what: 'encrypted order created' });
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    expect(sim.encrypted).toMatchObject({ encryptOrder: true, outPlatformCode: 'weixin', outPlatformAppkey: h.creds.appId });
    expect(Object.keys(sim.encrypted!).filter((k) => k.startsWith('encryptReceiver'))).toEqual([]);
    // The simulator refuses what 1688 would: no app key, masked text in a ciphertext field — in the preview as in the create.
    const t = h.sandbox.alibaba.issueToken('b2b-testbuyer');
    const offer = [...h.sandbox.alibaba.offers.values()].find((x) => x.sellerMemberId === seller)!;
    const call1688 = async (api: string, params: Record<string, string>) => {
      const path = `param2/1/com.alibaba.trade/${api}/${SANDBOX_1688_APP.appKey}`;
      const form: Record<string, string> = { ...params, access_token: t.accessToken };
      form._aop_signature = aopSignature(path, form, SANDBOX_1688_APP.appSecret);
      return parseJsonLossless(
        await (
          await fetch(`${h!.sandbox.url}/openapi/${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(form).toString(),
          })
        ).text(),
      ) as Record<string, any>;
    };
    const base = {
      addressParam: JSON.stringify({
        fullName: '林**',
        mobile: '183****2807',
        provinceText: '福建省',
        cityText: '福州市',
        areaText: '罗源县',
        address: '****',
      }),
      cargoParamList: JSON.stringify([{ offerId: Number(offer.offerId), specId: offer.skus[0]!.specId, quantity: 1 }]),
      flow: 'saleproxy',
    };
    const envelope = { encryptOrder: true, outPlatformCode: 'weixin', outPlatformOrderNo: '3700000000000000001' };
    for (const api of ['alibaba.createOrder.preview', 'alibaba.trade.fastCreateOrder']) {
      const noKey = await call1688(api, { ...base, outOrderId: `E-${api}`, encryptOutOrderInfo: JSON.stringify(envelope) });
      expect(JSON.stringify(noKey)).toContain('outPlatformAppkey');
      const fake = await call1688(api, {
        ...base,
        outOrderId: `F-${api}`,
        encryptOutOrderInfo: JSON.stringify({ ...envelope, outPlatformAppkey: 'wx1', encryptReceiverName: '林**' }),
      });
      expect(JSON.stringify(fake)).toContain('encryptReceiverName');
      // A masked address outside the envelope: refused by the preview too.
      expect(JSON.stringify(await call1688(api, { ...base, outOrderId: `G-${api}` }))).toContain('脱敏');
    }
    expect(h.sandbox.alibaba.orders.size).toBe(1);
  });

  it('4. a 1688 refund uses a reason id from getRefundReasonList and splits goods from freight; a refusal a retry cannot change goes to a person once', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    // Only the seller with freight is cheap enough: its order carries freight to split off.
    const seller = SANDBOX_SELLERS.find((s) => s.freight > 0)!;
    const sid = (
      await h.app.db.kysely.selectFrom('suppliers').select('id').where('member_id', '=', seller.memberId).executeTakeFirstOrThrow()
    ).id;
    await h.app.db.kysely
      .updateTable('supplier_offers')
      .set((eb) => ({ unit_price: eb('unit_price', '*', 5) }))
      .where('supplier_id', '!=', sid)
      .execute();
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 2, { what: 'paid' });
    const pos = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'supplier_order_id']).orderBy('id').execute();
    const { recordSupplierReply } = await import('../../src/purchasing/supplier-replies.js');
    const stockOut = (poId: number) =>
      recordSupplierReply(h!.app.db, h!.app.clock, { purchaseOrderId: poId, actor: 'user:op', body: '断货了', stockOut: true }, (id) =>
        h!.app.placement.supplierStockOut(id),
      );
    await stockOut(pos[0]!.id);
    const sim = h.sandbox.alibaba.orders.get(pos[0]!.supplier_order_id!)!;
    await waitFor(async () => sim.refunds.length === 1, { what: 'refund requested' });
    expect(sim.postFee).toBe(seller.freight);
    expect(sim.refunds[0]!.amount).toBe(sim.totalAmount);
    // Daifa records the request once 1688 has answered it (the simulator counts it a moment before).
    const requested = await waitFor(
      async () => h!.app.db.kysely.selectFrom('order_events').select('data').where('event', '=', 'po.refund_requested').executeTakeFirst(),
      { what: 'refund request recorded' },
    );
    expect(JSON.parse(requested.data!)).toMatchObject({ goods: sim.totalAmount - sim.postFee, carriage: sim.postFee, reasonId: '20028' });
    // The second: 1688 refuses with 5011 (an amount a retry cannot change) → one case with 1688's words, no retry loop.
    h.sandbox.alibaba.knobs.refundRefuseCode = '5011';
    await stockOut(pos[1]!.id);
    const c = await waitFor(
      async () =>
        h!.app.db.kysely
          .selectFrom('cases')
          .select(['message', 'purchase_order_id'])
          .where('kind', '=', 'SUPPLIER_UNWIND')
          .executeTakeFirst(),
      { what: 'case for a person' },
    );
    expect(c.purchase_order_id).toBe(pos[1]!.id);
    expect(c.message).toContain('5011');
    await new Promise((r) => setTimeout(r, 500));
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.createRefund')).toBe(2);
  });

  it('5. the order flow is per supplier: learned from the preview when not set (single pieces go on the dropship flow), a set flow is kept, general meets the MOQ', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    h.sandbox.wechat.generate(h.creds.appId, { count: 3, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 3, {
      what: 'three orders placed and paid',
    });
    const flows = [...h.sandbox.alibaba.orders.values()].map((o) => o.flow);
    expect(flows.every((f) => f === 'saleproxy' || f === 'fenxiao')).toBe(true);
    const learned = await h.app.db.kysely
      .selectFrom('suppliers')
      .select(['member_id', 'purchase_flow', 'purchase_flow_learned'])
      .where('purchase_flow', 'is not', null)
      .execute();
    expect(learned.length).toBeGreaterThan(0);
    for (const s of learned)
      expect(s).toMatchObject({ purchase_flow: SANDBOX_SELLERS.find((x) => x.memberId === s.member_id)!.flow, purchase_flow_learned: 1 });
    // A person sets every supplier to the wholesale flow: one piece is below the MOQ (500_005) everywhere → a case.
    await h.app.db.kysely.updateTable('suppliers').set({ purchase_flow: 'general', purchase_flow_learned: 0 }).execute();
    const before = h.sandbox.alibaba.orders.size;
    const [single] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    // One piece, always (the generator buys two or three one time in five, which meets the MOQ).
    Object.assign(single!.lines[0]!, { cnt: 1, realPrice: single!.lines[0]!.salePrice });
    await waitFor(async () => (await count(h!.app, 'cases', ['state', '=', 'Open'])) >= 1, {
      what: 'no supplier can take one piece wholesale',
    });
    expect(h.sandbox.alibaba.orders.size).toBe(before);
    expect(
      (await h.app.db.kysely.selectFrom('suppliers').select('purchase_flow').execute()).every((s) => s.purchase_flow === 'general'),
    ).toBe(true);
  });

  it('6. a 1688 push to a callback URL with a query string is verified over every parameter, and a forged one is refused', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    h.sandbox.alibaba.messageTarget = { url: `${h.url}/webhooks/1688?tenant=demo&v=2`, appSecret: SANDBOX_1688_APP.appSecret };
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'inbound_events', ['source', '=', '1688'])) >= 2, { what: 'messages stored' });
    // Every message 1688 sent was taken (a refused one stays undelivered and is retried: this would time out).
    await waitFor(async () => h!.sandbox.alibaba.messages.every((m) => m.delivered || m.attempts === 0), {
      what: 'every message sent taken by Daifa',
    });
    const message = '{"msgId":1,"type":"ORDER_BUYER_VIEW_ORDER_PAY","data":{"orderId":1}}';
    const post = (sig: string) =>
      fetch(`${h!.url}/webhooks/1688?tenant=demo&v=2`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ message, _aop_signature: sig }).toString(),
      });
    // Signed over `message` alone (the old rule) is not the signature of this request.
    expect((await post(pushSignature([['message', message]], SANDBOX_1688_APP.appSecret))).status).toBe(401);
    expect(
      (
        await post(
          pushSignature(
            [
              ['tenant', 'demo'],
              ['v', '2'],
              ['message', message],
            ],
            SANDBOX_1688_APP.appSecret,
          ),
        )
      ).status,
    ).toBe(200);
  });

  it('7a. dropship/get ids arrive as bare 64-bit numbers and are read exactly; 1688 Long ids inside JSON params go as bare integers (quoted ones refused)', async () => {
    h = await startHarness({ worker: false });
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const shop = h.sandbox.wechat.shops.get(h.creds.appId)!;
    shop.dropshipSuppliers.add('wxsupplier0000001');
    const client = wxClient(h);
    const line = o!.lines[0]!;
    await client.dropshipAssign(o!.orderId, 'wxsupplier0000001', [{ productId: line.productId, skuId: line.skuId, count: line.cnt }]);
    const ds = line.dropship!.dsOrderId;
    const raw = await (
      await fetch(`${h.sandbox.url}/channels/ec/order/dropship/get?access_token=${await client.accessToken()}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ds_order_id: ds }),
      })
    ).text();
    expect(raw).toContain(`"ds_order_id":${ds}`);
    expect(raw).toContain(`"order_id":${o!.orderId}`);
    const d = await client.dropshipGet(ds);
    expect(String(d.order_id)).toBe(o!.orderId);
    expect(String(d.ds_order_id)).toBe(ds);
    // 1688: a payment link for an 18-digit order id through the client works; the same id quoted is refused.
    await enableSourcing(h);
    const offer = [...h.sandbox.alibaba.offers.values()][0]!;
    const alibaba = await h.app.alibaba.client();
    const created = await alibaba.fastCreateOrder({
      address: {
        fullName: '张三',
        mobile: '15251667788',
        provinceText: '浙江省',
        cityText: '杭州市',
        areaText: '滨江区',
        address: '网商路699号',
      },
      cargo: [{ offerId: Number(offer.offerId), specId: offer.skus[0]!.specId, quantity: 1 }],
      outOrderId: 'L-1',
      flow: 'saleproxy',
    });
    const orderId = String(created.result.orderId);
    expect(orderId.length).toBeGreaterThan(15);
    expect((await alibaba.payUrl([orderId])).payUrl).toContain(orderId);
    const quoted = await alibaba.call(
      'com.alibaba.trade',
      'alibaba.alipay.url.get',
      { orderIdList: `["${orderId}"]` },
      { idempotent: true },
    );
    expect(quoted.success).toBe(false);
  });

  it('7b. two quick writes to one order are spaced by the client, never refused with 100003; another process refused with 100003 waits and sends once', async () => {
    h = await startHarness({ worker: false });
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 1 });
    const client = wxClient(h);
    const lines = o!.lines;
    const pkg = (i: number, waybill: string) => [
      {
        deliveryId: 'ZTO',
        waybillId: waybill,
        products: [{ productId: lines[i]!.productId, skuId: lines[i]!.skuId, count: lines[i]!.cnt }],
      },
    ];
    await client.deliverySend(o!.orderId, pkg(0, 'ZT10000001'));
    // Another process right after: WeChat answers 100003 — a refusal (nothing shipped) to wait out, not a failure.
    const refused = await wxClient(h)
      .deliverySend(o!.orderId, pkg(1, 'ZT10000002'))
      .catch((e) => e);
    expect(refused).toMatchObject({ code: 'WECHAT_RATE_LIMITED', details: { errcode: 100003 } });
    expect(h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o!.orderId)!.packages).toHaveLength(1);
    // The same client paces its second write to the order and it goes through, once.
    const t0 = Date.now();
    await client.deliverySend(o!.orderId, pkg(1, 'ZT10000002'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(h.sandbox.wechat.api.orderUpdateMinIntervalMs - 100);
    expect(
      h.sandbox.wechat.shops
        .get(h.creds.appId)!
        .orders.get(o!.orderId)!
        .packages.map((p) => p.waybill_id),
    ).toEqual(['ZT10000001', 'ZT10000002']);
  });

  it('7c. genaftersaleorder refused with 10021088 订单不支持代发起售后 (drill) opens a case with the platform’s words and is not retried', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const k = h.app.db.kysely;
    const op = await tokenFor(h, 'operator');
    // Sourcing stays on (one product mapped); the order's product has no supplier: it waits for a person.
    await k.deleteFrom('sku_mappings').where('product_id', '!=', PRODUCTS[0]!.productId).execute();
    let o;
    do [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    while (o!.lines[0]!.productId === PRODUCTS[0]!.productId);
    const order = await waitFor(
      () =>
        k
          .selectFrom('shop_orders as o')
          .innerJoin('cases as c', 'c.shop_order_id', 'o.id')
          .select(['o.id'])
          .where('o.wx_order_id', '=', o!.orderId)
          .where('c.state', '=', 'Open')
          .executeTakeFirst(),
      { what: 'held with a case (nothing to source from)' },
    );
    h.sandbox.wechat.api.genAftersaleErrcode = 10021088;
    expect((await callApi(h, 'POST', `/api/orders/${order.id}/refund-buyer`, op, { reason: '10000008', note: '无法供货' })).status).toBe(
      200,
    );
    const c = await waitFor(() => k.selectFrom('cases').select('message').where('kind', '=', 'REFUND_FAILED').executeTakeFirst(), {
      what: 'refund-failed case',
    });
    expect(c.message).toContain('10021088 订单不支持代发起售后');
    await new Promise((r) => setTimeout(r, 500));
    expect(h.sandbox.wechat.calls.get('/channels/ec/aftersale/genaftersaleorder')).toBe(1);
    expect(await count(h.app, 'cases', ['kind', '=', 'REFUND_FAILED'])).toBe(1);
  });
});
