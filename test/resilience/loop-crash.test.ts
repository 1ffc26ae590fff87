import { afterEach, describe, expect, it } from 'vitest';
import { count, enableSourcing, scale, startHarness, type Harness } from '../helpers/harness.js';
import { exited, spawnDaifa } from '../helpers/processes.js';

/**
 * Crash run (issue 5): the whole loop — intake, sourcing, placing, paying, tracking, delivery sync — with the
 * `daifa worker` process SIGKILLed every 3–5 s and restarted each time. Every order completes; no duplicate
 * supplier order, payment or WeChat delivery. CI runs 100 orders; bench/scale.sh runs 2,000.
 */
/** What an unfinished run left behind: each purchase order not shipped, its payment, and the 1688 order as the simulator has it. */
async function stuck(h: Harness) {
  const rows = await h.app.db.kysely
    .selectFrom('purchase_orders as p')
    .leftJoin('payments as pay', 'pay.purchase_order_id', 'p.id')
    .select(['p.id', 'p.state', 'p.supplier_order_id', 'pay.status as payment', 'pay.attempts', 'pay.reason'])
    .where('p.state', 'not in', ['Shipped', 'Cancelled', 'Shadowed'])
    .limit(10)
    .execute();
  return rows.map((r) => {
    const o = r.supplier_order_id ? h.sandbox.alibaba.orders.get(r.supplier_order_id) : undefined;
    return { ...r, sim: o && { status: o.status, payments: o.payments.length, total: o.totalAmount } };
  });
}

describe('crash run through the whole loop', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('SIGKILL every few seconds until every order is shipped and synced → zero duplicate supplier orders, payments or deliveries', async () => {
    const N = scale(100);
    h = await startHarness({
      worker: false,
      alibaba: { autoShipAfterMs: 50, splitShipRate: 0.2, payResponseLostRate: 0.1, lostResponseRate: 0.1 },
      api: { decodeDailyQuota: 10_000_000 },
    });
    await enableSourcing(h, { stock: 1_000_000, messages: true });
    const env = {
      ...h.t.env,
      WECHAT_API_BASE: h.sandbox.url,
      ALIBABA_API_BASE: h.sandbox.url,
      DAIFA_POLL_INTERVAL_SECONDS: '3600',
      DAIFA_JOB_LEASE_SECONDS: '3',
      DAIFA_WORKER_CONCURRENCY: '16',
      DAIFA_DECODE_DAILY_QUOTA: '10000000',
    };
    const shipped = () => count(h!.app, 'shop_orders', ['state', '=', 'Shipped']);
    // Done when every order is shipped and every purchase order too: a seller may ship before Daifa learns its
    // payment went through (the answer was lost), so the payment is recorded after the WeChat delivery.
    const open = () => count(h!.app, 'purchase_orders', ['state', 'not in', ['Shipped', 'Cancelled', 'Shadowed']]);
    const done = async () => (await shipped()) >= N && (await open()) === 0;
    h.sandbox.wechat.generate(h.creds.appId, { count: N, requestRate: 0, multiLineRate: 0.3 });
    let kills = 0;
    let worker = spawnDaifa(['worker'], env);
    const started = Date.now();
    try {
      while (!(await done())) {
        if (Date.now() - started > Number(process.env.LOOP_CRASH_TIMEOUT_MS ?? 600_000))
          throw new Error(
            `only ${await shipped()} of ${N} shipped, ${await open()} purchase orders open; stuck: ${JSON.stringify(await stuck(h))} (${worker.output().slice(-800)})`,
          );
        await new Promise((r) => setTimeout(r, 3_000 + Math.random() * 2_000));
        if (await done()) break;
        worker.kill('SIGKILL');
        await exited(worker);
        kills++;
        worker = spawnDaifa(['worker'], env);
      }
    } finally {
      worker.kill('SIGTERM');
      await exited(worker);
    }
    const sim = [...h.sandbox.alibaba.orders.values()];
    const pos = await count(h.app, 'purchase_orders', ['state', 'not in', ['Cancelled', 'Shadowed']]);
    const wx = [...h.sandbox.wechat.shops.get(h.creds.appId)!.orders.values()];
    const skuSends = wx.flatMap((o) => o.packages.flatMap((p) => p.product_infos.map((x) => `${o.orderId}:${x.sku_id}`)));
    const duplicateDeliveries = skuSends.length - new Set(skuSends).size;
    const payments = sim.flatMap((o) => o.payments);
    process.stdout.write(
      `[loop-crash] ${N} orders, ${kills} SIGKILLs: ${await shipped()} shipped and synced; ${pos} purchase orders → ${sim.length} 1688 orders (${h.sandbox.alibaba.duplicates().length} duplicate), ${payments.length} payments (${sim.filter((o) => o.payments.length > 1).length} paid twice), ${wx.reduce((s, o) => s + o.packages.length, 0)} WeChat packages (${duplicateDeliveries} duplicate SKU deliveries)\n`,
    );
    expect(kills).toBeGreaterThan(0);
    expect(await shipped()).toBe(N);
    expect(h.sandbox.alibaba.duplicates()).toEqual([]);
    expect(sim).toHaveLength(pos);
    expect(sim.filter((o) => o.payments.length !== 1)).toEqual([]);
    expect(duplicateDeliveries).toBe(0);
    expect(wx.every((o) => o.status === 30)).toBe(true);
    const ledger = await h.app.db.kysely
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.sum<number>('amount').as('s'))
      .where('kind', '=', 'supplier_paid')
      .executeTakeFirstOrThrow();
    expect(-Number(ledger.s)).toBe(payments.reduce((s, p) => s + p.amount, 0));
  }, 700_000);
});
