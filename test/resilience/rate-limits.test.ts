import { afterEach, describe, expect, it } from 'vitest';
import { count, enableSourcing, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/** The simulators enforce per-app rates; Daifa paces its calls and slows down when told "too fast" (issue 5). */
describe('rate limits', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('1688 allows 8 calls/s while Daifa is configured for 30: it is throttled, adapts, and no order fails', async () => {
    h = await startHarness({ alibaba: { qps: 8 }, env: { DAIFA_1688_CALLS_PER_SECOND: '30' }, concurrency: 16 });
    await enableSourcing(h);
    const N = 25;
    h.sandbox.wechat.generate(h.creds.appId, { count: N, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === N, {
      timeoutMs: 120_000,
      what: 'all paid despite throttling',
    });
    expect(h.sandbox.alibaba.throttled).toBeGreaterThan(0);
    expect(await count(h.app, 'jobs', ['status', '=', 'dead'])).toBe(0);
    expect([...h.sandbox.alibaba.orders.values()].every((o) => o.payments.length === 1)).toBe(true);
    const limiter = (h.app.alibaba as unknown as { limiter: { currentRate: number; throttled: number } }).limiter;
    expect(limiter.throttled).toBeGreaterThan(0);
    expect(limiter.currentRate).toBeLessThan(30);
  }, 150_000);

  it('WeChat answers 45011 beyond its minute quota: Daifa waits for the next minute instead of failing orders', async () => {
    // No worker and no pushes: only this test's calls use the shop's client (a throttled client waits for the next minute).
    h = await startHarness({ api: { callsPerMinute: 10_000 }, push: { enabled: false }, worker: false });
    const client = h.app.clients.for({ shopId: h.shop.id, appId: h.creds.appId, appSecret: h.creds.appSecret });
    h.sandbox.wechat.api.callsPerMinute = 3;
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    // Use up the minute, then one more call is refused with 45011 and the pace drops.
    const calls = [];
    for (let i = 0; i < 4; i++)
      calls.push(
        client.getOrder(o!.orderId).then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        ),
      );
    const results = await Promise.all(calls);
    expect(results.filter((r) => r === 'WECHAT_RATE_LIMITED').length).toBeGreaterThanOrEqual(1);
    expect(client.limiter!.throttled).toBeGreaterThan(0);
    expect(client.limiter!.currentRate).toBeLessThan(6000 / 60);
    // …and the next call waits for the next minute instead of being refused again.
    const next = await Promise.race([client.limiter!.take().then(() => 'went'), new Promise((r) => setTimeout(() => r('waiting'), 150))]);
    expect(next).toBe('waiting');
  });
});
