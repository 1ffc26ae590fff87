/**
 * bench/pipeline — sandbox orders through the whole loop: push → intake → confirm → source → place on 1688 →
 * pay → seller ships → tracking → delivery synced to WeChat. The simulators run in a separate process; Daifa
 * (HTTP receivers + workers) runs in this one, so its CPU is measured alone.
 *
 *   npm run bench:pipeline                                 # 10,000 orders, SQLite, zero latency
 *   BENCH_ORDERS=2000 BENCH_LATENCY_MS=50 BENCH_RATE=20 npm run bench:pipeline
 *   DATABASE_URL=postgres://… npm run bench:pipeline
 *   BENCH_WECHAT_RPM=600 BENCH_1688_QPS=10 npm run bench:pipeline   # simulators enforce these limits
 *   DAIFA_SQL_PROFILE=1 npm run bench:pipeline                       # also: SQL statements by time in SQLite, and
 *                                                                    # the queries Kysely builds per call (not prepared())
 *   BENCH_WORKER_PROCESSES=1 npm run bench:pipeline                  # plus one `daifa worker` process
 *   BENCH_CPU_PROF=/tmp/prof node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/pipeline.ts  # V8 profiles
 *
 * Prints orders/s, Daifa CPU ms per order (user/system, and by thread: the main thread is what caps one process), external calls per order by endpoint, and the time from the WeChat
 * payment to (a) the supplier order paid and (b) the delivery synced, p50/p99, each as a ratio to the critical
 * path (the sequential external calls × latency).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createApp, createWorker } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { buildHttp } from '../src/http/server.js';
import { saveLimits } from '../src/payments/limits.js';
import { SANDBOX_1688_APP } from '../src/runtime/sandbox-bootstrap.js';
import { seedDaifaCatalogue } from '../sandbox/catalogue.js';
import { randomAlnum } from '../src/lib/random.js';
import { createTestDb } from '../test/helpers/db.js';
import { sqlProfileTop } from '../src/db/dialect.js';
import pino from 'pino';
import { DefaultQueryCompiler } from 'kysely';
import type { ShopOrderState } from '../src/domain/shop-order.lifecycle.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 10_000);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 0);
/** Orders per second fed in (0 = all at once, for throughput). With latency, a steady rate shows latency, not queueing. */
const RATE = Number(process.env.BENCH_RATE ?? (LATENCY > 0 ? 20 : 0));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
/** Extra `daifa worker` processes sharing the queue with this one (the scale-out path; CPU of all of them counted). */
const WORKER_PROCESSES = Number(process.env.BENCH_WORKER_PROCESSES ?? 0);
/** Rate limits the simulators enforce (per app); Daifa is configured with the same numbers and must adapt. */
const WECHAT_RPM = process.env.BENCH_WECHAT_RPM ? Number(process.env.BENCH_WECHAT_RPM) : undefined;
const ALIBABA_QPS = process.env.BENCH_1688_QPS ? Number(process.env.BENCH_1688_QPS) : undefined;

/** The minimum sequential external calls (reference flows): what the loop cannot do without. */
const TO_PAID = [
  'wechat order/get',
  'wechat decode',
  '1688 preview',
  '1688 fastCreateOrder',
  '1688 buyerView (read-back)',
  '1688 preparePay',
  '1688 buyerView (after pay)',
];
// A parcel's lines are mapped with the sub-order ids of the read-back: no order read between the two logistics calls.
const TO_SYNCED = [
  ...TO_PAID,
  '1688 getLogisticsInfos',
  '1688 getLogisticsTraceInfo',
  'wechat order/get (before send)',
  'wechat delivery/send',
];

/** BENCH_CPU_PROF=dir: the simulators' process writes a V8 CPU profile there (run this one with `node --cpu-prof` too). */
const profileArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
const freePort = () =>
  new Promise<number>((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
/** CPU time (user + system) of another process, from /proc (Linux); NaN elsewhere. */
const childCpuMs = (pid: number | undefined): number => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
};
/** CPU time per thread name of this process, from /proc (Linux; empty elsewhere): where the process's CPU goes. */
const threadCpuMs = (): Map<string, number> => {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = tid === String(process.pid) ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}#${tid}`;
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    }
  } catch {
    /* not Linux */
  }
  return out;
};
/** DAIFA_SQL_PROFILE=1: queries Kysely builds and compiles per call (not `prepared()` once), by SQL text. */
const builtPerCall = new Map<string, number>();
if (process.env.DAIFA_SQL_PROFILE === '1') {
  const compile = DefaultQueryCompiler.prototype.compileQuery;
  DefaultQueryCompiler.prototype.compileQuery = function (this: DefaultQueryCompiler, ...a: Parameters<typeof compile>) {
    const q = compile.apply(this, a);
    builtPerCall.set(q.sql, (builtPerCall.get(q.sql) ?? 0) + 1);
    return q;
  };
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function main(): Promise<void> {
  const t = await createTestDb();
  const port = await freePort();
  const daifaUrl = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [...profileArgs, '--max-semi-space-size=64', '--import', 'tsx', join(import.meta.dirname, 'pipeline-sandbox.ts')],
    { env: { ...process.env, BENCH_LATENCY_MS: String(LATENCY), BENCH_DAIFA_URL: daifaUrl }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = await new Promise<{ url: string; token: { accessToken: string; refreshToken: string; memberId: string } }>((resolve) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(JSON.parse(buf.slice(0, i)));
    });
  });
  const daifaEnv = {
    ...t.env,
    DAIFA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    DAIFA_SANDBOX: '0',
    LOG_LEVEL: 'silent',
    DAIFA_DECODE_DAILY_QUOTA: '100000000',
    DAIFA_POLL_INTERVAL_SECONDS: '3600',
    WECHAT_API_BASE: ready.url,
    ALIBABA_API_BASE: ready.url,
    DAIFA_WORKER_CONCURRENCY: String(CONCURRENCY),
    // Without an enforced limit Daifa's own pacing is lifted too (its defaults, 50 1688 calls/s and 6,000 WeChat
    // calls/min, would otherwise be what the run measures).
    DAIFA_WECHAT_CALLS_PER_MINUTE: String(WECHAT_RPM ?? 10_000_000),
    DAIFA_1688_CALLS_PER_SECOND: String(ALIBABA_QPS ?? 1_000_000),
  };
  const config = loadConfig({ ...daifaEnv, PORT: String(port) });
  const app = await createApp(config, {
    wechatApiBase: ready.url,
    alibabaApiBase: ready.url,
    log: pino({ level: 'silent' }),
    migrate: false,
    decodeDailyQuota: 100_000_000,
  });
  const http = await buildHttp(app);
  await http.listen({ port, host: '127.0.0.1' });
  const shop = await app.shops.add({
    name: 'bench',
    appId: `wx${randomAlnum(16).toLowerCase()}`,
    appSecret: randomAlnum(32),
    pushToken: randomAlnum(16),
    encodingAesKey: randomAlnum(43),
  });
  const creds = await app.shops.credentialsById(shop.id);
  await fetch(`${ready.url}/sandbox/wechat/shops`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      appId: creds.appId,
      secret: creds.appSecret,
      pushUrl: `${daifaUrl}${shop.webhookPath}`,
      pushToken: creds.pushToken,
      encodingAesKey: creds.encodingAesKey,
    }),
  });
  await app.alibaba.add({
    appKey: SANDBOX_1688_APP.appKey,
    appSecret: SANDBOX_1688_APP.appSecret,
    accessToken: ready.token.accessToken,
    refreshToken: ready.token.refreshToken,
    accessExpiresAt: Date.now() + 36_000_000,
    memberId: ready.token.memberId,
  });
  await seedDaifaCatalogue(app.db, shop.id, Date.now());
  await saveLimits(app.db, shop.id, {
    maxPerOrder: 100_000_000,
    maxPerDay: 100_000_000_000,
    minMargin: -100_000_000,
    approvalAbove: 100_000_000,
  });
  const worker = createWorker(app, { concurrency: CONCURRENCY }); // as in production: every run recorded in job_runs
  worker.start();
  const workerProcs = Array.from({ length: WORKER_PROCESSES }, () =>
    spawn(process.execPath, ['--max-semi-space-size=64', join(import.meta.dirname, '../bin/daifa.js'), 'worker'], {
      env: { ...process.env, ...daifaEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const daifaCpuMs = () => workerProcs.reduce((sum, p) => sum + childCpuMs(p.pid), 0);
  if (WORKER_PROCESSES) await new Promise((r) => setTimeout(r, 4000)); // let them start before the clock does

  const generatedAt = new Map<string, number>();
  const group0 = { ...(app.db.groupCommit ?? { commits: 0, members: 0 }) };
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpuMs();
  const simCpu0 = childCpuMs(child.pid);
  const workersCpu0 = daifaCpuMs();
  const t0 = Date.now();
  const batch = RATE > 0 ? Math.max(1, Math.round(RATE / 10)) : 500;
  for (let made = 0; made < ORDERS;) {
    const n = Math.min(batch, ORDERS - made);
    const r = (await (
      await fetch(`${ready.url}/sandbox/wechat/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appId: creds.appId, count: n, requestRate: 0, multiLineRate: 0.25 }),
      })
    ).json()) as { orderIds: string[] };
    const now = Date.now();
    for (const id of r.orderIds) generatedAt.set(id, now);
    made += n;
    if (RATE > 0) await new Promise((res) => setTimeout(res, (n / RATE) * 1000));
  }
  const countState = async (state: ShopOrderState) =>
    Number(
      (
        await app.db.kysely
          .selectFrom('shop_orders')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('state', '=', state)
          .executeTakeFirstOrThrow()
      ).n,
    );
  let last = 0;
  for (;;) {
    const shipped = await countState('Shipped');
    if (shipped >= ORDERS) break;
    if (Date.now() - last > 10_000) {
      last = Date.now();
      process.stderr.write(`  … ${shipped}/${ORDERS} shipped after ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const wall = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const threads = threadCpuMs();
  const simCpuMs = childCpuMs(child.pid) - simCpu0;
  const daifaMs = (cpu.user + cpu.system) / 1000 + (daifaCpuMs() - workersCpu0);
  await worker.stop();
  for (const p of workerProcs) p.kill('SIGTERM');

  // Per-order latencies: WeChat payment (generation) → supplier paid, → delivery synced.
  const rows = await app.db.kysely
    .selectFrom('shop_orders as o')
    .innerJoin('purchase_orders as p', 'p.shop_order_id', 'o.id')
    .innerJoin('payments as pay', 'pay.purchase_order_id', 'p.id')
    .select(['o.id', 'o.wx_order_id', (eb) => eb.fn.max<number>('pay.paid_at').as('paid')])
    .groupBy(['o.id', 'o.wx_order_id'])
    .execute();
  const synced = new Map(
    (
      await app.db.kysely
        .selectFrom('wx_deliveries')
        .select(['shop_order_id', (eb) => eb.fn.max<number>('updated_at').as('at')])
        .where('status', '=', 'Sent')
        .groupBy('shop_order_id')
        .execute()
    ).map((r) => [r.shop_order_id, Number(r.at)]),
  );
  const toPaid: number[] = [];
  const toSynced: number[] = [];
  for (const r of rows) {
    const g = generatedAt.get(r.wx_order_id);
    if (!g) continue;
    toPaid.push(Number(r.paid) - g);
    const s = synced.get(r.id);
    if (s) toSynced.push(s - g);
  }
  const wechatStats = (await (await fetch(`${ready.url}/sandbox/wechat/stats`)).json()) as {
    calls: Record<string, number>;
    throttled: number;
  };
  const wechatCalls = wechatStats.calls;
  const { throttled: alibabaThrottled, ...alibabaCalls } = (await (await fetch(`${ready.url}/sandbox/1688/calls`)).json()) as Record<
    string,
    number
  >;
  const dead = Number(
    (
      await app.db.kysely
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'dead')
        .executeTakeFirstOrThrow()
    ).n,
  );
  const dbKind = config.databaseUrl.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';
  console.log(
    `\nbench/pipeline — ${ORDERS} orders, ${dbKind}, latency ${LATENCY} ms per external call, ${RATE ? `${RATE} orders/s fed` : 'all at once'}, ${CONCURRENCY} workers${WORKER_PROCESSES ? ` × ${1 + WORKER_PROCESSES} processes` : ''}, ${cpus().length} CPUs (${cpus()[0]?.model ?? ''}), Node ${process.version}`,
  );
  console.log(`  throughput:        ${(ORDERS / wall).toFixed(1)} orders/s end to end (${wall.toFixed(1)} s)`);
  console.log(
    `  Daifa CPU:         ${(daifaMs / ORDERS).toFixed(2)} ms per order${WORKER_PROCESSES ? ` (this process and ${WORKER_PROCESSES} worker process${WORKER_PROCESSES > 1 ? 'es' : ''})` : ''} (the simulators, in their own process: ${Number.isNaN(simCpuMs) ? 'n/a' : (simCpuMs / ORDERS).toFixed(2)} ms per order)`,
  );
  console.log(
    `                     user ${(cpu.user / 1000 / ORDERS).toFixed(2)} + system ${(cpu.system / 1000 / ORDERS).toFixed(2)} ms per order in this process; by thread: ${[
      ...threads,
    ]
      .map(([name, ms]) => [name, (ms - (threads0.get(name) ?? 0)) / ORDERS] as const)
      .filter(([, ms]) => ms >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
      .join(', ')}`,
  );
  if (app.db.groupCommit) {
    const commits = app.db.groupCommit.commits - group0.commits;
    console.log(
      `  SQLite group commit: ${(commits / ORDERS).toFixed(2)} COMMITs per order, answering ${((app.db.groupCommit.members - group0.members) / Math.max(1, commits)).toFixed(1)} callers each`,
    );
  }
  const jobKinds = await app.db.kysely
    .selectFrom('jobs')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('kind')
    .orderBy('n', 'desc')
    .execute();
  console.log(`  jobs per order: ${jobKinds.map((j) => `${j.kind} ${(Number(j.n) / ORDERS).toFixed(2)}`).join(', ')}`);
  console.log('  external calls per order:');
  for (const [k, v] of [
    ...Object.entries(wechatCalls).map(([k, v]) => [`wechat ${k}`, v] as const),
    ...Object.entries(alibabaCalls).map(([k, v]) => [`1688 ${k}`, v] as const),
  ].sort((a, b) => b[1] - a[1]))
    console.log(`    ${(v / ORDERS).toFixed(2).padStart(6)}  ${k}`);
  const crit1 = TO_PAID.length * LATENCY;
  const crit2 = TO_SYNCED.length * LATENCY;
  const line = (name: string, xs: number[], crit: number, n: number) =>
    console.log(
      `  ${name}: p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms${crit ? `; critical path ${n} calls × ${LATENCY} ms = ${crit} ms → p50 ${(pct(xs, 50) / crit).toFixed(2)}×, p99 ${(pct(xs, 99) / crit).toFixed(2)}×` : ''}`,
    );
  if (WECHAT_RPM || ALIBABA_QPS) {
    const wxTotal = Object.values(wechatCalls).reduce((a, b) => a + b, 0);
    const aliTotal = Object.values(alibabaCalls).reduce((a, b) => a + b, 0);
    console.log('  rate limits (enforced by the simulators; Daifa paces per credential and adapts):');
    if (WECHAT_RPM)
      console.log(
        `    WeChat: ${((wxTotal - wechatStats.throttled) / (wall / 60)).toFixed(0)} calls/min achieved of ${WECHAT_RPM} allowed = ${(((wxTotal - wechatStats.throttled) / (wall / 60) / WECHAT_RPM) * 100).toFixed(0)}%; 45011 answers: ${wechatStats.throttled}`,
      );
    if (ALIBABA_QPS)
      console.log(
        `    1688:   ${((aliTotal - alibabaThrottled!) / wall).toFixed(1)} calls/s achieved of ${ALIBABA_QPS} allowed = ${(((aliTotal - alibabaThrottled!) / wall / ALIBABA_QPS) * 100).toFixed(0)}%; gw.QosAppFrequencyLimit answers: ${alibabaThrottled}`,
      );
    console.log(
      `    orders failed by throttling: ${ORDERS - (await countState('Shipped')) - (await countState('Completed'))} (dead jobs: ${dead})`,
    );
  }
  line('payment → supplier paid  ', toPaid, crit1, TO_PAID.length);
  line('payment → delivery synced', toSynced, crit2, TO_SYNCED.length);
  if (process.env.DAIFA_SQL_PROFILE === '1') {
    const top = sqlProfileTop(Number(process.env.BENCH_SQL_TOP ?? 30));
    console.log(`  SQL (top statements by native time; ${dbKind} only):`);
    for (const r of top)
      console.log(`    ${r.ms.toFixed(0).padStart(6)} ms ${(r.count / ORDERS).toFixed(2).padStart(6)}/order  ${r.sql.slice(0, 160)}`);
    const built = [...builtPerCall].sort((a, b) => b[1] - a[1]);
    console.log(
      `  Built and compiled by Kysely per call: ${(built.reduce((n, [, c]) => n + c, 0) / ORDERS).toFixed(1)} per order; the most frequent:`,
    );
    for (const [text, n] of built.slice(0, Number(process.env.BENCH_SQL_TOP ?? 30)))
      console.log(`    ${(n / ORDERS).toFixed(2).padStart(6)}/order  ${text.slice(0, 160)}`);
  }
  await http.close();
  child.kill('SIGTERM');
  await app.close();
  await t.cleanup();
  process.exit(0);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
