import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeChatShopClient } from '../../src/channels/wechat-shop/client.js';
import { DaifaError } from '../../src/lib/errors.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';

describe('WeChat Shop client against the simulator (HTTP on loopback)', () => {
  let sb: Sandbox;
  let client: WeChatShopClient;
  beforeAll(async () => {
    sb = await startSandbox({ push: { enabled: false } });
    sb.wechat.addShop({ appId: 'wx00000000000000aa', secret: 'secret-aa' });
    client = new WeChatShopClient(
      { shopId: 1, appId: 'wx00000000000000aa', appSecret: 'secret-aa' },
      { baseUrl: sb.url, clock: { now: () => Date.now() }, log: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => sb.close());

  it('fetches the stable token once and reuses it', async () => {
    sb.wechat.generate('wx00000000000000aa', { count: 3 });
    const before = sb.wechat.tokens.size;
    await client.listOrders({ updateTimeRange: [Math.floor(Date.now() / 1000) - 60, Math.floor(Date.now() / 1000) + 5] });
    await client.listOrders({ updateTimeRange: [Math.floor(Date.now() / 1000) - 60, Math.floor(Date.now() / 1000) + 5] });
    expect(sb.wechat.tokens.size - before).toBeLessThanOrEqual(1);
  });

  it('keeps 19-digit order ids exact and reads orders', async () => {
    const [o] = sb.wechat.generate('wx00000000000000aa', { count: 1 });
    const raw = await client.getOrder(o!.orderId);
    expect(raw.order_id).toBe(o!.orderId);
    expect(o!.orderId).toHaveLength(19);
  });

  it('pages order/list/get by next_key', async () => {
    sb.wechat.generate('wx00000000000000aa', { count: 130 });
    const now = Math.floor(Date.now() / 1000);
    const ids: string[] = [];
    let nextKey: string | undefined;
    do {
      const page = await client.listOrders({ updateTimeRange: [now - 600, now + 5], pageSize: 50, nextKey });
      ids.push(...page.orderIds);
      nextKey = page.hasMore ? page.nextKey : undefined;
    } while (nextKey);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(134);
  });

  it('on a superseded or expired token (40001/42001) refreshes once and retries once', async () => {
    const shop = sb.wechat.shops.get('wx00000000000000aa')!;
    await client.accessToken();
    // The platform invalidates the token (e.g. another holder force-refreshed it).
    sb.wechat.tokens.delete(shop.token!.value);
    shop.token = undefined;
    shop.previous = undefined;
    const r = await client.listOrders({ updateTimeRange: [1, 100] });
    expect(r.orderIds).toEqual([]);
  });

  it('branches on errcode: 45011 is a retryable rate limit, 100002 a permanent error, -1 retried then retryable', async () => {
    sb.wechat.api.forcedErrcode = 45011;
    const limited = await client.getOrder('3700000000000000001').catch((e) => e);
    expect(limited).toBeInstanceOf(DaifaError);
    expect(limited.code).toBe('WECHAT_RATE_LIMITED');
    expect(limited.retryable).toBe(true);
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    sb.wechat.api.forcedErrcode = undefined;

    const missing = await client.getOrder('3700000000000000001').catch((e) => e);
    expect(missing.code).toBe('WECHAT_API');
    expect(missing.retryable).toBe(false);
    expect(missing.details.errcode).toBe(100002);

    sb.wechat.api.errorRate = 1;
    const calls = sb.wechat.calls.get('/channels/ec/order/get') ?? 0;
    const busy = await client.getOrder('3700000000000000001').catch((e) => e);
    expect(busy.retryable).toBe(true);
    expect((sb.wechat.calls.get('/channels/ec/order/get') ?? 0) - calls).toBe(4);
    sb.wechat.api.errorRate = 0;
  });

  it('a wrong app secret fails the token fetch with a clear error', async () => {
    const bad = new WeChatShopClient(
      { shopId: 2, appId: 'wx00000000000000aa', appSecret: 'wrong' },
      { baseUrl: sb.url, clock: { now: () => Date.now() }, log: pino({ level: 'silent' }) },
    );
    const e = await bad.accessToken().catch((x) => x);
    expect(e).toBeInstanceOf(DaifaError);
    expect(e.details.errcode).toBe(40001);
  });

  it('the sandbox decode quota is enforced and returns plaintext with the virtual number', async () => {
    sb.wechat.api.decodeDailyQuota = 1;
    const [o] = sb.wechat.generate('wx00000000000000aa', { count: 1, virtualNumberRate: 1 });
    const d = await client.decodeSensitiveInfo(o!.orderId);
    expect(String(d.address.detail_info)).not.toContain('*');
    expect(d.virtualNumber?.extension).toBeTruthy();
    const again = await client.decodeSensitiveInfo(o!.orderId).catch((e) => e);
    expect(again).toBeInstanceOf(DaifaError);
  });
});
