import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPaid } from '../../src/suppliers/alibaba-1688/mapping.js';
import { parseJsonLossless } from '../../src/lib/lossless-json.js';
import { parse1688Time } from '../../src/suppliers/alibaba-1688/accounts.js';
import { Alibaba1688Client, type ApiBody } from '../../src/suppliers/alibaba-1688/client.js';
import { messageOrderId } from '../../src/suppliers/alibaba-1688/message-receiver.js';
import { seedSimulatorOffers, SANDBOX_SELLERS } from '../../sandbox/catalogue.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { ALIBABA_MESSAGE_SAMPLES, ALIBABA_SAMPLES } from './samples.js';
import { ALIBABA_MESSAGE_DATA, ALIBABA_MESSAGE_SCHEMA, ALIBABA_SCHEMAS } from './schemas.js';

const log = pino({ level: 'silent' });
const address = {
  fullName: '张三',
  mobile: '15251667788',
  provinceText: '浙江省',
  cityText: '杭州市',
  areaText: '滨江区',
  address: '网商路699号',
};

/** Contract: 1688's official samples read by the production client; the simulator's answers and messages in their shape. */
describe('1688 contract: official samples', () => {
  let server: FastifyInstance;
  let client: Alibaba1688Client;
  beforeAll(async () => {
    server = Fastify();
    server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, b, done) => done(null, b));
    server.post('/openapi/:proto/:ver/:ns/:api/:appKey', async (req, reply) => {
      const sample = ALIBABA_SAMPLES[(req.params as { api: string }).api];
      return sample ? reply.type('application/json').send(sample.response) : reply.code(400).send({ error_code: 'gw.APIUnsupported' });
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    client = new Alibaba1688Client(
      { appKey: '1000000', appSecret: 's', accessToken: 't' },
      { baseUrl: `http://127.0.0.1:${(server.server.address() as { port: number }).port}`, log },
    );
  });
  afterAll(async () => server.close());

  it.each(Object.entries(ALIBABA_SAMPLES))('%s: the sample fits the schema', (api, sample) => {
    expect(sample.source).toMatch(/^https:\/\//);
    const r = ALIBABA_SCHEMAS[api]!.safeParse(parseJsonLossless(sample.response));
    expect(r.success ? 'ok' : r.error.issues).toBe('ok');
  });

  it.each(Object.entries(ALIBABA_MESSAGE_SAMPLES))('message %s: the sample fits the schema and names its order exactly', (type, sample) => {
    const m = parseJsonLossless(sample.response) as Record<string, any>;
    expect(ALIBABA_MESSAGE_SCHEMA.safeParse(m).success).toBe(true);
    const r = ALIBABA_MESSAGE_DATA[type]!.safeParse(m.data);
    expect(r.success ? 'ok' : r.error.issues).toBe('ok');
    expect(messageOrderId(m)).toBe('167539019420540000');
  });

  it('the production client reads every sample', async () => {
    const preview = await client.preview({
      address,
      cargo: [{ offerId: 548818919805, specId: 'eb81c61de14f4adb405ffcc2c8a4a3fb', quantity: 2 }],
    });
    expect(preview.orderPreviewResuslt[0]).toMatchObject({ sumPayment: 4400, flowFlag: 'general' });
    const created = await client.fastCreateOrder({ address, cargo: [{ offerId: 1, quantity: 1 }], outOrderId: 'X', flow: 'saleproxy' });
    expect(String(created.result.orderId)).toBe('58218860983545941');
    const view = await client.buyerView('58218860983545941');
    expect(view.result.baseInfo.idOfStr).toBe('58218860983545941');
    expect(String(view.result.productItems[0].subItemIDString)).toBe('58218860985545941');
    expect(isPaid(view)).toBe(true);
    expect(await client.findByOutOrderId('daifa-1-1')).toHaveLength(1);
    expect(await client.protocolPayOpen()).toBe(true);
    expect(await client.preparePay('58218860983545941', 615, 'op-1')).toMatchObject({ success: true, paySuccess: true });
    expect((await client.payUrl(['151923545459498520'])).payUrl).toContain('cashier.htm');
    expect(await client.payWay('239695213738498520')).toMatchObject({ payFee: 32120, channels: [{ code: 1, name: '支付宝' }] });
    const parcels = await client.logisticsInfos('149989279191615400');
    expect(parcels[0]).toMatchObject({ logisticsId: 'BX111841674232006', logisticsBillNo: '75123456789012', status: 'SIGN' });
    expect((await client.logisticsTrace('188983797838441800'))[0]!.logisticsSteps).toHaveLength(2);
    expect(await client.urge('1')).toMatchObject({ ok: true });
    expect(await client.refundReasons('58218860983545941', ['58218860985545941'], 'refundWaitSellerSend')).toEqual([
      { id: '20021', name: '我不想要了', needVoucher: false, noRefundCarriage: false },
      { id: '20028', name: '缺货', needVoucher: false, noRefundCarriage: false },
    ]);
    expect(
      await client.createRefund({
        orderId: '58218860983545941',
        entryIds: ['58218860985545941'],
        goods: 30,
        carriage: 600,
        reasonId: '20028',
        description: '缺货退款',
        goodsStatus: 'refundWaitSellerSend',
      }),
    ).toEqual({ refundId: 'TQ34931008034741532' });
    const pulled = await client.pullMessages();
    expect(messageOrderId(pulled[0]!)).toBe('167539019420540000');
    expect((await client.cancel('1', 'other', '取消')).success).toBe(true);
    expect(
      parse1688Time(
        (parseJsonLossless(ALIBABA_SAMPLES['system.oauth2/getToken']!.response) as { refresh_token_timeout: string }).refresh_token_timeout,
      ),
    ).toBe(Date.UTC(2027, 11, 6, 16));
  });
});

describe('1688 contract: the simulator answers and messages as the samples do', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ push: { enabled: false } });
    sb.alibaba.addApp('1000', 'secret');
    seedSimulatorOffers(sb.alibaba);
  });
  afterAll(async () => sb.close());

  it('every API Daifa calls answers in the shape of its sample; every message topic Daifa reads too', async () => {
    const answers = new Map<string, ApiBody[]>();
    const t = sb.alibaba.issueToken('b2b-contract');
    const client = new Alibaba1688Client(
      { appKey: '1000', appSecret: 'secret', accessToken: t.accessToken },
      { baseUrl: sb.url, log, onAnswer: (api, body) => answers.set(api, [...(answers.get(api) ?? []), body]) },
    );
    sb.alibaba.knobs.messagesOff = true; // messages wait for the pull API
    const offer = [...sb.alibaba.offers.values()].find((o) => o.sellerMemberId === SANDBOX_SELLERS[1].memberId)!;
    const cargo = [{ offerId: Number(offer.offerId), specId: offer.skus[0]!.specId, quantity: 1 }];
    const preview = await client.preview({ address, cargo });
    const flow = preview.orderPreviewResuslt[0].flowFlag;
    const create = async (out: string) => String((await client.fastCreateOrder({ address, cargo, outOrderId: out, flow })).result.orderId);
    const [o1, o2, o3, o4] = [await create('C-1'), await create('C-2'), await create('C-3'), await create('C-4')];
    await client.buyerView(o1);
    await client.findByOutOrderId('C-1');
    await client.protocolPayOpen();
    const fee = (await client.payWay(o1)).payFee!;
    await client.preparePay(o1, fee, 'op-1');
    await client.payUrl([o2]);
    sb.alibaba.ship(o1);
    sb.alibaba.advanceTrace(o1);
    sb.alibaba.changeMailNo(o1);
    await client.logisticsInfos(o1);
    await client.logisticsTrace(o1);
    await client.preparePay(o3, (await client.payWay(o3)).payFee!, 'op-3');
    await client.urge(o3);
    const view3 = await client.buyerView(o3);
    const entries = view3.result.productItems.map((i: ApiBody) => String(i.subItemIDString));
    const reasons = await client.refundReasons(o3, entries, 'refundWaitSellerSend');
    const postFee = Math.round(Number(view3.result.baseInfo.shippingFee) * 100);
    await client
      .createRefund({
        orderId: o3,
        entryIds: entries,
        goods: fee - postFee,
        carriage: postFee,
        reasonId: reasons[0]!.id,
        description: '缺货退款',
        goodsStatus: 'refundWaitSellerSend',
      })
      .then((r) => expect(r.refundId).toBeTruthy());
    sb.alibaba.orders.get(o4)!.createdAt -= 11_000;
    await client.cancel(o4, 'buyerCancel', '不要了');
    await client.pullMessages();
    const oauth = await fetch(`${sb.url}/openapi/param2/1/system.oauth2/getToken/1000`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: '1000',
        client_secret: 'secret',
        refresh_token: t.refreshToken,
      }).toString(),
    });
    answers.set('system.oauth2/getToken', [(await oauth.json()) as ApiBody]);

    for (const [api, schema] of Object.entries(ALIBABA_SCHEMAS)) {
      const got = answers.get(api) ?? [];
      expect(got.length, `${api} was called`).toBeGreaterThan(0);
      for (const body of got) {
        const r = schema.safeParse(body);
        expect(r.success ? 'ok' : { api, issues: r.error.issues }).toBe('ok');
      }
    }
    for (const [type, schema] of Object.entries(ALIBABA_MESSAGE_DATA)) {
      const got = sb.alibaba.messages.filter((m) => m.type === type).map((m) => parseJsonLossless(m.message) as Record<string, any>);
      expect(got.length, `${type} was sent`).toBeGreaterThan(0);
      for (const m of got) {
        expect(ALIBABA_MESSAGE_SCHEMA.safeParse(m).success).toBe(true);
        const r = schema.safeParse(m.data);
        expect(r.success ? 'ok' : { type, issues: r.error.issues }).toBe('ok');
        expect([o1, o2, o3, o4]).toContain(messageOrderId(m));
      }
    }
  });
});
