import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aesKeyFromEncodingAesKey, encryptMessage, msgSignature, urlSignature } from '../../src/channels/wechat-shop/crypto.js';
import { eventOrderId } from '../../src/channels/wechat-shop/push-receiver.js';
import { count, startHarness, waitFor, type Harness } from '../helpers/harness.js';

describe('WeChat push receiver', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ push: { enabled: false } });
  });
  afterAll(async () => h.stop());

  const endpoint = () => `${h.url}${h.shop.webhookPath}`;
  function signed(message: string, opts: { appId?: string; token?: string; key?: string } = {}) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = '123456789';
    const encrypt = encryptMessage(aesKeyFromEncodingAesKey(opts.key ?? h.creds.encodingAesKey), message, opts.appId ?? h.creds.appId);
    const sig = msgSignature(opts.token ?? h.creds.pushToken, timestamp, nonce, encrypt);
    return {
      url: `${endpoint()}?timestamp=${timestamp}&nonce=${nonce}&msg_signature=${sig}&encrypt_type=aes&signature=${urlSignature(h.creds.pushToken, timestamp, nonce)}`,
      body: JSON.stringify({ ToUserName: 'gh_test', Encrypt: encrypt }),
      encrypt,
      timestamp,
      nonce,
    };
  }
  const post = (url: string, body: string, type = 'application/json') =>
    fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  // What a push can create: the stored event and its sync job (later jobs come from the worker, not the receiver).
  const stored = async () => ({
    events: await count(h.app, 'inbound_events'),
    jobs: await count(h.app, 'jobs', ['kind', '=', 'order.sync']),
  });

  it('answers the URL verification with echostr only when the signature is right', async () => {
    const ts = '1714036504';
    const nonce = '1514711492';
    const good = await fetch(
      `${endpoint()}?signature=${urlSignature(h.creds.pushToken, ts, nonce)}&timestamp=${ts}&nonce=${nonce}&echostr=4375120948345356249`,
    );
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('4375120948345356249');
    const bad = await fetch(`${endpoint()}?signature=${'0'.repeat(40)}&timestamp=${ts}&nonce=${nonce}&echostr=x`);
    expect(bad.status).toBe(401);
  });

  it('accepts a valid push: stores it, enqueues one sync job, answers success; a retry of it is not stored twice', async () => {
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1 });
    const msg = `{"ToUserName":"gh_x","FromUserName":"o1","CreateTime":1714112445,"MsgType":"event","Event":"channels_ec_order_pay","order_info":{"order_id":${order!.orderId},"pay_time":1714112445}}`;
    const before = await stored();
    for (let i = 0; i < 3; i++) {
      const s = signed(msg);
      const res = await post(s.url, s.body);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('success');
    }
    const after = await stored();
    expect(after.events - before.events).toBe(1);
    const ev = await h.app.db.kysely.selectFrom('inbound_events').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(ev.external_id).toBe(order!.orderId); // 19 digits, sent as a bare JSON number, kept exact
    await waitFor(async () => (await count(h.app, 'shop_orders', ['wx_order_id', '=', order!.orderId])) === 1, { what: 'order stored' });
  });

  it('refuses forged, tampered and wrong-app pushes with 401 and stores nothing', async () => {
    const msg = '{"Event":"channels_ec_order_pay","order_info":{"order_id":"3705115058471208928"},"CreateTime":1}';
    const before = await stored();
    const forged = signed(msg, { token: 'not-the-token' });
    expect((await post(forged.url, forged.body)).status).toBe(401);

    const s = signed(msg);
    const bytes = Buffer.from(s.encrypt, 'base64');
    bytes[5] = bytes[5]! ^ 0xff;
    const tamperedBody = JSON.stringify({ ToUserName: 'gh', Encrypt: bytes.toString('base64') });
    expect((await post(s.url, tamperedBody)).status).toBe(401);

    // Attacker who knows the token but not the key: signature right, ciphertext garbage.
    const garbage = Buffer.alloc(64, 7).toString('base64');
    const sig = msgSignature(h.creds.pushToken, s.timestamp, s.nonce, garbage);
    expect(
      (await post(`${endpoint()}?timestamp=${s.timestamp}&nonce=${s.nonce}&msg_signature=${sig}`, JSON.stringify({ Encrypt: garbage })))
        .status,
    ).toBe(401);

    const otherApp = signed(msg, { appId: 'wx0000000000000000' });
    expect((await post(otherApp.url, otherApp.body)).status).toBe(401);

    expect(await stored()).toEqual(before);
  });

  it('refuses malformed bodies with 400 and oversized ones with 413, storing nothing', async () => {
    const before = await stored();
    const s = signed('{}');
    expect((await post(s.url, '{not json')).status).toBe(400);
    expect((await post(s.url, JSON.stringify({ ToUserName: 'x' }))).status).toBe(400);
    expect((await post(s.url, 'Encrypt=abc', 'application/x-www-form-urlencoded')).status).toBe(400);
    const notJsonInside = signed('this is not json');
    expect((await post(notJsonInside.url, notJsonInside.body)).status).toBe(400);
    const huge = JSON.stringify({ Encrypt: 'A'.repeat(h.app.config.pushBodyLimit + 10) });
    expect((await post(s.url, huge)).status).toBe(413);
    expect((await fetch(`${h.url}/webhooks/wechat-shop/no-such-shop`, { method: 'POST', body: s.body })).status).toBe(404);
    expect(await stored()).toEqual(before);
  });

  it('stores and acknowledges unknown event types without creating work', async () => {
    const before = await stored();
    const s = signed(
      '{"ToUserName":"gh","CreateTime":5,"MsgType":"event","Event":"product_spu_audit","ProductSpuAudit":{"product_id":"1"}}',
    );
    const res = await post(s.url, s.body);
    expect(await res.text()).toBe('success');
    const after = await stored();
    expect(after.events - before.events).toBe(1);
    expect(after.jobs - before.jobs).toBe(0);
  });

  it('finds order ids in every event shape', () => {
    expect(eventOrderId({ order_info: { order_id: '3705115058471208928' } })).toBe('3705115058471208928');
    expect(
      eventOrderId({ finder_shop_aftersale_status_update: { order_id: '3736171021465426432', after_sale_order_id: '2000003413203552' } }),
    ).toBe('3736171021465426432');
    expect(eventOrderId({ finder_shop_aftersale_status_update: '\n2000003430069354\nMERCHANT_PROCESSING\n3736396724586553600\n' })).toBe(
      '3736396724586553600',
    );
    expect(eventOrderId({ Event: 'x' })).toBeUndefined();
  });
});
