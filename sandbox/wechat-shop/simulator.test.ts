import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';

/** The simulator is part of the product: its delivery/send validations follow reference §11 step 3. */
describe('WeChat Shop simulator: delivery/send', () => {
  let sb: Sandbox;
  let token: string;
  beforeAll(async () => {
    sb = await startSandbox({ push: { enabled: false } });
    sb.wechat.addShop({ appId: 'wx0000000000000sim', secret: 's' });
    token = (
      (await (
        await fetch(`${sb.url}/cgi-bin/stable_token`, {
          method: 'POST',
          body: JSON.stringify({ grant_type: 'client_credential', appid: 'wx0000000000000sim', secret: 's' }),
          headers: { 'content-type': 'application/json' },
        })
      ).json()) as any
    ).access_token;
  });
  afterAll(async () => sb.close());

  const call = async (path: string, body: unknown, t = token): Promise<any> =>
    (
      await fetch(`${sb.url}${path}?access_token=${t}`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      })
    ).json();
  const send = (orderId: string, delivery_list: unknown[]) =>
    call('/channels/ec/order/delivery/send', { order_id: orderId, delivery_list });
  const twoLineOrder = () => {
    for (;;) {
      const [o] = sb.wechat.generate('wx0000000000000sim', { count: 1, multiLineRate: 1 });
      if (o!.lines.length >= 2) return o!;
    }
  };
  const pkg = (o: ReturnType<typeof twoLineOrder>, i: number, cnt?: number, waybill = `SF${1000000 + i}`) => ({
    delivery_id: 'SF',
    waybill_id: waybill,
    deliver_type: 1,
    product_infos: [{ product_id: o.lines[i]!.productId, sku_id: o.lines[i]!.skuId, product_cnt: cnt ?? o.lines[i]!.cnt }],
  });

  it('checks the token: missing 41001, unknown 40001', async () => {
    expect((await call('/channels/ec/order/get', { order_id: '1' }, '')).errcode).toBe(41001);
    expect((await call('/channels/ec/order/get', { order_id: '1' }, 'nope')).errcode).toBe(40001);
    const missing = await call('/channels/ec/order/get', { order_id: '3700000000000000000' });
    expect(missing.errcode).toBe(100002);
    expect(missing.errmsg).toMatch(/rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  it('partial shipment leaves status 21, the rest completes it (30); shipping again is 109001', async () => {
    const o = twoLineOrder();
    expect((await send(o.orderId, [pkg(o, 0)])).errcode).toBe(0);
    expect(o.status).toBe(21);
    // Right after an update of the same order: 100003 订单更新过于频繁, and nothing shipped.
    expect(
      (
        await send(
          o.orderId,
          o.lines.slice(1).map((_, i) => pkg(o, i + 1)),
        )
      ).errcode,
    ).toBe(100003);
    expect(o.lines.slice(1).every((l) => l.shipped === 0)).toBe(true);
    await new Promise((r) => setTimeout(r, sb.wechat.api.orderUpdateMinIntervalMs));
    expect(
      (
        await send(
          o.orderId,
          o.lines.slice(1).map((_, i) => pkg(o, i + 1)),
        )
      ).errcode,
    ).toBe(0);
    expect(o.status).toBe(30);
    expect((await send(o.orderId, [pkg(o, 0)])).errcode).toBe(109001);
    const wire = await call('/channels/ec/order/get', { order_id: o.orderId });
    expect(wire.order.order_detail.delivery_info.delivery_product_info).toHaveLength(o.lines.length);
  });

  it('refuses splitting one SKU across packages (606030), wrong quantities (109000), unknown lines (606031), couriers (606004) and waybills (606005)', async () => {
    const o = twoLineOrder();
    o.lines[0]!.cnt = 2;
    expect((await send(o.orderId, [pkg(o, 0, 1, 'SF1111111'), pkg(o, 0, 1, 'SF2222222')])).errcode).toBe(606030);
    expect((await send(o.orderId, [pkg(o, 0, 3)])).errcode).toBe(109000);
    expect((await send(o.orderId, [{ ...pkg(o, 0), product_infos: [{ product_id: '1', sku_id: '2', product_cnt: 1 }] }])).errcode).toBe(
      606031,
    );
    expect((await send(o.orderId, [{ ...pkg(o, 0), delivery_id: 'NOPE' }])).errcode).toBe(606004);
    expect((await send(o.orderId, [pkg(o, 0, undefined, '*')])).errcode).toBe(606005);
    expect(o.status).toBe(20);
  });

  it('refuses shipping while an after-sale is open (108009) and after a full refund (status 200)', async () => {
    const o = twoLineOrder();
    const shop = sb.wechat.shops.get('wx0000000000000sim')!;
    sb.wechat.openAftersale(shop, o.orderId, o.lines[1]!.skuId);
    expect((await send(o.orderId, [pkg(o, 0)])).errcode).toBe(108009);
    const p = twoLineOrder();
    sb.wechat.refundAll(shop, p.orderId);
    expect(p.status).toBe(200);
    expect((await send(p.orderId, [pkg(p, 0)])).errcode).toBe(101100);
  });

  it('genaftersaleorder (代用户发起售后): checks count, amount and reason; the same request_id answers the same after-sale; all lines refunded → 200', async () => {
    const o = twoLineOrder();
    const gen = (i: number, over: Record<string, unknown> = {}) =>
      call('/channels/ec/aftersale/genaftersaleorder', {
        request_id: `r-${o.orderId}-${i}`,
        order_id: o.orderId,
        product_id: o.lines[i]!.productId,
        sku_id: o.lines[i]!.skuId,
        count: o.lines[i]!.cnt,
        amount: o.lines[i]!.realPrice,
        reason: '10000001',
        type: 'REFUND',
        ...over,
      });
    expect((await gen(0, { count: o.lines[0]!.cnt + 1 })).errcode).toBe(40097);
    expect((await gen(0, { amount: o.lines[0]!.realPrice + 1 })).errcode).toBe(40097);
    expect((await gen(0, { reason: 'NO_REASON' })).errcode).toBe(40097);
    expect((await gen(0, { request_id: '' })).errcode).toBe(47001);
    const first = await gen(0);
    expect(first.errcode).toBe(0);
    expect(typeof first.aftersale_id).toBe('number');
    expect((await gen(0)).aftersale_id).toBe(first.aftersale_id);
    expect(o.aftersales).toHaveLength(1);
    const as = (await call('/channels/ec/aftersale/getaftersaleorder', { after_sale_order_id: String(first.aftersale_id) }))
      .after_sale_order;
    expect(as).toMatchObject({
      status: 'MERCHANT_REFUND_SUCCESS',
      type: 'REFUND',
      refund_info: { amount: o.lines[0]!.realPrice, refund_reason: 3 },
      reason: '10000001',
    });
    // Nothing left to refund on that line; the other lines, and the order is refunded in full.
    expect((await gen(0, { request_id: 'another' })).errcode).toBe(40097);
    for (let i = 1; i < o.lines.length; i++) expect((await gen(i)).errcode).toBe(0);
    expect(o.status).toBe(200);
    expect((await gen(0, { request_id: 'late' })).errcode).toBe(10021041);
  });

  it('masks order/get and rotates stable tokens with a 5-minute overlap', async () => {
    const [o] = sb.wechat.generate('wx0000000000000sim', { count: 1 });
    const a = (await call('/channels/ec/order/get', { order_id: o!.orderId })).order.order_detail.delivery_info.address_info;
    expect(a.detail_info).toBe('****');
    expect(a.user_name).toMatch(/^.\*\*$/);
    expect(a.tel_number).toMatch(/^\d{3}\*{4}\d{4}$/);
    expect(a.hash_code).toMatch(/^[0-9a-f]{32}$/);
    const shop = sb.wechat.shops.get('wx0000000000000sim')!;
    shop.token!.expiresAt = Date.now() + 200_000; // inside the last 5 minutes
    const fresh = (
      (await (
        await fetch(`${sb.url}/cgi-bin/stable_token`, {
          method: 'POST',
          body: JSON.stringify({ grant_type: 'client_credential', appid: 'wx0000000000000sim', secret: 's' }),
          headers: { 'content-type': 'application/json' },
        })
      ).json()) as any
    ).access_token;
    expect(fresh).not.toBe(token);
    expect((await call('/channels/ec/order/get', { order_id: o!.orderId }, token)).errcode).toBe(0); // old one still works
    shop.previous!.expiresAt = Date.now() - 1;
    expect((await call('/channels/ec/order/get', { order_id: o!.orderId }, token)).errcode).toBe(42001);
    token = fresh;
  });
});
