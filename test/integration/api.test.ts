import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueToken } from '../../src/security/accounts.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';

describe('HTTP API', () => {
  let h: Harness;
  let withRequests: string;
  let owner: string;
  let operator: string;
  let viewer: string;
  beforeAll(async () => {
    h = await startHarness();
    const now = Date.now();
    owner = await issueToken(
      h.app.db,
      await createUser(h.app.db, { username: 'boss', password: 'owner-pass-1', role: 'owner' }, now),
      't',
      now,
    );
    operator = await issueToken(
      h.app.db,
      await createUser(h.app.db, { username: 'op', password: 'operator-pass', role: 'operator' }, now),
      't',
      now,
    );
    viewer = await issueToken(
      h.app.db,
      await createUser(h.app.db, { username: 'look', password: 'viewer-pass', role: 'viewer' }, now),
      't',
      now,
    );
    const [o, o2] = h.sandbox.wechat.generate(h.creds.appId, { count: 6 });
    h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o!.orderId)!.notes = '请把颜色换成红色';
    h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o2!.orderId)!.notes = '请发顺丰，放快递柜';
    withRequests = o2!.orderId;
    await waitFor(
      async () =>
        (await api('GET', '/api/stats', owner)).body.shopOrders.total === 6 &&
        (await api('GET', '/api/orders?state=Received', owner)).body.orders.length === 0,
      { what: 'orders' },
    );
  });
  afterAll(async () => h.stop());

  async function api(method: string, path: string, token?: string, body?: unknown) {
    const res = await fetch(`${h.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as any };
  }

  it('requires authentication on every API call', async () => {
    expect((await api('GET', '/api/orders')).status).toBe(401);
    expect((await api('GET', '/api/orders', 'dfa_wrong')).status).toBe(401);
    expect((await api('GET', '/health')).status).toBe(200);
  });

  it('logs in with username and password and returns a token; wrong password is refused', async () => {
    const ok = await api('POST', '/api/auth/login', undefined, { username: 'op', password: 'operator-pass' });
    expect(ok.status).toBe(200);
    expect((await api('GET', '/api/me', ok.body.token)).body.role).toBe('operator');
    expect((await api('POST', '/api/auth/login', undefined, { username: 'op', password: 'nope' })).status).toBe(401);
  });

  it('lists orders with filters and cursor pagination, newest first', async () => {
    const page1 = await api('GET', '/api/orders?limit=4', viewer);
    expect(page1.status).toBe(200);
    expect(page1.body.orders).toHaveLength(4);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await api('GET', `/api/orders?limit=4&cursor=${page1.body.nextCursor}`, viewer);
    expect(page2.body.orders).toHaveLength(2);
    expect(page2.body.nextCursor).toBeNull();
    const all = [...page1.body.orders, ...page2.body.orders].map((o: any) => o.id);
    expect(new Set(all).size).toBe(6);
    const review = await api('GET', '/api/orders?state=NeedsReview', viewer);
    expect(review.body.orders.length).toBeGreaterThanOrEqual(1);
    const first = page1.body.orders[0];
    const byText = await api('GET', `/api/orders?q=${first.wxOrderId}`, viewer);
    expect(byText.body.orders.map((o: any) => o.id)).toEqual([first.id]);
    expect((await api('GET', `/api/orders?shopId=${h.shop.id + 1000}`, viewer)).body.orders).toEqual([]);
    expect((await api('GET', `/api/orders?from=${Date.now() + 60_000}`, viewer)).body.orders).toEqual([]);
  });

  it('validates input with field messages', async () => {
    const bad = await api('GET', '/api/orders?state=Nope&limit=0', viewer);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: any) => f.field).sort()).toEqual(['limit', 'state']);
    expect((await api('GET', '/api/orders?cursor=garbage', viewer)).status).toBe(400);
  });

  it('shows order detail with lines, masked address and full history', async () => {
    const list = await api('GET', '/api/orders?state=NeedsReview', viewer);
    const d = await api('GET', `/api/orders/${list.body.orders[0].wxOrderId}`, viewer);
    expect(d.status).toBe(200);
    expect(d.body.lines.length).toBeGreaterThan(0);
    expect(d.body.address.detailInfo).toBe('****');
    expect(d.body.history.map((e: any) => e.to)).toEqual(['Received', 'NeedsReview']);
    expect(d.body.reviewReasons[0].code).toBe('BUYER_NOTE_UNPARSED');
    expect((await api('GET', '/api/orders/999999', viewer)).status).toBe(404);
    // The buyer's requests as one readable line for the dashboard, besides the structured form.
    const r = await api('GET', `/api/orders/${withRequests}`, viewer);
    expect(r.body.specialRequests).toMatchObject({ courier: 'SF', instructions: ['放快递柜'] });
    expect(r.body.specialRequestsText).toBe('指定顺丰；备注:放快递柜');
  });

  it('resolves a review with a note; viewers cannot; a second resolution conflicts', async () => {
    const id = (await api('GET', '/api/orders?state=NeedsReview', viewer)).body.orders[0].id;
    expect((await api('POST', `/api/orders/${id}/review`, viewer, { decision: 'confirm', note: 'ok' })).status).toBe(403);
    expect((await api('POST', `/api/orders/${id}/review`, operator, { decision: 'confirm', note: '' })).status).toBe(400);
    const r = await api('POST', `/api/orders/${id}/review`, operator, { decision: 'confirm', note: '已电话确认买家要红色，改发红色' });
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('Confirmed');
    const d = await api('GET', `/api/orders/${id}`, viewer);
    expect(d.body.history.at(-1)).toMatchObject({ to: 'Confirmed', actor: 'user:op', note: '已电话确认买家要红色，改发红色' });
    // Reviewed already: 409 with the code that says so (the order is no longer waiting for a review).
    const again = await api('POST', `/api/orders/${id}/review`, operator, { decision: 'cancel', note: 'again' });
    expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 409, code: 'WRONG_STATE' });
  });

  it('stats, jobs and dead-job retry', async () => {
    const s = await api('GET', '/api/stats', viewer);
    expect(s.body.shopOrders.total).toBe(6);
    expect(s.body.jobs.byStatus.done).toBeGreaterThan(0);
    const id = (
      await h.app.db.kysely
        .insertInto('jobs')
        .values({
          kind: 'no.such.kind',
          payload: '{}',
          status: 'dead',
          run_at: 0,
          attempts: 8,
          max_attempts: 8,
          created_at: 0,
          updated_at: 0,
          last_error: 'x',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    expect((await api('GET', '/api/jobs?status=dead', viewer)).body.jobs.map((j: any) => j.id)).toContain(id);
    expect((await api('POST', `/api/jobs/${id}/retry`, viewer)).status).toBe(403);
    expect((await api('POST', `/api/jobs/${id}/retry`, operator)).body.retried).toBe(1);
    const done = (await h.app.db.kysely.selectFrom('jobs').select('id').where('status', '=', 'done').limit(1).executeTakeFirstOrThrow()).id;
    const notDead = await api('POST', `/api/jobs/${done}/retry`, operator);
    expect({ status: notDead.status, code: notDead.body.error.code }).toEqual({ status: 409, code: 'WRONG_STATE' });
  });

  it('adds shops (owner only), never returning secrets', async () => {
    const input = {
      name: '第二家店',
      appId: 'wx1234567890abcdef',
      appSecret: 'super-secret-value',
      pushToken: 'tok123',
      encodingAesKey: 'B'.repeat(43),
    };
    expect((await api('POST', '/api/shops', operator, input)).status).toBe(403);
    const bad = await api('POST', '/api/shops', owner, { ...input, appId: 'nope', encodingAesKey: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: any) => f.field).sort()).toEqual(['appId', 'encodingAesKey']);
    const ok = await api('POST', '/api/shops', owner, input);
    expect(ok.status).toBe(200);
    expect(ok.body.webhookUrl).toContain('/webhooks/wechat-shop/');
    const text = JSON.stringify(await api('GET', '/api/shops', viewer));
    expect(text).not.toContain('super-secret-value');
    expect(text).not.toContain('B'.repeat(43));
    const row = await h.app.db.kysely.selectFrom('shops').selectAll().where('app_id', '=', 'wx1234567890abcdef').executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain('super-secret-value');
  });

  it('alert settings per shop (owner only, validated) and the alert list', async () => {
    const rules = {
      wecom: { webhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K' },
      quietHours: { start: '22:00', end: '08:00' },
      routes: { new_paid_order: ['wecom'] },
    };
    expect((await api('PUT', `/api/shops/${h.shop.id}/alerts`, operator, rules)).status).toBe(403);
    const bad = await api('PUT', `/api/shops/${h.shop.id}/alerts`, owner, { quietHours: { start: '7pm', end: '08:00' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe('quietHours.start');
    expect((await api('PUT', `/api/shops/${h.shop.id}/alerts`, owner, rules)).status).toBe(200);
    const got = await api('GET', `/api/shops/${h.shop.id}/alerts`, viewer);
    expect(got.body).toMatchObject({ language: 'zh', quietHours: { start: '22:00', end: '08:00' }, routes: { new_paid_order: ['wecom'] } });
    // What the dashboard's rules form offers: every event with its default channels.
    const catalog = (await api('GET', '/api/alerts/catalog', viewer)).body;
    expect(catalog.channels).toEqual(expect.arrayContaining(['wecom', 'sms', 'email', 'log']));
    expect(catalog.events).toContain('deadline_at_risk');
    expect(catalog.defaults.deadline_at_risk).toEqual(['log', 'wecom', 'sms']);
    const digest = await h.app.db.kysely
      .selectFrom('jobs')
      .select('kind')
      .where('singleton_key', '=', `notify.digest:${h.shop.id}`)
      .executeTakeFirst();
    expect(digest?.kind).toBe('notify.digest');
    const sent = await api('GET', '/api/notifications?status=sent', viewer);
    expect(sent.body.notifications.length).toBeGreaterThan(0);
    expect(sent.body.notifications.every((n: any) => n.status === 'sent')).toBe(true);
    expect((await api('GET', '/api/notifications?status=weird', viewer)).status).toBe(400);
    expect((await api('POST', '/api/notifications/retry-failed', operator)).body.retried).toBe(0);
  });

  it('exports and imports SKU mappings as CSV and xlsx', async () => {
    const { seedDaifaCatalogue } = await import('../../sandbox/catalogue.js');
    await seedDaifaCatalogue(h.app.db, h.shop.id, Date.now());
    const csv = await fetch(`${h.url}/api/shops/${h.shop.id}/mappings`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const text = await csv.text();
    const xlsx = await fetch(`${h.url}/api/shops/${h.shop.id}/mappings?format=xlsx`, { headers: { authorization: `Bearer ${viewer}` } });
    const bytes = Buffer.from(await xlsx.arrayBuffer());
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    const up = (body: Buffer | string, token: string, type: string) =>
      fetch(`${h.url}/api/shops/${h.shop.id}/mappings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body,
      });
    expect((await up(text, viewer, 'text/csv')).status).toBe(403);
    const r1 = (await (await up(text + '1,2,nobody,3,,1,,0,1\r\n', operator, 'text/csv')).json()) as any;
    expect(r1.errors).toEqual([expect.objectContaining({ column: '供应商(会员ID、邮箱、AppID或名称)' })]);
    const r2 = (await (await up(bytes, operator, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).json()) as any;
    expect(r2.errors).toEqual([]);
    expect(r2.imported).toBe(r1.imported);
  });

  it('manages suppliers of three kinds, their offers, and per-shop scoring weights', async () => {
    const add = (body: unknown, token = owner) => api('POST', '/api/suppliers', token, body);
    expect((await add({ kind: '1688', name: 'x', memberId: 'b2b-1' }, operator)).status).toBe(403);
    const bad = await add({ kind: '1688', name: '', memberId: 'nope', creditLevel: 'L9' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: any) => f.field).sort()).toEqual(['creditLevel', 'memberId', 'name']);
    const s1 = await add({
      kind: '1688',
      name: '义乌新厂',
      memberId: 'b2b-99887766',
      creditLevel: 'L3',
      acceptsEncrypted: true,
      couriers: ['ZTO'],
    });
    const s2 = await add({ kind: 'direct', name: '杭州直供', email: 'hz@example.com', couriers: ['SF'] });
    const s3 = await add({ kind: 'wechat_dropship', name: '小店供货商', dropshipAppId: 'wx1234567890abcdef' });
    expect([s1.status, s2.status, s3.status]).toEqual([200, 200, 200]);
    expect((await add({ kind: 'direct', name: 'y', email: 'not-an-email' })).body.error.fields[0].field).toBe('email');
    const list = (await api('GET', '/api/suppliers', viewer)).body.suppliers;
    expect(list.find((s: any) => s.id === s1.body.id)).toMatchObject({ kind: '1688', acceptsEncrypted: true, couriers: ['ZTO'] });
    const offer = await api('POST', `/api/suppliers/${s1.body.id}/offers`, operator, {
      offerId: '610000009999',
      specId: 'a'.repeat(32),
      title: '保温杯',
      unitPrice: 1234,
      stock: 10,
    });
    expect(offer.status).toBe(200);
    expect(
      (await api('POST', `/api/suppliers/${s1.body.id}/offers`, operator, { offerId: '1', title: 't', unitPrice: 12.5, stock: 1 })).status,
    ).toBe(400);
    expect((await api('GET', `/api/shops/${h.shop.id}/scoring-weights`, viewer)).body).toMatchObject({ cost: 0.4 });
    const w = await api('PUT', `/api/shops/${h.shop.id}/scoring-weights`, owner, { cost: 2, reliability: 1, speed: 1, reputation: 0 });
    expect(w.body).toEqual({ cost: 0.5, reliability: 0.25, speed: 0.25, reputation: 0 });
    expect(
      (await api('PUT', `/api/shops/${h.shop.id}/scoring-weights`, owner, { cost: 0, reliability: 0, speed: 0, reputation: 0 })).status,
    ).toBe(400);
  });

  it('decodes buyer data only for owners, with purpose, counted and logged', async () => {
    const id = (await api('GET', '/api/orders?limit=1', viewer)).body.orders[0].id;
    expect((await api('POST', `/api/orders/${id}/decode`, operator, { purpose: '打印面单', destination: '供应商A' })).status).toBe(403);
    expect((await api('POST', `/api/orders/${id}/decode`, owner, {})).status).toBe(400);
    const r = await api('POST', `/api/orders/${id}/decode`, owner, { purpose: '核对地址', destination: '商家本人' });
    expect(r.status).toBe(200);
    expect(r.body.address.detailInfo).not.toContain('*');
    const log = await h.app.db.kysely.selectFrom('decode_log').selectAll().execute();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ actor: 'user:boss', purpose: '核对地址', destination: '商家本人' });
    expect(await h.app.decode.usage(h.shop.id)).toMatchObject({ used: 1 });
  });
});
