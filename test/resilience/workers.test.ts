import { syncJob } from '../../src/jobs/catalogue.js';
import { liveProcesses } from '../../src/runtime/process-registry.js';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/queue.js';
import { count, scale, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { exited, spawnDaifa } from '../helpers/processes.js';
import { testDialect } from '../helpers/db.js';

/**
 * Acceptance: two worker processes share the jobs and no job runs twice at once. On PostgreSQL the claim
 * uses FOR UPDATE SKIP LOCKED; on SQLite the single writer serialises claims (run here too, as a bonus).
 */
describe(`two daifa worker processes (${testDialect})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('share the jobs; every job runs to completion exactly once at a time', async () => {
    // SQLite has one writer, so two processes mostly take turns: a smaller size proves the same property.
    const N = scale(testDialect === 'sqlite' ? 150 : 400);
    h = await startHarness({ push: { enabled: false }, worker: false });
    const orders = h.sandbox.wechat.generate(h.creds.appId, { count: N });
    await h.app.db.kysely.transaction().execute(async (trx) => {
      for (const o of orders) await enqueue(trx, syncJob({ shopId: h!.shop.id, orderId: o.orderId, source: 'manual' }), Date.now());
    });
    const env = { ...h.t.env, WECHAT_API_BASE: h.sandbox.url, DAIFA_WORKER_CONCURRENCY: '4', DAIFA_POLL_INTERVAL_SECONDS: '3600' };
    const workers = [spawnDaifa(['worker'], env), spawnDaifa(['worker'], env)];
    try {
      // Scheduled future work (the next poll, the daily 1688 token watch) stays pending: count only due jobs.
      const due = async () =>
        Number(
          (
            await h!.app.db.kysely
              .selectFrom('jobs')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where((eb) => eb.or([eb('status', '=', 'running'), eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', Date.now())])]))
              .executeTakeFirstOrThrow()
          ).n,
        );
      await waitFor(
        async () => (await count(h!.app, 'shop_orders', ['state', 'in', ['Confirmed', 'NeedsReview']])) === N && (await due()) === 0,
        { timeoutMs: 180_000, what: 'workers to finish' },
      );
      // Both announced themselves, so each paces the API limits at half of them.
      expect((await liveProcesses(h.app.db, Date.now())).map((p) => [p.role, p.pid]).sort()).toEqual(
        workers.map((w) => ['worker', w.pid]).sort(),
      );
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map(exited));
    }
    expect(await liveProcesses(h.app.db, Date.now())).toEqual([]); // a clean stop removes its row
    const runs = await h.app.db.kysely.selectFrom('job_runs').selectAll().orderBy('job_id').orderBy('started_at').execute();
    const byWorker = new Map<string, number>();
    for (const r of runs) byWorker.set(r.worker, (byWorker.get(r.worker) ?? 0) + 1);
    expect(byWorker.size).toBe(2);
    for (const n of byWorker.values()) expect(n).toBeGreaterThan(N / 10);
    // No two runs of one job overlap in time.
    let overlaps = 0;
    for (let i = 1; i < runs.length; i++) {
      const a = runs[i - 1]!;
      const b = runs[i]!;
      if (a.job_id === b.job_id && (a.finished_at === null || b.started_at < a.finished_at)) overlaps++;
    }
    expect(overlaps).toBe(0);
    expect(await count(h.app, 'shop_orders')).toBe(N);
    const received = await h.app.db.kysely
      .selectFrom('order_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('to_state', '=', 'Received')
      .executeTakeFirstOrThrow();
    expect(Number(received.n)).toBe(N);
    expect(await count(h.app, 'jobs', ['status', '=', 'dead'])).toBe(0);
  }, 300_000);
});
