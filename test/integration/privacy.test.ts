import { afterEach, describe, expect, it } from 'vitest';
import { cnDate, cnDayStart } from '../../src/lib/cn-time.js';
import { callApi, count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

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
    // What the dashboard's decode dialog shows before anyone decodes: the day's count against the quota.
    const viewer = await tokenFor(h, 'viewer');
    const shown = await callApi(h, 'GET', `/api/shops/${h.shop.id}/decode-usage`, viewer);
    expect([shown.status, shown.body]).toEqual([200, { day: cnDate(h.app.clock.now()), used: 3, quota: 3 }]);
    expect((await callApi(h, 'GET', `/api/shops/${h.shop.id + 99}/decode-usage`, viewer)).status).toBe(404);
  });

  it('decode quota used up: supplier orders wait for tomorrow’s quota instead of dying, and the merchant is told once', async () => {
    h = await startHarness({ appOptions: () => ({ decodeDailyQuota: 0 }) });
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 3, requestRate: 0, multiLineRate: 0 });
    const placeJobs = () => h!.app.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'po.place').execute();
    await waitFor(async () => (await placeJobs()).filter((j) => j.last_error?.includes('今日解密额度已用完')).length === 3, {
      what: 'three purchase orders refused an address by the quota',
    });
    const now = h.app.clock.now();
    const tomorrow = cnDayStart(now) + 86_400_000;
    for (const j of await placeJobs()) {
      // Waiting, not dead: due just after China's midnight, when the quota is back.
      expect(j.status).toBe('pending');
      expect(j.run_at).toBeGreaterThanOrEqual(tomorrow);
      expect(j.run_at).toBeLessThanOrEqual(tomorrow + 5 * 60_000);
    }
    expect(await count(h.app, 'purchase_orders', ['state', '=', 'Placed'])).toBe(0);
    expect(h.sandbox.alibaba.orders.size).toBe(0);
    // One alert for the shop and the day, however many decodes were refused; nothing decoded, nothing logged.
    const alerts = await h.app.db.kysely.selectFrom('notifications').selectAll().where('event', '=', 'decode_quota_used_up').execute();
    expect(new Set(alerts.map((a) => a.channel))).toEqual(new Set(['log']));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.body).toContain('明日 00:00');
    expect(await count(h.app, 'decode_log')).toBe(0);
  });

  it('WeChat’s own decode quota used up first (45009): the day counts as full here too, supplier orders wait for tomorrow, one alert', async () => {
    h = await startHarness({ appOptions: () => ({ decodeDailyQuota: 10 }) });
    h.sandbox.wechat.api.decodeDailyQuota = 0; // WeChat allows fewer than Daifa was told
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    const placeJobs = () => h!.app.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'po.place').execute();
    await waitFor(async () => (await placeJobs()).filter((j) => j.last_error?.includes('45009')).length >= 1, {
      what: 'a purchase order refused its address by WeChat',
    });
    // The day is full here too: the other order is refused by Daifa's own count, without asking WeChat.
    await waitFor(async () => (await placeJobs()).filter((j) => j.last_error?.includes('今日解密额度已用完')).length === 2, {
      what: 'both purchase orders waiting for the quota',
    });
    const tomorrow = cnDayStart(h.app.clock.now()) + 86_400_000;
    for (const j of await placeJobs()) {
      expect(j.status).toBe('pending');
      expect(j.run_at).toBeGreaterThanOrEqual(tomorrow);
    }
    expect(await h.app.decode.usage(h.shop.id)).toMatchObject({ used: 10, quota: 10 });
    expect(await count(h.app, 'notifications', ['event', '=', 'decode_quota_used_up'])).toBe(1);
    expect(h.sandbox.alibaba.orders.size).toBe(0);
  });
});
