import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapNegotiations, WeChatShopClient, type ApiResponse } from '../../src/channels/wechat-shop/client.js';
import { aesKeyFromEncodingAesKey, decryptMessage } from '../../src/channels/wechat-shop/crypto.js';
import { mapAddress, mapOrder } from '../../src/channels/wechat-shop/mapping.js';
import { eventOrderId } from '../../src/channels/wechat-shop/push-receiver.js';
import { idString, parseJsonLossless } from '../../src/lib/lossless-json.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import type { SimOrder } from '../../sandbox/wechat-shop/model.js';
import { WECHAT_PUSH_SAMPLES, WECHAT_SAMPLES } from './samples.js';
import { WECHAT_PUSH_SCHEMAS, WECHAT_SCHEMAS } from './schemas.js';

const quiet = { clock: { now: () => Date.now() }, log: pino({ level: 'silent' }) };

/**
 * Contract: the official samples of every WeChat Shop endpoint and push Daifa uses are (a) of the shape Daifa's
 * schema describes and (b) read correctly by the production client and mapping code (served over HTTP on loopback);
 * and (c) the simulator's own answers and pushes fit the same schemas.
 */
describe('WeChat Shop contract: official samples', () => {
  let server: FastifyInstance;
  let client: WeChatShopClient;
  beforeAll(async () => {
    server = Fastify();
    server.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, b, done) => done(null, b));
    server.post('/*', async (req, reply) => {
      const path = req.url.split('?')[0]!;
      const sample = WECHAT_SAMPLES[path];
      return sample ? reply.type('application/json').send(sample.response) : reply.code(404).send({ errcode: 404 });
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    client = new WeChatShopClient(
      { shopId: 1, appId: 'wx0000000000000001', appSecret: 's' },
      { baseUrl: `http://127.0.0.1:${(server.server.address() as { port: number }).port}`, ...quiet, orderWriteIntervalMs: 0 },
    );
  });
  afterAll(async () => server.close());

  it.each(Object.entries(WECHAT_SAMPLES))('%s: the sample fits the schema', (path, sample) => {
    expect(sample.source).toMatch(/^https:\/\//);
    const r = WECHAT_SCHEMAS[path]!.safeParse(parseJsonLossless(sample.response));
    expect(r.success ? 'ok' : r.error.issues).toBe('ok');
  });

  it.each(Object.entries(WECHAT_PUSH_SAMPLES))('push %s: the sample fits the schema and its order id is read exactly', (event, sample) => {
    const msg = parseJsonLossless(sample.response) as Record<string, any>;
    const r = WECHAT_PUSH_SCHEMAS[event]!.safeParse(msg);
    expect(r.success ? 'ok' : r.error.issues).toBe('ok');
    expect(eventOrderId(msg)).toBe(event === 'channels_ec_aftersale_update' ? '12345' : '3705115058471208928');
  });

  it('the production client and mapping read every sample', async () => {
    expect(await client.accessToken()).toBe('ACCESS_TOKEN');
    expect(await client.listOrders({ updateTimeRange: [1, 2] })).toEqual({
      orderIds: ['3704612354559743232', '3704849110714209536'],
      nextKey: 'THE_NEXT_KEY_NEW',
      hasMore: true,
    });
    const order = mapOrder(await client.getOrder('37423523451235145'));
    expect(order).toMatchObject({
      wxOrderId: '37423523451235145',
      status: 20,
      orderPrice: 10500,
      freight: 500,
      customerNotes: '发顺丰',
      aftersaleIds: ['1234'],
      commission: { settled: 10 },
    });
    expect(order.lines[0]).toMatchObject({ productId: '234245', skuId: '23424', quantity: 10, onAftersaleCnt: 10 });
    expect(order.address).toMatchObject({ userName: '林**', provinceName: '福建省', countyName: '罗源县' });
    const decoded = await client.decodeSensitiveInfo('37423523451235145');
    expect(mapAddress(decoded.address)).toMatchObject({ userName: '林小姐', detailInfo: '凤山镇 1 号' });
    expect(decoded.virtualNumber).toMatchObject({ virtual_number: '13212345774', extension: '1234' });
    expect(await client.listDeliveryCompanies()).toEqual([
      { deliveryId: 'SF', name: '顺丰速运' },
      { deliveryId: 'ZTO', name: '中通快递' },
    ]);
    await client.dropshipAssign('37423523451235145', 'wxsupplier', [{ productId: '234245', skuId: '23424', count: 1 }]);
    const ds = await client.dropshipGet('4429352113418018304');
    expect([idString(ds.ds_order_id), idString(ds.order_id), idString(ds.dropship_order_detail.product_infos[0].sku_id)]).toEqual([
      '4429352113418018304',
      '3729352105237033728',
      '2983950535',
    ]);
    await client.deliverySend('37423523451235145', [
      { deliveryId: 'YD', waybillId: '23424324253', products: [{ productId: '12345', skuId: '678910', count: 1 }] },
    ]);
    await client.deliveryInfoUpdate('37423523451235145', {
      old: { deliveryId: 'YD', waybillId: '23424324253' },
      next: { deliveryId: 'SF', waybillId: 'SF1234567890123' },
      products: [{ productId: '12345', skuId: '678910', count: 1 }],
    });
    await client.deliveryNegotiationSubmit('3720814359427026945', 1735172800, 2, '补货中');
    // The answer lists two orders: each asks for its own only (state 10 is reported but is no outcome).
    expect(await client.deliveryNegotiationResult('3720814359427026945')).toEqual([
      { state: 2, predictDeliveryTime: 1735172800, updateTime: 1734995000 },
    ]);
    expect(
      mapNegotiations(
        parseJsonLossless(WECHAT_SAMPLES['/channels/ec/order/deliverynegotiation/result/get']!.response) as Record<string, unknown>,
        '3720814359427026946',
      ),
    ).toEqual([{ state: 10, predictDeliveryTime: 1735172800, updateTime: 1734990000 }]);
    await client.acceptAftersale('123456');
    expect(
      await client.genAftersaleOrder({
        requestId: 'r1',
        orderId: '37423523451235145',
        productId: '234245',
        skuId: '23424',
        count: 1,
        amount: 100,
        reason: '10000008',
      }),
    ).toBe('2000003413203552');
    const as = await client.getAftersaleOrder('123456');
    expect(as).toMatchObject({
      after_sale_order_id: '123456',
      status: 'MERCHANT_REFUND_SUCCESS',
      type: 'REFUND',
      refund_info: { amount: 11 },
    });
  });
});

describe('WeChat Shop contract: the simulator answers and pushes as the samples do', () => {
  let sb: Sandbox;
  let receiver: FastifyInstance;
  const answers = new Map<string, ApiResponse[]>();
  const pushes: Record<string, any>[] = [];
  const appId = 'wx00000000000000cc';
  const encodingAesKey = 'A'.repeat(43);

  beforeAll(async () => {
    sb = await startSandbox({ push: { timeScale: 0.001 } });
    // A receiver that decrypts with the production crypto and keeps the JSON text (ids as they came on the wire).
    receiver = Fastify();
    receiver.post('/push', async (req) => {
      const { message } = decryptMessage(aesKeyFromEncodingAesKey(encodingAesKey), String((req.body as { Encrypt: string }).Encrypt));
      pushes.push(parseJsonLossless(message) as Record<string, any>);
      return 'success';
    });
    await receiver.listen({ port: 0, host: '127.0.0.1' });
    sb.wechat.addShop({
      appId,
      secret: 'secret-cc',
      push: { appId, url: `http://127.0.0.1:${(receiver.server.address() as { port: number }).port}/push`, token: 'tok', encodingAesKey },
    });
  });
  afterAll(async () => {
    await sb.close();
    await receiver.close();
  });

  it('every endpoint Daifa calls answers in the shape of its sample; every push Daifa handles too', async () => {
    const client = new WeChatShopClient(
      { shopId: 1, appId, appSecret: 'secret-cc' },
      { baseUrl: sb.url, ...quiet, onAnswer: (path, body) => answers.set(path, [...(answers.get(path) ?? []), body]) },
    );
    const wx = sb.wechat;
    sb.wechat.api.genAftersaleStatus = 'MERCHANT_PROCESSING';
    const orders = wx.generate(appId, { count: 5, requestRate: 0, multiLineRate: 0 });
    const [a, b, c, d, e] = orders as [SimOrder, SimOrder, SimOrder, SimOrder, SimOrder];
    const now = Math.floor(Date.now() / 1000);
    await client.listOrders({ updateTimeRange: [now - 60, now + 5] });
    mapOrder(await client.getOrder(a.orderId));
    await client.decodeSensitiveInfo(a.orderId);
    await client.listDeliveryCompanies();
    wx.shops.get(appId)!.dropshipSuppliers.add('wxsupplier0000001');
    await client.dropshipAssign(a.orderId, 'wxsupplier0000001', [
      { productId: a.lines[0]!.productId, skuId: a.lines[0]!.skuId, count: a.lines[0]!.cnt },
    ]);
    await client.dropshipGet(a.lines[0]!.dropship!.dsOrderId);
    const deadline = b.lines[0]!.deadline;
    await client.deliveryNegotiationSubmit(b.orderId, deadline + 86_400, 2, '补货中');
    wx.answerNegotiation(appId, b.orderId, 'agree');
    await client.deliveryNegotiationResult(b.orderId);
    const line = (o: typeof c) => [{ productId: o.lines[0]!.productId, skuId: o.lines[0]!.skuId, count: o.lines[0]!.cnt }];
    await client.deliverySend(c.orderId, [{ deliveryId: 'ZTO', waybillId: 'ZT10000001', products: line(c) }]);
    await client.deliveryInfoUpdate(c.orderId, {
      old: { deliveryId: 'ZTO', waybillId: 'ZT10000001' },
      next: { deliveryId: 'YTO', waybillId: 'YT10000002' },
      products: line(c),
    });
    wx.confirmReceipt(appId, c.orderId, { settle: true });
    const asId = await client.genAftersaleOrder({
      requestId: 'r-d',
      orderId: d.orderId,
      productId: d.lines[0]!.productId,
      skuId: d.lines[0]!.skuId,
      count: d.lines[0]!.cnt,
      amount: d.lines[0]!.realPrice,
      reason: '10000008',
    });
    await client.getAftersaleOrder(asId);
    await client.acceptAftersale(asId);
    wx.refundAll(wx.shops.get(appId)!, e.orderId);

    for (const [path, schema] of Object.entries(WECHAT_SCHEMAS)) {
      const got = answers.get(path) ?? [];
      expect(got.length, `${path} was called`).toBeGreaterThan(0);
      for (const body of got) {
        const r = schema.safeParse(body);
        expect(r.success ? 'ok' : { path, issues: r.error.issues }).toBe('ok');
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const [event, schema] of Object.entries(WECHAT_PUSH_SCHEMAS)) {
      const got = pushes.filter((p) => p.Event === event);
      expect(got.length, `${event} was pushed`).toBeGreaterThan(0);
      for (const p of got) {
        const r = schema.safeParse(p);
        expect(r.success ? 'ok' : { event, issues: r.error.issues }).toBe('ok');
        expect(eventOrderId(p)).toMatch(/^\d{19}$/);
      }
    }
  });
});
