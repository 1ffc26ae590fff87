import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, enableSourcing, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { runDaifa } from '../helpers/processes.js';

/** Acceptance: `daifa orders show` shows the candidates, scores and reason; `daifa stats --json` counts purchase orders. */
describe('daifa CLI after sourcing', () => {
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness();
    await enableSourcing(h);
    env = { ...h.t.env, WECHAT_API_BASE: h.sandbox.url, ALIBABA_API_BASE: h.sandbox.url };
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h.app, 'purchase_orders', ['state', '=', 'Paid'])) === 2, { what: 'placed and paid' });
  });
  afterAll(async () => h.stop());

  it('orders show: every candidate with its component scores, the reason, and the purchase order', async () => {
    const id = (await h.app.db.kysely.selectFrom('shop_orders').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    const r = await runDaifa(['orders', 'show', String(id)], env);
    expect(r.code).toBe(0);
    expect(r.out).toContain('供应商选择 / supplier choice');
    expect(r.out).toMatch(/#1 选择.+：/);
    for (const name of ['义乌优品工厂店', '广州好货批发', '深圳顺丰直发仓']) expect(r.out).toContain(name);
    for (const col of ['到手成本', '毛利', '成本分', '可靠', '速度', '信誉', '总分']) expect(r.out).toContain(col);
    expect(r.out).toContain('采购单 / purchase orders');
    expect(r.out).toMatch(/Paid\s+1688\s+DF\d+N1/);
    const stats = JSON.parse((await runDaifa(['stats', '--json'], env)).out);
    expect(stats.purchaseOrders).toEqual({ total: 2, byState: { Paid: 2 } });
    expect(stats.shopOrders.byState.Fulfilling).toBe(2);
  });
});
