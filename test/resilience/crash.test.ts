import { afterEach, describe, expect, it } from 'vitest';
import { count, scale, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { exited, spawnDaifa } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';

/** Acceptance: SIGKILL during ingestion, then restart: no acknowledged event is lost. */
describe('crash during ingestion', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('every push Daifa acknowledged before a SIGKILL is stored and processed after restart', async () => {
    const N = scale(400);
    h = await startHarness({ push: { minCopies: 1, maxCopies: 3, maxReorderMs: 300, timeScale: 0.002, concurrency: 16 }, worker: false });
    const port = await freePort();
    const env = {
      ...h.t.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      WECHAT_API_BASE: h.sandbox.url,
      DAIFA_POLL_INTERVAL_SECONDS: '3600',
      DAIFA_JOB_LEASE_SECONDS: '3',
    };
    const base = `http://127.0.0.1:${port}`;
    const up = () =>
      waitFor(
        async () =>
          await fetch(`${base}/health`)
            .then((r) => r.ok)
            .catch(() => false),
        { timeoutMs: 30_000, what: 'daifa serve up' },
      );
    h.sandbox.wechat.shops.get(h.creds.appId)!.push = {
      ...h.sandbox.wechat.shops.get(h.creds.appId)!.push!,
      url: `${base}${h.shop.webhookPath}`,
    };

    let daifa = spawnDaifa(['serve'], env);
    await up();
    // Orders arrive in a stream; the process is killed in the middle of it.
    const batches = 20;
    let generated = 0;
    const stream = (async () => {
      for (let i = 0; i < batches; i++) {
        h!.sandbox.wechat.generate(h!.creds.appId, { count: N / batches });
        generated += N / batches;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await waitFor(async () => h!.sandbox.wechat.push.stats.acked > N / 4, { what: 'some pushes acknowledged' });
    daifa.kill('SIGKILL');
    await exited(daifa);
    const ackedAtKill = h.sandbox.wechat.push.acks.length;
    const failedDuringOutage = () => h!.sandbox.wechat.push.stats.failedAttempts;
    await new Promise((r) => setTimeout(r, 300));
    daifa = spawnDaifa(['serve'], env);
    try {
      await up();
      await stream;
      expect(failedDuringOutage()).toBeGreaterThan(0);
      await waitFor(async () => h!.sandbox.wechat.push.outstanding === 0, { timeoutMs: 120_000, what: 'push retries finished' });
      await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', 'in', ['Confirmed', 'NeedsReview']])) === N, {
        timeoutMs: 120_000,
        what: 'all orders processed',
      });
    } finally {
      daifa.kill('SIGTERM');
      await exited(daifa);
    }
    expect(generated).toBe(N);
    expect(ackedAtKill).toBeGreaterThan(0);
    expect(ackedAtKill).toBeLessThan(h.sandbox.wechat.push.stats.deliveries);
    const stored = new Set((await h.app.db.kysely.selectFrom('inbound_events').select('external_id').execute()).map((r) => r.external_id));
    const orders = new Set((await h.app.db.kysely.selectFrom('shop_orders').select('wx_order_id').execute()).map((r) => r.wx_order_id));
    const acked = h.sandbox.wechat.push.acks;
    const lost = acked.filter((a) => !stored.has(a.orderId!) || !orders.has(a.orderId!));
    expect(lost).toEqual([]);
    const received = await h.app.db.kysely
      .selectFrom('order_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('to_state', '=', 'Received')
      .executeTakeFirstOrThrow();
    expect(Number(received.n)).toBe(N);
  }, 180_000);
});
