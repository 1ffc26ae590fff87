import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createApp, createWorker, type App, type AppOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { buildHttp } from '../../src/http/server.js';
import type { Worker } from '../../src/jobs/worker.js';
import { randomAlnum } from '../../src/lib/random.js';
import type { Database } from '../../src/db/schema.js';
import type { ShopCredentials, ShopPublic } from '../../src/shops/shops.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import type { PushKnobs } from '../../sandbox/wechat-shop/push-engine.js';
import type { ApiKnobs } from '../../sandbox/wechat-shop/simulator.js';
import type { Knobs1688 } from '../../sandbox/alibaba-1688/simulator.js';
import { seedDaifaCatalogue, seedSimulatorOffers } from '../../sandbox/catalogue.js';
import { PRODUCTS } from '../../sandbox/data.js';
import { createUser, issueToken } from '../../src/security/accounts.js';
import { SANDBOX_1688_APP } from '../../src/runtime/sandbox-bootstrap.js';
import { saveLimits } from '../../src/payments/limits.js';
import { createTestDb, type TestDb } from './db.js';
import type { PurchaseOrderState } from '../../src/domain/purchase-order.lifecycle.js';
import type { ShopOrderState } from '../../src/domain/shop-order.lifecycle.js';

export const TEST_MASTER_KEY = Buffer.alloc(32, 42).toString('base64');

export interface Harness {
  t: TestDb;
  sandbox: Sandbox;
  app: App;
  http: FastifyInstance;
  url: string;
  shop: ShopPublic;
  creds: ShopCredentials;
  worker?: Worker;
  stop(): Promise<void>;
}

/** Daifa (in-process, real HTTP on loopback) + the simulators, wired like production: push → receiver → jobs → client → simulator. */
export async function startHarness(
  opts: {
    alibaba?: Partial<Knobs1688>;
    push?: Partial<PushKnobs>;
    api?: Partial<ApiKnobs>;
    worker?: boolean;
    concurrency?: number;
    env?: Record<string, string>;
    logSink?: string[];
    appOptions?: (sandbox: Sandbox) => AppOptions;
  } = {},
): Promise<Harness> {
  const t = await createTestDb();
  const sandbox = await startSandbox({ push: { timeScale: 0.001, ...opts.push }, api: opts.api, alibaba: opts.alibaba });
  // The test robots and mail servers are on loopback: allowed here as in sandbox mode.
  const config = loadConfig({
    ...t.env,
    DAIFA_MASTER_KEY: TEST_MASTER_KEY,
    DAIFA_SANDBOX: '0',
    DAIFA_ALLOW_PRIVATE_OUTBOUND: '1',
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...opts.env,
  });
  const log = opts.logSink
    ? pino({ level: 'debug' }, { write: (line: string) => void opts.logSink!.push(line) })
    : pino({ level: process.env.DAIFA_TEST_LOG ?? 'silent' });
  const app = await createApp(config, {
    wechatApiBase: sandbox.url,
    alibabaApiBase: sandbox.url,
    log,
    migrate: false,
    ...opts.appOptions?.(sandbox),
  });
  const http = await buildHttp(app);
  await http.listen({ port: 0, host: '127.0.0.1' });
  const addr = http.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const shop = await app.shops.add({
    name: '测试小店',
    appId: `wx${randomAlnum(16).toLowerCase()}`,
    appSecret: randomAlnum(32),
    pushToken: randomAlnum(16),
    encodingAesKey: randomAlnum(43),
  });
  const creds = await app.shops.credentialsById(shop.id);
  sandbox.wechat.addShop({
    appId: creds.appId,
    secret: creds.appSecret,
    push: { appId: creds.appId, url: `${url}${shop.webhookPath}`, token: creds.pushToken, encodingAesKey: creds.encodingAesKey },
  });
  let worker: Worker | undefined;
  if (opts.worker !== false) {
    worker = createWorker(app, { concurrency: opts.concurrency ?? 8 });
    worker.start();
  }
  const h: Harness = {
    t,
    sandbox,
    app,
    http,
    url,
    shop,
    creds,
    worker,
    async stop() {
      // The worker a test may have started later (h.worker) is stopped too, before the database closes.
      await h.worker?.stop();
      if (worker !== h.worker) await worker?.stop();
      await http.close();
      await sandbox.close();
      await app.close();
      await t.cleanup();
    },
  };
  return h;
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

export async function count(app: App, table: keyof Database, where?: [string, string, unknown]): Promise<number> {
  let q = app.db.kysely.selectFrom(table as 'jobs').select((eb) => eb.fn.countAll<number>().as('n'));
  if (where) q = q.where(where[0] as never, where[1] as never, where[2] as never);
  const r = await q.executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Tests that prove a property at scale take their size from DAIFA_SCALE (CI size), bench/ runs the full size. */
/** Paying hours (China time, HH:MM) from `from` to `to` minutes after now — e.g. a window that excludes now. */
export function payHoursFromNow(from: number, to: number): { from: string; to: string } {
  const nowMin = Math.floor(((Date.now() + 8 * 3_600_000) % 86_400_000) / 60_000);
  const hhmm = (m: number) =>
    `${String(Math.floor(((m + 1440) % 1440) / 60)).padStart(2, '0')}:${String((m + 1440) % 60).padStart(2, '0')}`;
  return { from: hhmm(nowMin + from), to: hhmm(nowMin + to) };
}

export const scale = (ciDefault: number): number => Number(process.env.DAIFA_SCALE ?? ciDefault);

/** Connect the harness shop to the 1688 simulator: account, offers on both sides, SKU mappings. */
export async function enableSourcing(
  h: Harness,
  opts: { mode?: 'live' | 'shadow'; stock?: number; messages?: boolean } = {},
): Promise<void> {
  const sim = h.sandbox.alibaba;
  sim.addApp(SANDBOX_1688_APP.appKey, SANDBOX_1688_APP.appSecret);
  if (opts.messages) sim.messageTarget = { url: `${h.url}/webhooks/1688`, appSecret: SANDBOX_1688_APP.appSecret };
  const t = sim.issueToken('b2b-testbuyer');
  await h.app.alibaba.add({
    appKey: SANDBOX_1688_APP.appKey,
    appSecret: SANDBOX_1688_APP.appSecret,
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    accessExpiresAt: Date.now() + 36_000_000,
    memberId: t.memberId,
  });
  seedSimulatorOffers(sim, opts.stock);
  await seedDaifaCatalogue(h.app.db, h.shop.id, Date.now());
  if (opts.mode) await h.app.db.kysely.updateTable('shops').set({ mode: opts.mode }).where('id', '=', h.shop.id).execute();
  // Sourcing tests are not about payment limits: let every placed order be paid (payment tests set their own).
  await saveLimits(h.app.db, h.shop.id, {
    maxPerOrder: 10_000_000,
    maxPerDay: 1_000_000_000,
    minMargin: -10_000_000,
    approvalAbove: 10_000_000,
  });
}

/** Once placed, 1688 purchase orders go on to payment: "placed" means any of these. */
export const PLACED: PurchaseOrderState[] = ['Placed', 'Paying', 'Paid'];
export const PURCHASED: ShopOrderState[] = ['Purchasing', 'Fulfilling'];

/** One supplier of the given kind, offering every sandbox SKU, mapped for the harness shop. */
export async function onlySupplier(hh: Harness, kind: 'direct' | 'wechat_dropship') {
  const now = Date.now();
  const s = await hh.app.db.kysely
    .insertInto('suppliers')
    .values({
      kind,
      name: kind === 'direct' ? '杭州直供工厂' : '小店代发供货商',
      email: kind === 'direct' ? 'factory@example.com' : null,
      dropship_appid: kind === 'wechat_dropship' ? 'wxsupplier0000001' : null,
      couriers: '["ZTO","SF"]',
      accepts_encrypted: 0,
      active: 1,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const p of PRODUCTS) {
    for (const k of p.skus) {
      const o = await hh.app.db.kysely
        .insertInto('supplier_offers')
        .values({
          supplier_id: s.id,
          offer_id: kind === 'direct' ? `D${p.productId}` : p.productId,
          spec_id: k.skuId,
          title: p.title,
          sku_attrs: JSON.stringify(k.attrs),
          unit_price: Math.round(k.price * 0.45),
          moq: 1,
          stock: 1000,
          freight: 0,
          lead_time_hours: 24,
          refreshed_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await hh.app.db.kysely
        .insertInto('sku_mappings')
        .values({
          shop_id: hh.shop.id,
          product_id: p.productId,
          sku_id: k.skuId,
          offer_ref: o.id,
          quantity_per_unit: 1,
          bundle_key: null,
          priority: 0,
          enabled: 1,
          created_at: now,
        })
        .execute();
    }
  }
}

/** A user of the given role and a bearer token for it. */
export async function tokenFor(
  h: Harness,
  role: 'owner' | 'operator' | 'viewer',
  username = `${role}-${randomAlnum(6).toLowerCase()}`,
): Promise<string> {
  const now = Date.now();
  return issueToken(h.app.db, await createUser(h.app.db, { username, password: 'test-password-1', role }, now), 't', now);
}

/** Call Daifa's HTTP API: JSON in, JSON (or raw bytes) out. */
export async function callApi(
  h: Harness,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; bytes: Buffer; headers: Headers }> {
  const raw = Buffer.isBuffer(body) || body instanceof Uint8Array;
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : raw ? (body as Buffer) : JSON.stringify(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, bytes, headers: res.headers };
}
