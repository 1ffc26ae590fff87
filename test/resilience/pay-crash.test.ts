import { afterEach, describe, expect, it } from 'vitest';
import { count, enableSourcing, scale, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { exited, spawnDaifa } from '../helpers/processes.js';

/**
 * Acceptance (issue 4): orders with injected pay timeouts (lost preparePay answers after the money was taken)
 * and a SIGKILL of the paying process in the middle → every purchase order paid exactly once, and the
 * simulator's money and Daifa's ledger agree to the fen. CI runs 200 orders; bench/scale.sh runs 1,000.
 */
describe('crash while paying', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('SIGKILL of the worker in the middle of paying, pay answers lost → each purchase order paid exactly once; ledger equals the money taken', async () => {
    const N = scale(200);
    // The harness receives pushes and stores them; a separate `daifa worker` process sources, places and pays.
    h = await startHarness({ worker: false, alibaba: { payResponseLostRate: 0.2, latencyMs: 3 }, api: { decodeDailyQuota: 10_000_000 } });
    await enableSourcing(h, { stock: 1_000_000 });
    const env = {
      ...h.t.env,
      WECHAT_API_BASE: h.sandbox.url,
      ALIBABA_API_BASE: h.sandbox.url,
      DAIFA_POLL_INTERVAL_SECONDS: '3600',
      DAIFA_JOB_LEASE_SECONDS: '3',
      DAIFA_WORKER_CONCURRENCY: '16',
      DAIFA_DECODE_DAILY_QUOTA: '10000000',
    };
    const paid = () => count(h!.app, 'payments', ['status', '=', 'Paid']);
    let worker = spawnDaifa(['worker'], env);
    h.sandbox.wechat.generate(h.creds.appId, { count: N, requestRate: 0, multiLineRate: 0.3 });
    await waitFor(async () => (await paid()) >= N / 4, { timeoutMs: 240_000, what: 'a quarter paid' });
    worker.kill('SIGKILL');
    await exited(worker);
    const paidAtKill = await paid();
    const payingAtKill = await count(h.app, 'payments', ['status', '=', 'Paying']);
    worker = spawnDaifa(['worker'], env);
    let pos = 0;
    try {
      await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === N, {
        timeoutMs: Number(process.env.PAY_CRASH_TIMEOUT_MS ?? 600_000),
        intervalMs: 500,
        what: `all ${N} orders paid`,
      }).catch(async (err) => {
        const k = h!.app.db.kysely;
        const by = async (t: 'shop_orders' | 'payments' | 'purchase_orders', col: string) =>
          JSON.stringify(
            await k
              .selectFrom(t as 'payments')
              .select([col as 'status', (eb) => eb.fn.countAll<number>().as('n')])
              .groupBy(col as 'status')
              .execute(),
          );
        const jobs = JSON.stringify(
          await k
            .selectFrom('jobs')
            .select(['kind', 'status', (eb) => eb.fn.countAll<number>().as('n')])
            .groupBy(['kind', 'status'])
            .execute(),
        );
        const dead = JSON.stringify(
          await k.selectFrom('jobs').select(['kind', 'last_error']).where('status', '=', 'dead').limit(3).execute(),
        );
        throw new Error(
          `${(err as Error).message}: orders ${await by('shop_orders', 'state')} POs ${await by('purchase_orders', 'state')} payments ${await by('payments', 'status')} jobs ${jobs} dead ${dead} worker: ${worker.output().slice(-1500)}`,
        );
      });
      pos = await count(h.app, 'purchase_orders');
    } finally {
      worker.kill('SIGTERM');
      await exited(worker);
    }
    const sim = [...h.sandbox.alibaba.orders.values()];
    const taken = sim.flatMap((o) => o.payments);
    const ledger = await h.app.db.kysely
      .selectFrom('ledger_entries')
      .select((eb) => [eb.fn.sum<number>('amount').as('s'), eb.fn.countAll<number>().as('n')])
      .where('kind', '=', 'supplier_paid')
      .executeTakeFirstOrThrow();
    process.stdout.write(
      `[pay-crash] ${N} orders, ${pos} purchase orders; killed with ${paidAtKill} paid and ${payingAtKill} paying; ${sim.length} 1688 orders, ${taken.length} payments taken, ${h.sandbox.alibaba.duplicates().length} duplicate orders; ledger ¥${(-Number(ledger.s) / 100).toFixed(2)} = simulator ¥${(taken.reduce((s, p) => s + p.amount, 0) / 100).toFixed(2)}; preparePay calls ${h.sandbox.alibaba.calls.get('alibaba.trade.pay.protocolPay.preparePay')}\n`,
    );
    expect(paidAtKill).toBeLessThan(pos);
    expect(sim).toHaveLength(pos);
    expect(h.sandbox.alibaba.duplicates()).toEqual([]);
    expect(sim.filter((o) => o.payments.length !== 1).map((o) => o.orderId)).toEqual([]);
    expect(Number(ledger.n)).toBe(pos);
    expect(-Number(ledger.s)).toBe(taken.reduce((s, p) => s + p.amount, 0));
    expect(await count(h.app, 'payments', ['status', '=', 'Paid'])).toBe(pos);
  }, 700_000);
});
