/**
 * bench/ingest — how fast Daifa accepts WeChat pushes (verify signature, decrypt, dedup-store, enqueue the
 * sync job, answer `success`), against a bare endpoint that only inserts the raw body into the same database.
 *
 *   npm run bench:ingest                       # SQLite in a temp dir
 *   DATABASE_URL=postgres://… npm run bench:ingest
 *   BENCH_SECONDS=5 BENCH_CONCURRENCY=32 BENCH_RATE=1000
 *
 * Prints pushes/s, acknowledgement latency p50/p99 at full load and at a fixed 1,000 pushes/s, and the ratio.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { aesKeyFromEncodingAesKey, encryptMessage, msgSignature } from '../src/channels/wechat-shop/crypto.js';
import { createTestDb } from '../test/helpers/db.js';
import { randomAlnum } from '../src/lib/random.js';
import { SecretBox } from '../src/security/secrets.js';
import { ShopService } from '../src/shops/shops.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const MASTER = Buffer.alloc(32, 9).toString('base64');

interface Req {
  path: string;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function send(port: number, r: Req): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: r.path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          if (res.statusCode !== 200 || text !== 'success') reject(new Error(`HTTP ${res.statusCode} ${text}`));
          else resolve(Number(process.hrtime.bigint() - start) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** Closed loop: CONCURRENCY requests in flight for SECONDS. */
async function saturate(port: number, next: () => Req): Promise<{ rps: number; p50: number; p99: number; n: number }> {
  const lat: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) lat.push(await send(port, next()));
    }),
  );
  const secs = (Date.now() - t0) / 1000;
  return { rps: lat.length / secs, p50: pct(lat, 50), p99: pct(lat, 99), n: lat.length };
}

/** Open loop: a fixed arrival rate, latency measured from each request's own start. */
async function fixedRate(port: number, next: () => Req, rate: number): Promise<{ p50: number; p99: number; n: number; achieved: number }> {
  const lat: number[] = [];
  const total = rate * SECONDS;
  const t0 = Date.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(send(port, next()).then((ms) => void lat.push(ms)));
  }
  await Promise.all(inflight);
  return { p50: pct(lat, 50), p99: pct(lat, 99), n: lat.length, achieved: lat.length / ((Date.now() - t0) / 1000) };
}

async function main() {
  // A scratch database (fresh SQLite file, or a fresh PostgreSQL schema when DATABASE_URL is set).
  const db = await createTestDb();
  const d = db.db;
  const shops = new ShopService(d, SecretBox.fromKey(Buffer.from(MASTER, 'base64')), () => Date.now());
  const shop = await shops.add({
    name: 'bench',
    appId: `wx${randomAlnum(16).toLowerCase()}`,
    appSecret: randomAlnum(32),
    pushToken: randomAlnum(16),
    encodingAesKey: randomAlnum(43),
  });
  const creds = await shops.credentialsById(shop.id);

  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []),
      '--import',
      'tsx',
      join(import.meta.dirname, 'ingest-server.ts'),
    ],
    { env: { ...process.env, ...db.env, DAIFA_MASTER_KEY: MASTER }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [daifaPort, barePort] = await new Promise<number[]>((resolve) => {
    let buf = '';
    child.stdout!.on('data', (x) => {
      buf += x;
      const m = /ready (\d+) (\d+)/.exec(buf);
      if (m) resolve([Number(m[1]), Number(m[2])]);
    });
  });

  // Pre-build signed, encrypted pushes for distinct orders so crypto on the client side stays out of the numbers.
  const key = aesKeyFromEncodingAesKey(creds.encodingAesKey);
  const pool: Req[] = [];
  const POOL = 4096;
  let serial = 0;
  const ts = String(Math.floor(Date.now() / 1000));
  for (let i = 0; i < POOL; i++) pool.push({ path: '', body: '' });
  const next = (): Req => {
    serial++;
    const orderId = `37${String(Date.now()).slice(-8)}${String(serial).padStart(9, '0')}`;
    const msg = `{"ToUserName":"gh_bench","FromUserName":"obench","CreateTime":${ts},"MsgType":"event","Event":"channels_ec_order_pay","order_info":{"order_id":${orderId},"pay_time":${ts}}}`;
    const encrypt = encryptMessage(key, msg, creds.appId);
    const nonce = String(serial);
    return {
      path: `${shop.webhookPath}?timestamp=${ts}&nonce=${nonce}&msg_signature=${msgSignature(creds.pushToken, ts, nonce, encrypt)}&encrypt_type=aes`,
      body: JSON.stringify({ ToUserName: 'gh_bench', Encrypt: encrypt }),
    };
  };
  // Pre-generate enough for the runs (the generator is cheap but not free).
  const budget = Math.ceil(SECONDS * 12_000) + RATE * SECONDS + 2000;
  const prepared = Array.from({ length: budget }, next);
  let cursor = 0;
  const take = () => prepared[cursor++ % prepared.length]!;
  const bareReq = (): Req => ({ path: '/bare', body: prepared[cursor++ % prepared.length]!.body });

  // Warm-up both endpoints.
  for (let i = 0; i < 200; i++) await send(daifaPort!, take());
  for (let i = 0; i < 200; i++) await send(barePort!, bareReq());

  const bare = await saturate(barePort!, bareReq);
  const daifa = await saturate(daifaPort!, take);
  const steady = await fixedRate(daifaPort!, take, RATE);

  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  await db.cleanup();

  const dialect = db.url.startsWith('sqlite') ? 'SQLite' : 'PostgreSQL';
  const f = (x: number) => x.toFixed(1);
  console.log(
    `bench/ingest — ${dialect}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${SECONDS}s per run, concurrency ${CONCURRENCY}`,
  );
  console.log(`  bare insert endpoint : ${Math.round(bare.rps)} req/s   p50 ${f(bare.p50)} ms  p99 ${f(bare.p99)} ms  (n=${bare.n})`);
  console.log(
    `  Daifa push receiver  : ${Math.round(daifa.rps)} pushes/s p50 ${f(daifa.p50)} ms  p99 ${f(daifa.p99)} ms  (n=${daifa.n}; verified, decrypted, stored, job enqueued)`,
  );
  console.log(`  ratio Daifa / bare   : ${(daifa.rps / bare.rps).toFixed(2)}   (target ≥ 0.5)`);
  console.log(
    `  at ${RATE} pushes/s   : p50 ${f(steady.p50)} ms  p99 ${f(steady.p99)} ms  (achieved ${Math.round(steady.achieved)}/s, n=${steady.n}; target p99 < 50 ms)`,
  );
  agent.destroy();
}

await main();
