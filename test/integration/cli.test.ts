import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, count, type Harness } from '../helpers/harness.js';
import { runDaifa } from '../helpers/processes.js';

/** The real `daifa` command, run as an operator would, against the same database as an in-process Daifa. */
describe('daifa CLI', () => {
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness();
    env = { ...h.t.env, WECHAT_API_BASE: h.sandbox.url };
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 3 });
    h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o!.orderId)!.notes = '请务必改成蓝色';
    await waitFor(async () => (await count(h.app, 'shop_orders', ['state', 'in', ['Confirmed', 'NeedsReview']])) === 3, { what: 'orders' });
  });
  afterAll(async () => h.stop());

  it('migrate, help and unknown commands', async () => {
    expect((await runDaifa(['migrate'], env)).out).toContain('up to date');
    const help = await runDaifa(['help'], env);
    expect(help.code).toBe(0);
    expect(help.out).toContain('daifa shops add');
    expect((await runDaifa(['frobnicate'], env)).code).toBe(2);
  });

  it('shops add prints the webhook URL; bad input is refused with every field named', async () => {
    const ok = await runDaifa(
      [
        'shops',
        'add',
        '--name',
        '新店',
        '--app-id',
        'wxabcdefabcdef1234',
        '--app-secret',
        'a-secret-123',
        '--push-token',
        'Tok123',
        '--aes-key',
        'C'.repeat(43),
      ],
      { ...env, PUBLIC_URL: 'https://daifa.example.cn' },
    );
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/https:\/\/daifa\.example\.cn\/webhooks\/wechat-shop\/\S+/);
    expect(ok.out).not.toContain('a-secret-123');
    const bad = await runDaifa(
      ['shops', 'add', '--name', 'x', '--app-id', 'nope', '--app-secret', 'a-secret-123', '--push-token', 'Tok123', '--aes-key', 'short'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('appId');
    expect(bad.out).toContain('encodingAesKey');
    const list = await runDaifa(['shops', 'list', '--json'], env);
    expect(JSON.parse(list.out).map((s: { name: string }) => s.name)).toEqual(['测试小店', '新店']);
  });

  it('orders list/show (--json) and review', async () => {
    const list = JSON.parse((await runDaifa(['orders', 'list', '--json'], env)).out);
    expect(list.orders).toHaveLength(3);
    // A state the lifecycle does not have is refused, naming the states (not an empty list).
    const unknown = await runDaifa(['orders', 'list', '--state', 'Shiped'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('must be one of');
    expect(unknown.out).toContain('Shipped');
    const inReview = JSON.parse((await runDaifa(['orders', 'list', '--state', 'NeedsReview', '--json'], env)).out).orders as {
      state: string;
    }[];
    expect(inReview.length).toBeGreaterThan(0);
    expect(inReview.every((o) => o.state === 'NeedsReview')).toBe(true);
    const flagged = list.orders.find((o: { state: string }) => o.state === 'NeedsReview');
    const shown = await runDaifa(['orders', 'show', flagged.wxOrderId], env);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('BUYER_NOTE_UNPARSED');
    expect(shown.out).toContain('order.received');
    const json = JSON.parse((await runDaifa(['orders', 'show', String(flagged.id), '--json'], env)).out);
    expect(json.wxOrderId).toBe(flagged.wxOrderId);
    const noNote = await runDaifa(['orders', 'review', String(flagged.id), '--decision', 'confirm'], env);
    expect(noNote.code).toBe(1);
    const rev = await runDaifa(
      ['orders', 'review', String(flagged.id), '--decision', 'cancel', '--note', '买家要蓝色，无货，取消', '--actor', 'xiaoli'],
      env,
    );
    expect(rev.code).toBe(0);
    const after = JSON.parse((await runDaifa(['orders', 'show', String(flagged.id), '--json'], env)).out);
    expect(after.state).toBe('Cancelled');
    expect(after.history).toContainEqual(expect.objectContaining({ to: 'Cancelled', actor: 'cli:xiaoli', note: '买家要蓝色，无货，取消' }));
    // Cancelled in review: Daifa refunds the buyer on WeChat (the buyer need not apply).
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(flagged.wxOrderId)!;
    await waitFor(async () => sim.status === 200, { what: 'refunded on WeChat' });

    // 退款给买家 from the command line: a bad reason is refused; the whole order of another buyer is refunded.
    const other = list.orders.find((o: { state: string }) => o.state === 'Confirmed');
    expect((await runDaifa(['orders', 'refund', String(other.id), '--note', '缺货', '--reason', 'nope'], env)).code).toBe(1);
    const refund = await runDaifa(['orders', 'refund', String(other.id), '--note', '缺货，电话告知买家', '--actor', 'xiaoli'], env);
    expect(refund.code).toBe(0);
    expect(refund.out).toContain('整单');
    const simOther = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(other.wxOrderId)!;
    await waitFor(async () => simOther.status === 200, { what: 'the other order refunded on WeChat' });
    expect(simOther.aftersales.every((a) => a.reason === '10000001')).toBe(true);
  });

  it('stats --json counts orders by state, purchase orders, open cases, jobs and dead jobs', async () => {
    const s = JSON.parse((await runDaifa(['stats', '--json'], env)).out);
    expect(s.shopOrders.total).toBe(3);
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['shopOrders', 'purchaseOrders', 'openCases', 'jobs']));
    expect(typeof s.jobs.dead).toBe('number');
    // One shop's counts; a shop id that is not one is refused, clearly.
    expect(JSON.parse((await runDaifa(['stats', '--shop', String(h.shop.id), '--json'], env)).out).shopOrders.total).toBe(3);
    expect(JSON.parse((await runDaifa(['stats', '--shop', String(h.shop.id + 1000), '--json'], env)).out).shopOrders.total).toBe(0);
    const bad = await runDaifa(['stats', '--shop', 'abc'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('--shop 应为店铺编号');
    const noId = await runDaifa(['cases', 'resolve', 'abc', '--note', 'x'], env);
    expect(noId.code).not.toBe(0);
    expect(noId.out).toContain('daifa cases resolve <id>');
    // The case commands that act on a parcel or a refund say clearly what is wrong.
    const noCase = await runDaifa(['cases', 'courier', '99999', '--delivery-id', 'zto'], env);
    expect(noCase.code).toBe(1);
    expect(noCase.out).toContain('快递公司待确认事项 99999 不存在');
    const badAmount = await runDaifa(['cases', 'supplier-refund', '99999', '--amount', '十二', '--reference', 'T1', '--note', 'x'], env);
    expect(badAmount.code).toBe(1);
    expect(badAmount.out).toContain('--amount 应为元');
  });

  it('jobs list and retry; users add', async () => {
    const id = (
      await h.app.db.kysely
        .insertInto('jobs')
        .values({
          kind: 'cli.test',
          payload: '{}',
          status: 'dead',
          run_at: 0,
          attempts: 1,
          max_attempts: 1,
          created_at: 0,
          updated_at: 0,
          last_error: 'boom',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const dead = JSON.parse((await runDaifa(['jobs', 'list', '--status', 'dead', '--json'], env)).out);
    expect(dead.map((j: { id: number }) => j.id)).toContain(id);
    expect((await runDaifa(['jobs', 'retry', String(id)], env)).code).toBe(0);
    const u = await runDaifa(
      ['users', 'add', '--username', 'xiaoli', '--password', 'long-enough-pw', '--role', 'operator', '--token'],
      env,
    );
    expect(u.code).toBe(0);
    expect(u.out).toMatch(/API token: dfa_/);
    expect((await runDaifa(['users', 'add', '--username', 'y', '--password', 'short', '--role', 'operator'], env)).code).toBe(1);
  });

  it('alerts list and settings', async () => {
    const list = JSON.parse((await runDaifa(['alerts', 'list', '--json'], env)).out);
    expect(list.length).toBeGreaterThan(0);
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const file = `${mkdtempSync('/tmp/daifa-rules-')}/rules.json`;
    writeFileSync(file, JSON.stringify({ language: 'en', routes: { needs_review: ['log'] } }));
    const set = await runDaifa(['alerts', 'settings', '--shop', '1', '--set', file], env);
    expect(set.code).toBe(0);
    expect(JSON.parse((await runDaifa(['alerts', 'settings', '--shop', '1'], env)).out)).toMatchObject({
      language: 'en',
      routes: { needs_review: ['log'] },
    });
    writeFileSync(file, JSON.stringify({ language: 'fr' }));
    const bad = await runDaifa(['alerts', 'settings', '--shop', '1', '--set', file], env);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('language');
  });

  it('suppliers add and list', async () => {
    const ok = await runDaifa(
      [
        'suppliers',
        'add',
        '--kind',
        '1688',
        '--name',
        '义乌工厂',
        '--member-id',
        'b2b-12345',
        '--credit',
        'L4',
        '--couriers',
        'ZTO,YTO',
        '--encrypted',
      ],
      env,
    );
    expect(ok.code).toBe(0);
    const bad = await runDaifa(['suppliers', 'add', '--kind', 'direct', '--name', 'x', '--email', 'bad'], env);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('email');
    const list = JSON.parse((await runDaifa(['suppliers', 'list', '--json'], env)).out);
    expect(list).toEqual([
      expect.objectContaining({ name: '义乌工厂', acceptsEncrypted: true, couriers: ['ZTO', 'YTO'], creditLevel: 'L4' }),
    ]);
  });

  it('doctor checks the database, each shop token, push configuration and clock', async () => {
    // A sandbox shop (left from trying `npm start`) exists only in the simulated WeChat Shop: not a failure here.
    await h.app.shops.add({
      name: '沙箱小店',
      appId: 'wxsandbox00000001',
      appSecret: 'sandbox-secret-1',
      pushToken: 'Tok123',
      encodingAesKey: 'D'.repeat(43),
      isSandbox: true,
    });
    const r = await runDaifa(['doctor'], { ...env, PUBLIC_URL: 'https://daifa.example.cn' });
    expect(r.out).toMatch(/• 店铺 #3 沙箱小店: 沙箱店铺/);
    expect(r.out).not.toMatch(/✗ 店铺 #3/);
    expect(r.out).toContain('✓ 数据库');
    expect(r.out).toMatch(/✓ 店铺 #1 .*access token OK/);
    expect(r.out).toMatch(/✗ 店铺 #2 .*token fetch failed/); // the shop added above does not exist on the simulator
    expect(r.out).toContain('✓ 时钟');
    expect(r.code).toBe(1);
  });

  it('doctor --shop ID --deep: read-only calls against the shop, each answer shown as keys and types only, understood by the mapping; nothing written, no secret or buyer data printed', async () => {
    const { enableSourcing } = await import('../helpers/harness.js');
    await enableSourcing(h);
    const sim = h.sandbox.wechat;
    const before = {
      calls: new Map(sim.calls),
      alibaba: new Map(h.sandbox.alibaba.calls),
      orders: await count(h.app, 'shop_orders'),
      jobs: await count(h.app, 'jobs'),
      events: await count(h.app, 'order_events'),
    };
    const r = await runDaifa(['doctor', '--shop', '1', '--deep'], {
      ...env,
      ALIBABA_API_BASE: h.sandbox.url,
      PUBLIC_URL: 'https://daifa.example.cn',
    });
    expect(r.out).toMatch(/✓ access token/);
    expect(r.out).toMatch(/✓ order\/list\/get .*ids exact/);
    expect(r.out).toMatch(/✓ order\/get .*地址已脱敏/);
    expect(r.out).toMatch(/✓ deliverynegotiation\/result\/get .*条协商记录/);
    expect(r.out).toMatch(/✓ deliverycompanylist\/new\/get: \d+ 家快递公司/);
    expect(r.out).toMatch(/✓ alibaba.trade.pay.protocolPay.isopen: 免密支付已开通/);
    expect(r.out).toMatch(/✓ alibaba.trade.getBuyerOrderList/);
    expect(r.out).toMatch(/\/channels\/ec\/order\/get → \{errcode:number, errmsg:string, order:\{order_id:string/);
    expect(r.out).toContain('nothing was written');
    // Only reads were made, and nothing changed in Daifa's database.
    const writes = [
      '/channels/ec/order/delivery/send',
      '/channels/ec/order/dropship/assign',
      '/channels/ec/order/deliverynegotiation/submit',
      '/channels/ec/aftersale/genaftersaleorder',
      '/channels/ec/order/sensitiveinfo/decode',
    ];
    for (const w of writes) expect(sim.calls.get(w) ?? 0).toBe(before.calls.get(w) ?? 0);
    for (const w of ['alibaba.trade.fastCreateOrder', 'alibaba.trade.pay.protocolPay.preparePay', 'alibaba.trade.createRefund'])
      expect(h.sandbox.alibaba.calls.get(w) ?? 0).toBe(before.alibaba.get(w) ?? 0);
    expect([await count(h.app, 'shop_orders'), await count(h.app, 'jobs'), await count(h.app, 'order_events')]).toEqual([
      before.orders,
      before.jobs,
      before.events,
    ]);
    // No secret, token or buyer datum in the output.
    const shop = sim.shops.get(h.creds.appId)!;
    for (const secret of [h.creds.appSecret, shop.token?.value ?? 'no-token']) expect(r.out).not.toContain(secret);
    for (const o of shop.orders.values())
      for (const v of [o.address.userName, o.address.tel, o.address.detail, o.orderId]) expect(r.out).not.toContain(v);
    // Without --shop the deep run is refused with the usage.
    expect((await runDaifa(['doctor', '--deep'], env)).out).toContain('daifa doctor --shop ID --deep');
  });
});
