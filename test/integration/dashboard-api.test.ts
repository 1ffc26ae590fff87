import { afterEach, describe, expect, it } from 'vitest';
import { openCase } from '../../src/cases/cases.js';
import { createUser } from '../../src/security/accounts.js';
import { LOGIN_MAX_FAILURES } from '../../src/http/session.js';
import { callApi, count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';
import { saveLimits } from '../../src/payments/limits.js';

async function req(h: Harness, method: string, path: string, opts: { body?: unknown; cookie?: string; csrf?: string } = {}) {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.csrf ? { 'x-csrf-token': opts.csrf } : {}),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, setCookie: res.headers.get('set-cookie') };
}

/** The dashboard's server side: sessions, CSRF, login rate limit, and the APIs its pages read. */
describe('dashboard API', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('session cookie (httpOnly, SameSite=Strict) with CSRF on every change; logout ends it; failed logins are limited', async () => {
    h = await startHarness();
    await createUser(h.app.db, { username: 'owner1', password: 'owner-pass-1', role: 'owner' }, Date.now());
    const login = await req(h, 'POST', '/api/session', { body: { username: 'owner1', password: 'owner-pass-1' } });
    expect(login.status).toBe(200);
    expect(login.setCookie).toMatch(/^daifa_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = login.setCookie!.split(';')[0]!;
    const csrf = login.body.csrfToken as string;
    expect(login.body.user).toEqual({ username: 'owner1', role: 'owner' });
    // Only the hash of the cookie is stored.
    const stored = await h.app.db.kysely.selectFrom('sessions').select('token_hash').execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).not.toContain(cookie.split('=')[1]!);

    expect((await req(h, 'GET', '/api/me', { cookie })).body).toMatchObject({ username: 'owner1', role: 'owner' });
    expect((await req(h, 'GET', '/api/session', { cookie })).body.csrfToken).toBe(csrf);
    // A change without the CSRF token, or with a wrong one, is refused and changes nothing.
    for (const bad of [undefined, 'x'.repeat(csrf.length), 'short']) {
      const r = await req(h, 'PUT', `/api/shops/${h.shop.id}/mode`, { cookie, csrf: bad, body: { mode: 'shadow' } });
      expect(r.status).toBe(403);
      expect(r.body.error.message).toContain('CSRF');
    }
    expect((await h.app.shops.list())[0]!.mode).toBe('live');
    expect((await req(h, 'PUT', `/api/shops/${h.shop.id}/mode`, { cookie, csrf, body: { mode: 'shadow' } })).status).toBe(200);
    expect((await h.app.shops.list())[0]!.mode).toBe('shadow');
    // Logout needs the token too; afterwards the cookie is worthless.
    expect((await req(h, 'DELETE', '/api/session', { cookie })).status).toBe(403);
    const out = await req(h, 'DELETE', '/api/session', { cookie, csrf });
    expect(out.status).toBe(200);
    expect(out.setCookie).toContain('Max-Age=0');
    expect((await req(h, 'GET', '/api/me', { cookie })).status).toBe(401);

    // Changing one's password: the current one is checked (a field error, not a logout); other sessions end.
    const again = await req(h, 'POST', '/api/session', { body: { username: 'owner1', password: 'owner-pass-1' } });
    const c2 = again.setCookie!.split(';')[0]!;
    const wrong = await req(h, 'POST', '/api/me/password', {
      cookie: c2,
      csrf: again.body.csrfToken,
      body: { currentPassword: 'nope', newPassword: 'owner-pass-2' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('当前密码不正确');
    expect(
      (
        await req(h, 'POST', '/api/me/password', {
          cookie: c2,
          csrf: again.body.csrfToken,
          body: { currentPassword: 'owner-pass-1', newPassword: 'short' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await req(h, 'POST', '/api/me/password', {
          cookie: c2,
          csrf: again.body.csrfToken,
          body: { currentPassword: 'owner-pass-1', newPassword: 'owner-pass-2' },
        })
      ).status,
    ).toBe(200);
    expect((await req(h, 'GET', '/api/me', { cookie: c2 })).status).toBe(401);
    expect((await req(h, 'POST', '/api/session', { body: { username: 'owner1', password: 'owner-pass-1' } })).status).toBe(401);
    expect((await req(h, 'POST', '/api/session', { body: { username: 'owner1', password: 'owner-pass-2' } })).status).toBe(200);

    // Failed logins: after the limit even the right password waits (per user and address); others are unaffected.
    // (One failure above already counts; a success clears the count.)
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      expect((await req(h, 'POST', '/api/session', { body: { username: 'owner1', password: 'nope-nope' } })).status).toBe(401);
    const limited = await req(h, 'POST', '/api/session', { body: { username: 'owner1', password: 'owner-pass-2' } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toContain('15 分钟');
    await createUser(h.app.db, { username: 'other1', password: 'other-pass-1', role: 'viewer' }, Date.now());
    expect((await req(h, 'POST', '/api/session', { body: { username: 'other1', password: 'other-pass-1' } })).status).toBe(200);
    // Bad input gets a clear error.
    expect((await req(h, 'POST', '/api/session', { body: { username: '' } })).status).toBe(400);
  });

  it("with a shop chosen, the overview and the order counts are that shop's only", async () => {
    h = await startHarness();
    const viewer = await tokenFor(h, 'viewer');
    const other = await h.app.shops.add({
      name: '第二家店',
      appId: 'wx00000000000000b2',
      appSecret: 'b'.repeat(32),
      pushToken: 'TokenB2',
      encodingAesKey: 'B'.repeat(43),
    });
    const oc = await h.app.shops.credentialsById(other.id);
    h.sandbox.wechat.addShop({
      appId: oc.appId,
      secret: oc.appSecret,
      push: { appId: oc.appId, url: `${h.url}${other.webhookPath}`, token: oc.pushToken, encodingAesKey: oc.encodingAesKey },
    });
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    const [b] = h.sandbox.wechat.generate(oc.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const k = h.app.db.kysely;
    await waitFor(async () => (await k.selectFrom('shop_orders').select('id').execute()).length === 3, { what: 'three orders' });
    const bId = (await k.selectFrom('shop_orders').select('id').where('wx_order_id', '=', b!.orderId).executeTakeFirstOrThrow()).id;
    await k
      .transaction()
      .execute((trx) => openCase(trx, { kind: 'DEADLINE_AT_RISK', shopOrderId: bId, message: '第二家店的订单快超时了' }, Date.now()));
    const stats = async (q: string) => (await callApi(h!, 'GET', `/api/stats${q}`, viewer)).body;
    expect((await stats('')).shopOrders.total).toBe(3);
    expect((await stats(`?shopId=${h.shop.id}`)).shopOrders.total).toBe(2);
    expect((await stats(`?shopId=${other.id}`)).shopOrders.total).toBe(1);
    expect((await stats(`?shopId=${h.shop.id}`)).openCases.total).toBe(0);
    expect((await stats(`?shopId=${other.id}`)).openCases.byKind).toEqual({ DEADLINE_AT_RISK: 1 });
    expect((await callApi(h, 'GET', '/api/stats?shopId=abc', viewer)).status).toBe(400);
    const cases = async (q: string) =>
      (await callApi(h!, 'GET', `/api/cases?state=Open${q}`, viewer)).body.cases.map((c: { shop_order_id: number }) => c.shop_order_id);
    expect(await cases(`&shopId=${h.shop.id}`)).toEqual([]);
    expect(await cases(`&shopId=${other.id}`)).toEqual([bId]);
    expect(await cases('')).toEqual([bId]);
    // A case stored by an older version with the actions of then offers the actions its kind has now.
    await k
      .updateTable('cases')
      .set({ actions: JSON.stringify(['contact_supplier', 'resolve']) })
      .where('shop_order_id', '=', bId)
      .execute();
    expect((await callApi(h, 'GET', '/api/cases?state=Open', viewer)).body.cases[0].actions).toEqual([
      'expedite',
      'switch_supplier',
      'negotiate_delivery',
    ]);
    expect((await callApi(h, 'GET', `/api/orders/${bId}`, viewer)).body.cases[0].actions).toEqual([
      'expedite',
      'switch_supplier',
      'negotiate_delivery',
    ]);
    const ov = async (id: number) => (await callApi(h!, 'GET', `/api/overview?shopId=${id}`, viewer)).body;
    expect(await ov(h.shop.id)).toMatchObject({ paidToday: 2, casesWaiting: [], deadlinesAtRisk: [], openCases: { total: 0 } });
    const second = await ov(other.id);
    expect(second).toMatchObject({ paidToday: 1, openCases: { total: 1 } });
    expect(second.deadlinesAtRisk.map((c: { shop_order_id: number }) => c.shop_order_id)).toEqual([bId]);
    expect(Object.values(second.pipeline as Record<string, number>).reduce((s, n) => s + n, 0)).toBe(1);
    // Pages: open cases oldest first, handled ones newest first; a cursor continues where a page ended.
    const ids: number[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        (await k
          .transaction()
          .execute((trx) =>
            openCase(trx, { kind: 'DEADLINE_AT_RISK', shopOrderId: bId, message: `第 ${i} 个`, dedupKey: `page-${i}` }, Date.now()),
          ))!,
      );
    const page = async (q: string) =>
      (await callApi(h!, 'GET', `/api/cases?${q}`, viewer)).body as { cases: { id: number }[]; nextCursor: string | null };
    const p1 = await page('state=Open&limit=2');
    const p2 = await page(`state=Open&limit=2&cursor=${p1.nextCursor}`);
    const p3 = await page(`state=Open&limit=2&cursor=${p2.nextCursor}`);
    const openIds = (await k.selectFrom('cases').select('id').where('state', '=', 'Open').orderBy('id').execute()).map((c) => c.id);
    expect([...p1.cases, ...p2.cases, ...p3.cases].map((c) => c.id)).toEqual(openIds);
    expect(p3.nextCursor).toBeNull();
    await k.updateTable('cases').set({ state: 'Resolved' }).where('id', 'in', ids).execute();
    const resolved = await page('state=Resolved&limit=3');
    expect(resolved.cases.map((c) => c.id)).toEqual([...ids].reverse().slice(0, 3));
    expect((await page(`state=Resolved&limit=3&cursor=${resolved.nextCursor}`)).cases.map((c) => c.id)).toEqual([ids[0]]);
    expect((await callApi(h, 'GET', '/api/cases?cursor=abc', viewer)).status).toBe(400);
  });

  it('overview, purchase-order list (keyset pages), supplier scorecards, mapping rows and edits, users, and a live change stream', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const owner = await tokenFor(h, 'owner');
    const viewer = await tokenFor(h, 'viewer');
    // Open the stream first: it must announce the orders as they arrive.
    const ctrl = new AbortController();
    const stream = await fetch(`${h.url}/api/stream`, { headers: { authorization: `Bearer ${viewer}` }, signal: ctrl.signal });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    let seen = '';
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += Buffer.from(value).toString('utf8');
      }
    })().catch(() => undefined);

    h.sandbox.wechat.generate(h.creds.appId, { count: 3, requestRate: 0, multiLineRate: 0 });
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('payments').select('id').where('status', '=', 'Paid').execute()).length === 3,
      { what: 'paid' },
    );
    await waitFor(async () => /event: change\ndata: \{"orders":\d+/.test(seen), { what: 'a change event' });
    ctrl.abort();
    await pump;

    const ov = (await callApi(h, 'GET', '/api/overview', viewer)).body;
    expect(ov.paidToday).toBe(3);
    expect(ov.chart).toHaveLength(14);
    expect(ov.chart[13]).toMatchObject({ orders: 3 });
    expect(ov.money.revenue).toBeGreaterThan(0);
    expect(ov.money.profit).toBe(ov.money.revenue - ov.money.cost);

    const p1 = (await callApi(h, 'GET', '/api/purchase-orders?limit=2', viewer)).body;
    expect(p1.purchaseOrders).toHaveLength(2);
    expect(p1.purchaseOrders[0]).toMatchObject({ route: '1688', readbackOk: true });
    const p2 = (await callApi(h, 'GET', `/api/purchase-orders?limit=2&cursor=${p1.nextCursor}`, viewer)).body;
    expect(p2.purchaseOrders).toHaveLength(1);
    expect(p2.nextCursor).toBeNull();
    expect(new Set([...p1.purchaseOrders, ...p2.purchaseOrders].map((p: any) => p.id)).size).toBe(3);
    expect((await callApi(h, 'GET', '/api/purchase-orders?state=Bogus', viewer)).status).toBe(400);
    const detail = (await callApi(h, 'GET', `/api/purchase-orders/${p1.purchaseOrders[0].id}`, viewer)).body;
    expect(detail.payments[0]).toMatchObject({ status: 'Paid' });
    expect((await callApi(h, 'GET', '/api/purchase-orders/999999', viewer)).status).toBe(404);

    const cards = (await callApi(h, 'GET', '/api/suppliers/scorecards', viewer)).body.suppliers;
    expect(cards.reduce((s: number, c: any) => s + c.orders, 0)).toBe(3);
    expect(cards.find((c: any) => c.orders > 0).trend[7]).toBeGreaterThan(0);

    const rows = (await callApi(h, 'GET', `/api/shops/${h.shop.id}/mappings/rows`, viewer)).body.mappings;
    expect(rows.length).toBeGreaterThan(0);
    expect((await callApi(h, 'PATCH', `/api/mappings/${rows[0].id}`, viewer, { priority: 5 })).status).toBe(403);
    expect((await callApi(h, 'PATCH', `/api/mappings/${rows[0].id}`, owner, { priority: 5, enabled: false })).status).toBe(200);
    expect((await callApi(h, 'PATCH', `/api/mappings/${rows[0].id}`, owner, { priority: 500 })).status).toBe(400);
    const after = (await callApi(h, 'GET', `/api/shops/${h.shop.id}/mappings/rows`, viewer)).body.mappings.find(
      (m: any) => m.id === rows[0].id,
    );
    expect(after).toMatchObject({ priority: 5, enabled: false });

    expect((await callApi(h, 'GET', '/api/users', viewer)).status).toBe(403);
    const created = await callApi(h, 'POST', '/api/users', owner, { username: 'ops2', password: 'short', role: 'operator' });
    expect(created.status).toBe(400);
    const ok = await callApi(h, 'POST', '/api/users', owner, { username: 'ops2', password: 'long-enough-1', role: 'operator' });
    expect(ok.status).toBe(200);
    expect((await callApi(h, 'PATCH', `/api/users/${ok.body.id}`, owner, { role: 'viewer' })).status).toBe(200);
    const users = (await callApi(h, 'GET', '/api/users', owner)).body.users;
    expect(users.find((u: any) => u.username === 'ops2')).toMatchObject({ role: 'viewer' });
    expect(JSON.stringify(users)).not.toContain('scrypt');
  });
});

describe('today’s money on 工作台 (issue 25, point 2)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('profit = revenue − (paid + still owed) cost of the orders with a supplier order; orders not yet sourced are counted apart (待采购), never as profit', async () => {
    h = await startHarness();
    await enableSourcing(h);
    // Every payment waits for approval: the supplier orders are placed (owed) but nothing is paid yet.
    await saveLimits(h.app.db, h.shop.id, { maxPerOrder: 10_000_000, maxPerDay: 1_000_000_000, minMargin: -10_000_000, approvalAbove: 0 });
    h.sandbox.wechat.generate(h.creds.appId, { count: 3, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingApproval'])) === 3, {
      what: 'three placed, payments held',
    });
    // One more that cannot be sourced (its product unmapped): it waits for a person.
    const mapped = await h.app.db.kysely.selectFrom('sku_mappings').select('product_id').executeTakeFirstOrThrow();
    await h.app.db.kysely.deleteFrom('sku_mappings').where('product_id', '!=', mapped.product_id).execute();
    let o;
    do [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    while (o!.lines[0]!.productId === mapped.product_id);
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'UNMAPPED'])) === 1, { what: 'the fourth waits unsourced' });
    const owner = await tokenFor(h, 'owner');
    const money = (await callApi(h, 'GET', '/api/overview', owner)).body.money;
    const orders = await h.app.db.kysely.selectFrom('shop_orders').select(['id', 'order_price', 'wx_order_id']).execute();
    const payments = await h.app.db.kysely.selectFrom('payments').select('amount').execute();
    const owed = payments.reduce((t, p) => t + Number(p.amount), 0);
    const unsourced = orders.find((x) => x.wx_order_id === o!.orderId)!;
    const revenue = orders.reduce((t, x) => t + Number(x.order_price), 0);
    expect(money).toMatchObject({
      revenue,
      paidCost: 0,
      pendingCost: owed,
      cost: owed,
      refunds: 0,
      unsourced: { orders: 1, revenue: Number(unsourced.order_price) },
    });
    // What the cards say adds up: 收入 − 采购成本 − 退款 − 待采购 = 预估利润.
    expect(money.revenue - money.cost - money.refunds - money.unsourced.revenue).toBe(money.profit);
    expect(money.profit).toBe(revenue - Number(unsourced.order_price) - owed);
    // Before: cost 0 and the whole revenue as profit.
    expect(money.profit).toBeLessThan(revenue - Number(unsourced.order_price));
  });
});

describe('工作台 待办 and work in batches (issue 25, points 3 and 4)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a ¥1.50 price rise on a hundred orders: the to-do counts equal the lists they open, and all hundred are accepted in one action; approvals are listed with order, product, supplier and margin and approved in one action', async () => {
    // A hundred decodes in a day: the sandbox's quota, not WeChat's free 30.
    h = await startHarness({
      alibaba: { priceRiseFen: 150 },
      api: { decodeDailyQuota: 100_000 },
      appOptions: () => ({ decodeDailyQuota: 100_000 }),
    });
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, {
      maxPerOrder: 10_000_000,
      maxPerDay: 1_000_000_000,
      minMargin: -10_000_000,
      approvalAbove: 0,
      method1688: 'link',
    });
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 100, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PRICE_CHANGED'])) === 100, {
      timeoutMs: 90_000,
      what: 'a hundred price-change cases',
    });
    const todo = (await callApi(h, 'GET', '/api/overview', owner)).body.todo;
    const listed = (await callApi(h, 'GET', `${todo.priceChanged.link.replace('/cases', '/api/cases')}&state=Open&limit=500`, owner)).body
      .cases;
    expect(todo.priceChanged.count).toBe(100);
    expect(listed).toHaveLength(100);
    const review = (await callApi(h, 'GET', '/api/orders?state=NeedsReview&limit=200', owner)).body.orders;
    expect(todo.needsReview.count).toBe(review.length);
    // One action accepts them all (each margin re-checked); their payments then wait for approval.
    const r = await callApi(h, 'POST', '/api/cases/accept-price-batch', owner, { caseIds: listed.map((c: { id: number }) => c.id) });
    expect(r.body.accepted).toHaveLength(100);
    expect(r.body.refused).toEqual([]);
    expect(await count(h.app, 'cases', ['state', '=', 'Open'])).toBe(0);
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingApproval'])) === 100, {
      timeoutMs: 60_000,
      what: 'a hundred payments awaiting approval',
    });
    const again = (await callApi(h, 'GET', '/api/overview', owner)).body.todo;
    const queue = (await callApi(h, 'GET', '/api/payments/approvals?limit=200', owner)).body;
    expect(again.priceChanged.count).toBe(0);
    expect(again.approvals).toMatchObject({ count: queue.count, total: queue.total });
    expect(queue.count).toBe(100);
    const first = queue.payments[0];
    expect(first).toMatchObject({
      wxOrderId: expect.stringMatching(/^\d{19}$/),
      supplier: expect.any(String),
      product: expect.stringContaining('×'),
    });
    expect(first.margin).toBe(first.orderPrice - first.amount);
    // Pages of 50 cover the queue once.
    const p1 = (await callApi(h, 'GET', '/api/payments/approvals?limit=50', owner)).body;
    const p2 = (await callApi(h, 'GET', `/api/payments/approvals?limit=50&cursor=${p1.nextCursor}`, owner)).body;
    expect(new Set([...p1.payments, ...p2.payments].map((p: { id: number }) => p.id)).size).toBe(100);
    expect(p2.nextCursor).toBeUndefined();
    // Approved in one action: the answer gives the total; a second time nothing is approved twice.
    const ids = queue.payments.map((p: { id: number }) => p.id);
    const ok = (await callApi(h, 'POST', '/api/payments/approve-batch', owner, { paymentIds: ids })).body;
    expect(ok.approved).toHaveLength(100);
    expect(ok.total).toBe(queue.total);
    const twice = (await callApi(h, 'POST', '/api/payments/approve-batch', owner, { paymentIds: ids.slice(0, 3) })).body;
    expect(twice.approved).toEqual([]);
    expect(twice.refused).toHaveLength(3);
    expect((await callApi(h, 'GET', '/api/overview', owner)).body.todo.approvals.count).toBe(0);
  }, 240_000);
});

describe('small supplier price rises accepted by the shop’s own setting (issue 25, point 4)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a ¥1.50-per-unit rise under a ¥10 setting is accepted by itself (recorded, paid at the new total); a rise above ¥10 still asks; a rise that breaks the margin floor still asks', async () => {
    h = await startHarness({ alibaba: { priceRiseFen: 150 } });
    await enableSourcing(h);
    // The rise is per unit and a sandbox line holds 1–3 units: at most ¥4.50, under the ¥10 setting.
    await saveLimits(h.app.db, h.shop.id, {
      maxPerOrder: 10_000_000,
      maxPerDay: 1_000_000_000,
      minMargin: -10_000_000,
      approvalAbove: 10_000_000,
      autoAcceptRise: 1_000,
    });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const paid = await waitFor(
      () =>
        h!.app.db.kysely
          .selectFrom('payments')
          .select(['amount', 'status', 'purchase_order_id'])
          .where('status', '=', 'Paid')
          .executeTakeFirst(),
      { what: 'paid at the new price' },
    );
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    expect(paid.amount).toBe(sim.totalAmount);
    expect(await count(h.app, 'cases', ['kind', '=', 'PRICE_CHANGED'])).toBe(0);
    const placed = await h.app.db.kysely
      .selectFrom('order_events')
      .select('note')
      .where('entity_id', '=', paid.purchase_order_id)
      .where('event', '=', 'po.placed')
      .executeTakeFirstOrThrow();
    expect(placed.note).toContain('已自动接受');
    // Above the setting (¥10.01 a unit): a case, as before.
    h.sandbox.alibaba.knobs.priceRiseFen = 1_001;
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PRICE_CHANGED'])) === 1, { what: 'the larger rise asks' });
    // Within the setting but below the margin floor: asks too.
    h.sandbox.alibaba.knobs.priceRiseFen = 150;
    await saveLimits(h.app.db, h.shop.id, {
      maxPerOrder: 10_000_000,
      maxPerDay: 1_000_000_000,
      minMargin: 10_000_000,
      approvalAbove: 10_000_000,
      autoAcceptRise: 1_000,
    });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PRICE_CHANGED'])) === 2, {
      what: 'the rise below the floor asks',
    });
  });
});
