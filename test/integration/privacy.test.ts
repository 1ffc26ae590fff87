import { afterEach, describe, expect, it } from 'vitest';
import { count, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/** Buyer plaintext never in logs, alerts or the database; secrets never in logs. */
describe('privacy', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('ingesting, alerting and decoding leave no buyer plaintext or shop secret in logs, alerts or stored rows', async () => {
    const logs: string[] = [];
    h = await startHarness({ logSink: logs });
    const orders = h.sandbox.wechat.generate(h.creds.appId, { count: 30, virtualNumberRate: 0.5 });
    await waitFor(
      async () =>
        (await count(h!.app, 'shop_orders', ['state', 'in', ['Confirmed', 'NeedsReview']])) === 30 &&
        (await count(h!.app, 'notifications', ['status', '=', 'sent'])) >= 30,
      { what: 'orders and alerts' },
    );
    const decoded = await h.app.decode.decode({
      shopId: h.shop.id,
      wxOrderId: orders[0]!.orderId,
      actor: 'test',
      purpose: '测试',
      destination: '测试',
    });
    expect(decoded.detailInfo).toBe(orders[0]!.address.detail);

    const secrets = [h.creds.appSecret, h.creds.encodingAesKey, h.creds.pushToken];
    const plaintext = orders.flatMap((o) => [o.address.userName, o.address.tel, o.address.detail]);
    // The privacy relay number is returned unmasked by order/get itself (it exists to be given to couriers), so
    // storing it is intended; it still never goes into logs or alerts.
    const relayNumbers = orders.flatMap((o) => (o.address.virtualTel ? [o.address.virtualTel] : []));
    expect(relayNumbers.length).toBeGreaterThan(0);
    const notifications = await h.app.db.kysely.selectFrom('notifications').select(['title', 'body']).execute();
    const stored =
      JSON.stringify(await h.app.db.kysely.selectFrom('shop_orders').selectAll().execute()) +
      JSON.stringify(await h.app.db.kysely.selectFrom('inbound_events').selectAll().execute()) +
      JSON.stringify(await h.app.db.kysely.selectFrom('shops').selectAll().execute());
    const haystacks = { logs: logs.join('\n'), alerts: JSON.stringify(notifications), stored };
    expect(logs.length).toBeGreaterThan(30);
    for (const [where, text] of Object.entries(haystacks)) {
      for (const s of plaintext) expect(text.includes(s) ? `${where}: ${s}` : 'clean').toBe('clean');
      for (const s of secrets) expect(text.includes(s), `${where} must not contain shop secrets`).toBe(false);
      if (where !== 'stored') for (const s of relayNumbers) expect(text.includes(s) ? `${where}: ${s}` : 'clean').toBe('clean');
    }
  });
  it('the daily decode quota holds when decodes run at the same moment; a refused decode is neither counted nor logged', async () => {
    h = await startHarness({ appOptions: () => ({ decodeDailyQuota: 3 }) });
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders')) === 1, { what: 'order received' });
    expect((await h.app.decode.usage(h.shop.id)).used).toBe(0); // no supplier: nothing decoded yet
    const ask = (i: number) =>
      h!.app.decode.decode({
        shopId: h!.shop.id,
        wxOrderId: o!.orderId,
        actor: 'user:boss',
        purpose: `核对地址 ${i}`,
        destination: '商家本人',
      });
    const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => ask(i)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected'))
      expect(r.reason).toMatchObject({ code: 'LIMIT_REACHED', message: expect.stringContaining('今日解密额度已用完（3/3）') });
    expect(await h.app.decode.usage(h.shop.id)).toMatchObject({ used: 3, quota: 3 });
    expect(await count(h.app, 'decode_log')).toBe(3);
  });
});
