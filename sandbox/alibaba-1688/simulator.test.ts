import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonLossless } from '../../src/lib/lossless-json.js';
import { messageSignature, aopSignature } from '../../src/suppliers/alibaba-1688/signing.js';
import { startSandbox, type Sandbox } from '../server.js';
import { seedSimulatorOffers } from '../catalogue.js';

describe('1688 simulator', () => {
  let sb: Sandbox;
  const received: { message: string; signature: string }[] = [];
  const receiver = Fastify();
  let fail = 2;
  beforeAll(async () => {
    sb = await startSandbox({ push: { enabled: false } });
    receiver.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, b, d) =>
      d(null, Object.fromEntries(new URLSearchParams(String(b)))),
    );
    receiver.post('/msg', async (req, reply) => {
      if (fail-- > 0) return reply.code(500).send('busy'); // the first two deliveries fail: retried
      const b = req.body as Record<string, string>;
      received.push({ message: b.message!, signature: b._aop_signature! });
      return 'success';
    });
    await receiver.listen({ port: 0, host: '127.0.0.1' });
    sb.alibaba.addApp('1000', 'secret');
    sb.alibaba.messageTarget = { url: `http://127.0.0.1:${(receiver.server.address() as { port: number }).port}/msg`, appSecret: 'secret' };
    seedSimulatorOffers(sb.alibaba);
  });
  afterAll(async () => {
    await receiver.close();
    await sb.close();
  });

  const call = async (api: string, params: Record<string, string>, token: string, secret = 'secret') => {
    const path = `param2/1/com.alibaba.trade/${api}/1000`;
    const form: Record<string, string> = { ...params, access_token: token };
    form._aop_signature = aopSignature(path, form, secret);
    const res = await fetch(`${sb.url}/openapi/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, body: parseJsonLossless(await res.text()) as any };
  };

  it('checks signatures (gw.SignatureInvalid) and tokens (401)', async () => {
    const { accessToken } = sb.alibaba.issueToken();
    expect((await call('alibaba.trade.getBuyerOrderList', {}, accessToken, 'wrong')).body.error_code).toBe('gw.SignatureInvalid');
    expect((await call('alibaba.trade.getBuyerOrderList', {}, 'nope')).status).toBe(401);
    expect((await call('alibaba.trade.getBuyerOrderList', {}, accessToken)).body.totalRecord).toBe(0);
  });

  it('creates orders with big ids as bare numbers, pushes a signed message with retries, and refuses closing too fast', async () => {
    const { accessToken } = sb.alibaba.issueToken();
    const offer = [...sb.alibaba.offers.values()][0]!;
    const address = JSON.stringify({
      fullName: '张三',
      mobile: '15251667788',
      provinceText: '浙江省',
      cityText: '杭州市',
      areaText: '滨江区',
      address: '网商路699号',
    });
    const created = await call(
      'alibaba.trade.fastCreateOrder',
      {
        addressParam: address,
        cargoParamList: JSON.stringify([{ offerId: Number(offer.offerId), specId: offer.skus[0]!.specId, quantity: 1 }]),
        outOrderId: 'T-1',
        flow: 'saleproxy',
      },
      accessToken,
    );
    const orderId = created.body.result.orderId;
    expect(typeof orderId).toBe('string'); // lossless parse: 18 digits arrive as a bare number
    expect(orderId).toHaveLength(18);
    const again = await call(
      'alibaba.trade.fastCreateOrder',
      {
        addressParam: address,
        cargoParamList: JSON.stringify([{ offerId: Number(offer.offerId), specId: offer.skus[0]!.specId, quantity: 1 }]),
        outOrderId: 'T-1',
        flow: 'saleproxy',
      },
      accessToken,
    );
    expect(again.body.result.orderId).toBe(orderId); // duplicate outOrderId returns the existing order (default knob)
    expect(
      (await call('alibaba.trade.cancel', { webSite: '1688', tradeID: orderId, cancelReason: 'other' }, accessToken)).body.errorCode,
    ).toBe('CLOSE_ORDER_TOO_FAST');
    await new Promise((r) => setTimeout(r, 1200));
    expect(received).toHaveLength(1);
    expect(received[0]!.signature).toBe(messageSignature(received[0]!.message, 'secret'));
    const msg = parseJsonLossless(received[0]!.message) as any;
    expect(msg.type).toBe('ORDER_BUYER_VIEW_BUYER_MAKE');
    expect(msg.data.orderId).toBe(orderId);
    expect(sb.alibaba.messages[0]!.attempts).toBe(3);
  });

  it('finds an earlier attempt by outOrderId also for an order put into the simulator directly (the index is rebuilt)', async () => {
    const { accessToken, memberId } = sb.alibaba.issueToken();
    const offer = [...sb.alibaba.offers.values()][0]!;
    const address = JSON.stringify({
      fullName: '李四',
      mobile: '15251667788',
      provinceText: '浙江省',
      cityText: '杭州市',
      areaText: '滨江区',
      address: '网商路1号',
    });
    const cargo = JSON.stringify([{ offerId: Number(offer.offerId), specId: offer.skus[0]!.specId, quantity: 1 }]);
    const first = await call(
      'alibaba.trade.fastCreateOrder',
      { addressParam: address, cargoParamList: cargo, outOrderId: 'T-2', flow: 'saleproxy' },
      accessToken,
    );
    const planted = {
      ...sb.alibaba.orders.get(first.body.result.orderId)!,
      orderId: '900000000000000001',
      outOrderId: 'T-3',
      buyerMemberId: memberId,
    };
    sb.alibaba.orders.set(planted.orderId, planted);
    const again = await call(
      'alibaba.trade.fastCreateOrder',
      { addressParam: address, cargoParamList: cargo, outOrderId: 'T-3', flow: 'saleproxy' },
      accessToken,
    );
    expect(again.body.result.orderId).toBe(planted.orderId);
    expect((await call('alibaba.trade.getBuyerOrderList', { outOrderId: 'T-3' }, accessToken)).body.totalRecord).toBe(1);
  });
});
