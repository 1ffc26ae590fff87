import { afterEach, describe, expect, it } from 'vitest';
import { assertDeliverable } from '../../src/purchasing/address.js';
import { SANDBOX_SELLERS } from '../../sandbox/catalogue.js';
import {
  callApi,
  count,
  enableSourcing,
  PLACED,
  PURCHASED,
  scale,
  startHarness,
  tokenFor,
  waitFor,
  type Harness,
} from '../helpers/harness.js';

describe('choosing suppliers and placing 1688 purchase orders', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const settled = async (hh: Harness, n: number) =>
    waitFor(
      async () =>
        (await count(hh.app, 'shop_orders', ['state', 'in', [...PURCHASED, 'NeedsReview', 'AwaitingBuyer']])) === n &&
        (await count(hh.app, 'jobs', ['status', 'in', ['pending', 'running']])) <= 1,
      { timeoutMs: 240_000, what: 'orders settled' },
    );
  const poStates = async (hh: Harness) =>
    Object.fromEntries(
      (
        await hh.app.db.kysely
          .selectFrom('purchase_orders')
          .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('state')
          .execute()
      ).map((r) => [r.state, Number(r.n)]),
    );

  it('confirmed orders become placed purchase orders on 1688, with every choice explained', async () => {
    h = await startHarness();
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 12, requestRate: 0, multiLineRate: 0.5 });
    await settled(h, 12);
    const await0 = await poStates(h);
    const placed = PLACED.reduce((n, st) => n + ((await0[st] as number | undefined) ?? 0), 0);
    expect(placed).toBeGreaterThanOrEqual(12);
    expect(h.sandbox.alibaba.orders.size).toBe(placed);
    const order = await h.app.db.kysely.selectFrom('shop_orders').select('id').where('state', 'in', PURCHASED).executeTakeFirstOrThrow();
    const decisions = await h.app.db.kysely.selectFrom('sourcing_decisions').selectAll().where('shop_order_id', '=', order.id).execute();
    expect(JSON.parse(decisions[0]!.candidates).every((c: { stale: boolean }) => c.stale === false)).toBe(true);
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions[0]!.reason).toMatch(/^选择/);
    expect(JSON.parse(decisions[0]!.candidates)).toHaveLength(3);
    // Exactly what the buyer ordered: every line, spec and quantity reached 1688.
    for (const so of await h.app.db.kysely.selectFrom('shop_orders').select('id').execute()) {
      const lines = await h.app.db.kysely.selectFrom('shop_order_lines').selectAll().where('shop_order_id', '=', so.id).execute();
      const pos = await h.app.db.kysely
        .selectFrom('purchase_orders')
        .select(['supplier_order_id', 'state'])
        .where('shop_order_id', '=', so.id)
        .where('state', 'in', PLACED)
        .execute();
      const sim = pos.flatMap((p) => h!.sandbox.alibaba.orders.get(p.supplier_order_id!)!.lines);
      expect(sim.reduce((s, l) => s + l.quantity, 0)).toBe(lines.reduce((s, l) => s + l.quantity, 0));
    }
    const addresses = [...h.sandbox.alibaba.orders.values()].map((o) => JSON.stringify(o.address));
    expect(addresses.every((a) => !a.includes('*'))).toBe(true);
    // Every decode for a supplier is recorded with who, why and where to.
    const log = await h.app.db.kysely.selectFrom('decode_log').selectAll().execute();
    expect(log.length).toBe(h.sandbox.alibaba.orders.size);
    expect(log[0]!.destination).toMatch(/^1688 /);
  });

  it('per-shop weights change the choice: a shop that cares only about reputation gets the L5 seller', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const { saveWeights } = await import('../../src/sourcing/catalogue-admin.js');
    await saveWeights(h.app.db, h.shop.id, { cost: 0, reliability: 0, speed: 0, reputation: 1 });
    h.sandbox.wechat.generate(h.creds.appId, { count: 3, requestRate: 0, multiLineRate: 0 });
    await settled(h, 3);
    const chosen = await h.app.db.kysely
      .selectFrom('purchase_orders as p')
      .innerJoin('suppliers as s', 's.id', 'p.supplier_id')
      .select('s.member_id')
      .where('p.state', 'in', PLACED)
      .execute();
    expect(chosen.map((c) => c.member_id)).toEqual([SANDBOX_SELLERS[2].memberId, SANDBOX_SELLERS[2].memberId, SANDBOX_SELLERS[2].memberId]);
  });

  it(`20% of fastCreateOrder responses lost after creation → exactly one 1688 order per purchase order, none duplicated`, async () => {
    const N = scale(300);
    h = await startHarness({
      alibaba: { lostResponseRate: 0.2 },
      api: { decodeDailyQuota: 1_000_000 },
      env: { DAIFA_DECODE_DAILY_QUOTA: '1000000' },
      concurrency: 16,
    });
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: N, requestRate: 0, multiLineRate: 0 });
    await settled(h, N);
    const states = await poStates(h);
    expect(Object.keys(states).every((k) => (PLACED as string[]).includes(k))).toBe(true);
    expect(Object.values(states).reduce((a, b) => a + b, 0)).toBe(N);
    expect(h.sandbox.alibaba.orders.size).toBe(N);
    expect(h.sandbox.alibaba.duplicates()).toEqual([]);
    const outIds = new Set([...h.sandbox.alibaba.orders.values()].map((o) => o.outOrderId));
    expect(outIds.size).toBe(N);
    const lookups = h.sandbox.alibaba.calls.get('alibaba.trade.getBuyerOrderList') ?? 0;
    expect(lookups).toBeGreaterThan(0); // lost answers were recovered by looking up outOrderId
    console.log(
      `[lost-responses] ${N} orders, ${h.sandbox.alibaba.calls.get('alibaba.trade.fastCreateOrder')} create calls, ${lookups} lookups → ${h.sandbox.alibaba.orders.size} 1688 orders, 0 duplicates`,
    );
  }, 300_000);

  it('first candidate out of stock → the next one is used; none left → an out-of-stock case', async () => {
    h = await startHarness();
    await enableSourcing(h);
    // Two sellers' real stock is gone (Daifa's catalogue still says plenty): whichever is chosen first fails at
    // preview (500_004) and the next candidate is tried, until the third seller takes it.
    const empty = [SANDBOX_SELLERS[0].memberId, SANDBOX_SELLERS[1].memberId] as string[];
    for (const o of h.sandbox.alibaba.offers.values()) if (empty.includes(o.sellerMemberId)) for (const s of o.skus) s.stock = 0;
    const [a] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await settled(h, 1);
    const pos = await h.app.db.kysely
      .selectFrom('purchase_orders as p')
      .innerJoin('suppliers as s', 's.id', 'p.supplier_id')
      .select(['p.state', 's.member_id'])
      .orderBy('p.id')
      .execute();
    expect(pos.length).toBeGreaterThanOrEqual(2);
    for (const p of pos.slice(0, -1)) expect(p.state).toBe('Cancelled');
    // The catalogue learned that the empty sellers have no stock.
    const learned = await h.app.db.kysely
      .selectFrom('supplier_offers as o')
      .innerJoin('suppliers as s', 's.id', 'o.supplier_id')
      .select(['o.stock'])
      .where('s.member_id', 'in', empty)
      .where('o.stock', '=', 0)
      .execute();
    expect(learned.length).toBeGreaterThan(0);
    expect(PLACED).toContain(pos.at(-1)!.state);
    expect(pos.at(-1)!.member_id).toBe(SANDBOX_SELLERS[2].memberId);
    const unable = await h.app.db.kysely.selectFrom('order_events').select('note').where('event', '=', 'po.supplier_unable').execute();
    expect(unable.every((e) => e.note!.includes('500_004'))).toBe(true);
    expect(PURCHASED).toContain(
      (await h.app.db.kysely.selectFrom('shop_orders').select('state').where('wx_order_id', '=', a!.orderId).executeTakeFirstOrThrow())
        .state,
    );

    for (const o of h.sandbox.alibaba.offers.values()) for (const s of o.skus) s.stock = 0;
    const [b] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await settled(h, 2);
    const order = await h.app.db.kysely
      .selectFrom('shop_orders')
      .select(['id', 'state'])
      .where('wx_order_id', '=', b!.orderId)
      .executeTakeFirstOrThrow();
    expect(order.state).toBe('NeedsReview');
    const cases = await h.app.db.kysely.selectFrom('cases').selectAll().where('shop_order_id', '=', order.id).execute();
    expect(cases.map((c) => c.kind)).toEqual(['OUT_OF_STOCK']);
    expect(JSON.parse(cases[0]!.actions)).toContain('ask_buyer_substitute');
  });

  /**
   * A multi-line order taken in and sourced by hand (so the test knows the seller before anything is placed) with
   * both lines on one 1688 order whose line 2 fails at creation; `narrow` makes the cheap factory take both lines.
   */
  async function partialCreation(hh: Harness, narrow: () => Promise<unknown>) {
    let order;
    for (;;) {
      [order] = hh.sandbox.wechat.generate(hh.creds.appId, { count: 1, requestRate: 0, multiLineRate: 1 });
      if (order!.lines.length >= 2) break;
    }
    await hh.app.intake.sync({ shopId: hh.shop.id, orderId: order!.orderId, source: 'manual' });
    const so = await hh.app.db.kysely
      .selectFrom('shop_orders')
      .select('id')
      .where('wx_order_id', '=', order!.orderId)
      .executeTakeFirstOrThrow();
    await hh.app.confirmation.confirm(so.id);
    await narrow();
    expect(await hh.app.sourcing.source(so.id)).toBe('sourced');
    const [po] = await hh.app.db.kysely.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', so.id).execute();
    const line2 = await hh.app.db.kysely
      .selectFrom('purchase_order_lines')
      .select(['spec_id'])
      .where('purchase_order_id', '=', po!.id)
      .where('shop_order_line_no', '=', 2)
      .executeTakeFirstOrThrow();
    hh.sandbox.alibaba.knobs.failSpecIds = [line2.spec_id];
    const { createWorker } = await import('../../src/app.js');
    hh.worker = createWorker(hh.app, { concurrency: 4 });
    hh.worker.start();
    return { order: order!, so };
  }

  it('partial creation (failedOfferList) is handled line by line: the failed line moves to another supplier', async () => {
    h = await startHarness({ worker: false, push: { enabled: false } });
    await enableSourcing(h);
    const hh = h;
    const { order } = await partialCreation(h, async () => {
      // Make the cheap factory the clear first choice for every line, so both lines share one 1688 order.
      const others = (await hh.app.db.kysely.selectFrom('suppliers').select('id').where('member_id', '!=', 'b2b-2200000001').execute()).map(
        (s) => s.id,
      );
      await hh.app.db.kysely
        .updateTable('supplier_offers')
        .set((eb) => ({ unit_price: eb('unit_price', '*', 2) }))
        .where('supplier_id', 'in', others)
        .execute();
    });
    await waitFor(
      async () =>
        (PURCHASED as string[]).includes(
          (await h!.app.db.kysely.selectFrom('shop_orders').select('state').executeTakeFirst())?.state ?? '',
        ),
      { what: 'purchasing' },
    );
    const split = await h.app.db.kysely.selectFrom('order_events').select('note').where('event', '=', 'po.partially_created').execute();
    expect(split).toHaveLength(1);
    expect(split[0]!.note).toContain('第 2 行未下单成功');
    const placed = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'supplier_id']).where('state', 'in', PLACED).execute();
    expect(placed).toHaveLength(2);
    expect(new Set(placed.map((p) => p.supplier_id)).size).toBe(2);
    // Every buyer unit is on exactly one 1688 order.
    const units = [...h.sandbox.alibaba.orders.values()].flatMap((o) => o.lines).reduce((s, l) => s + l.quantity, 0);
    expect(units).toBe(order.lines.reduce((s, l) => s + l.cnt, 0));
  });

  it('partial creation whose failed line no other supplier offers: the order stops for a person (OUT_OF_STOCK case) instead of moving on without that line', async () => {
    h = await startHarness({ worker: false, push: { enabled: false } });
    await enableSourcing(h);
    const hh = h;
    // Only the cheap factory is left: both lines go to it, and nobody else can take the one it fails.
    const { so } = await partialCreation(h, () =>
      hh.app.db.kysely.updateTable('suppliers').set({ active: 0 }).where('member_id', '!=', 'b2b-2200000001').execute(),
    );
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'OUT_OF_STOCK'])) === 1, { what: 'out-of-stock case' });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'the created lines paid' });
    const state = async () =>
      (await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', so.id).executeTakeFirstOrThrow()).state;
    expect(await state()).toBe('NeedsReview');
    const c = await h.app.db.kysely.selectFrom('cases').select(['data']).where('kind', '=', 'OUT_OF_STOCK').executeTakeFirstOrThrow();
    expect(JSON.parse(c.data!)).toMatchObject({ lineNo: 2 });
    // Payment of the lines that were created does not move the order on past the line nobody ships.
    await new Promise((r) => setTimeout(r, 300));
    expect(await state()).toBe('NeedsReview');
    expect([...h.sandbox.alibaba.orders.values()]).toHaveLength(1);
  });

  it("two fallbacks for the same purchase order at once (an unwind job racing a person's record) place its lines elsewhere once", async () => {
    h = await startHarness();
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'paid' });
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select('id').executeTakeFirstOrThrow();
    const outcomes = await Promise.all([
      h.app.placement.resourceAfterUnwind(po.id, '供应商缺货'),
      h.app.placement.resourceAfterUnwind(po.id, '供应商缺货'),
    ]);
    expect(outcomes.sort()).toEqual(['AlreadyReplaced', 'Replaced']);
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 2, { what: 'the replacement paid' });
    expect(await count(h.app, 'purchase_orders')).toBe(2);
    expect(h.sandbox.alibaba.orders.size).toBe(2);
  });

  it('read-back mismatch → a case opens and the purchase order is blocked from payment; a person who checked it on 1688 confirms it (recorded) and it is paid once', async () => {
    h = await startHarness({ alibaba: { readBackMismatch: true } });
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'cases')) === 1, { what: 'case' });
    expect(await poStates(h)).toEqual({ NeedsAttention: 1 });
    const c = await h.app.db.kysely.selectFrom('cases').selectAll().executeTakeFirstOrThrow();
    expect(c.kind).toBe('READBACK_MISMATCH');
    expect(c.message).toContain('收货人不一致');
    expect(c.message).not.toContain('手机不一致');
    expect((await h.app.db.kysely.selectFrom('shop_orders').select('state').executeTakeFirstOrThrow()).state).toBe('Sourced');
    expect(h.sandbox.alibaba.orders.size).toBe(1);
    expect([...h.sandbox.alibaba.orders.values()][0]!.payments).toEqual([]);

    // A person checked the order on 1688 and found it right: recorded, and it goes on to payment (once).
    const op = await tokenFor(h, 'operator');
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/confirm-readback`, op, { note: '' })).status).toBe(400);
    expect(
      (await callApi(h, 'POST', `/api/cases/${c.id}/confirm-readback`, op, { note: '已在1688核对，收货人是买家家人代收' })).body,
    ).toEqual({ status: 'Placed' });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'paid after the confirmation' });
    expect((await h.app.db.kysely.selectFrom('shop_orders').select('state').executeTakeFirstOrThrow()).state).toBe('Fulfilling');
    const done = await h.app.db.kysely
      .selectFrom('cases')
      .select(['state', 'resolved_by', 'resolution'])
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(done).toMatchObject({
      state: 'Resolved',
      resolved_by: expect.stringMatching(/^user:operator-/),
      resolution: expect.stringContaining('买家家人代收'),
    });
    expect([...h.sandbox.alibaba.orders.values()][0]!.payments).toHaveLength(1);
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/confirm-readback`, op, { note: '再确认一次' })).status).toBe(409);
  });

  it('a seller price rise between preview and create blocks payment with a case', async () => {
    h = await startHarness({ alibaba: { priceRiseFen: 50 } });
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'cases')) === 1, { what: 'case' });
    expect((await h.app.db.kysely.selectFrom('cases').select('kind').executeTakeFirstOrThrow()).kind).toBe('PRICE_CHANGED');
    expect(await poStates(h)).toEqual({ NeedsAttention: 1 });
  });

  it('a masked address can never reach a supplier: masked decode output is refused and nothing is created', async () => {
    expect(() =>
      assertDeliverable({
        fullName: '林**',
        mobile: '18300000000',
        provinceText: '福建省',
        cityText: '福州市',
        areaText: '罗源县',
        address: '某路1号',
      }),
    ).toThrow(/masked fullName/);
    expect(() =>
      assertDeliverable({
        fullName: '林小明',
        mobile: '183****2807',
        provinceText: '福建省',
        cityText: '福州市',
        areaText: '罗源县',
        address: '某路1号',
      }),
    ).toThrow(/masked mobile/);
    expect(() =>
      assertDeliverable({
        fullName: '林小明',
        mobile: '18300000000',
        provinceText: '福建省',
        cityText: '福州市',
        areaText: '罗源县',
        address: '****',
      }),
    ).toThrow(/masked address/);
    h = await startHarness({ api: { decodeMasked: true } });
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'jobs', ['status', '=', 'dead'])) === 2, { what: 'placement refused' });
    expect(h.sandbox.alibaba.orders.size).toBe(0);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.fastCreateOrder') ?? 0).toBe(0);
  });

  it('shadow mode: every decision recorded, what would be ordered kept, zero orders on 1688 and no decode', async () => {
    h = await startHarness();
    await enableSourcing(h, { mode: 'shadow' });
    h.sandbox.wechat.generate(h.creds.appId, { count: 5, requestRate: 0, multiLineRate: 0.5 });
    await waitFor(
      async () =>
        (await count(h!.app, 'jobs', ['status', 'in', ['pending', 'running']])) <= 1 &&
        (await count(h!.app, 'sourcing_decisions')) > 0 &&
        ((await poStates(h!)).Draft ?? 0) === 0 &&
        ((await poStates(h!)).Shadowed ?? 0) > 0,
      { what: 'shadowed' },
    );
    expect(h.sandbox.alibaba.orders.size).toBe(0);
    expect(h.sandbox.alibaba.calls.size).toBe(0);
    expect(await h.app.db.kysely.selectFrom('decode_log').selectAll().execute()).toEqual([]);
    const ev = await h.app.db.kysely.selectFrom('order_events').selectAll().where('event', '=', 'po.shadowed').executeTakeFirstOrThrow();
    expect(ev.note).toMatch(/^影子模式：将向.+下单 ¥\d+\.\d\d$/);
    expect(JSON.parse(ev.data!).lines.length).toBeGreaterThan(0);
  });
});

describe('encrypted 1688 route', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a supplier that accepts encrypted WeChat orders gets the masked receiver inside encryptOutOrderInfo; nothing is decoded', async () => {
    h = await startHarness({ api: { decodeMasked: true } });
    await enableSourcing(h);
    const seller = SANDBOX_SELLERS[1].memberId;
    await h.app.db.kysely.updateTable('suppliers').set({ accepts_encrypted: 1 }).where('member_id', '=', seller).execute();
    await h.app.db.kysely.updateTable('suppliers').set({ active: 0 }).where('member_id', '!=', seller).execute();
    for (const o of h.sandbox.alibaba.offers.values()) if (o.sellerMemberId === seller) o.acceptsEncrypted = true;
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'purchase_orders', ['state', 'in', PLACED])) === 1, { what: 'placed encrypted' });
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    expect(sim.encrypted).toMatchObject({ encryptOrder: true, outPlatformCode: 'weixin', outPlatformOrderNo: order!.orderId });
    expect(String(sim.encrypted!.outPatformExtraInfo)).toContain(`EWB${order!.orderId}`);
    expect(await h.app.db.kysely.selectFrom('decode_log').selectAll().execute()).toEqual([]);
    // The same masked address on the plain route is refused by the client before it leaves.
    await h.app.db.kysely.updateTable('suppliers').set({ accepts_encrypted: 0 }).where('member_id', '=', seller).execute();
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'jobs', ['status', '=', 'dead'])) === 1, { what: 'refused' });
    expect(h.sandbox.alibaba.orders.size).toBe(1);
    // And the client itself refuses a masked address outside the encrypted envelope (defence in depth).
    const client = await h.app.alibaba.client();
    const masked = {
      fullName: '林**',
      mobile: '183****2807',
      provinceText: '福建省',
      cityText: '福州市',
      areaText: '罗源县',
      address: '****',
    };
    await expect(
      client.fastCreateOrder({ address: masked, cargo: [{ offerId: 1, quantity: 1 }], outOrderId: 'X1', flow: 'general' }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.fastCreateOrder')).toBe(1);
  });
});
