/**
 * bench/api — the dashboard's list and detail API with years of orders in the database.
 *
 *   npm run bench:api                   # 100,000 orders in SQLite (a temp dir)
 *   BENCH_ORDERS=20000 npm run bench:api
 *   DATABASE_URL=postgres://… npm run bench:api
 *
 * Seeds orders (2 lines, 4 history events, a purchase order, a payment and ledger entries each) straight into the
 * database, then calls the API over loopback HTTP as the dashboard does and prints p50/p95/p99 per endpoint:
 * order list pages (first page, deep keyset pages, by state, by text, by shop and date), order detail, purchase-order
 * list, overview and stats. Target: p95 < 100 ms with 100,000 orders on SQLite.
 */
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createUser, issueToken } from '../src/security/accounts.js';
import { buildHttp } from '../src/http/server.js';
import { createTestDb } from '../test/helpers/db.js';
import { randomAlnum } from '../src/lib/random.js';
import type { ShopOrderState } from '../src/domain/shop-order.lifecycle.js';

const N = Number(process.env.BENCH_ORDERS ?? 100_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const STATES: ShopOrderState[] = [
  'Fulfilling',
  'Shipped',
  'Completed',
  'Completed',
  'Completed',
  'Completed',
  'Cancelled',
  'NeedsReview',
  'Purchasing',
  'Shipped',
];
const TITLES = ['纯棉短袖T恤', '加厚保温杯', '儿童雨靴', '蓝牙耳机', '瑜伽垫', '不锈钢饭盒', '真丝枕套', '手机支架'];

async function main() {
  const t = await createTestDb();
  const config = loadConfig({
    ...t.env,
    DAIFA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    DAIFA_SANDBOX: '0',
    LOG_LEVEL: 'silent',
    PORT: '0',
  });
  const app = await createApp(config, { log: pino({ level: 'silent' }), migrate: false });
  const shopIds: number[] = [];
  for (let s = 0; s < 3; s++)
    shopIds.push(
      (
        await app.shops.add({
          name: `店铺${s + 1}`,
          appId: `wx${randomAlnum(16).toLowerCase()}`,
          appSecret: randomAlnum(32),
          pushToken: randomAlnum(16),
          encodingAesKey: randomAlnum(43),
        })
      ).id,
    );
  const k = app.db.kysely;
  const supplierId = (
    await k
      .insertInto('suppliers')
      .values({
        kind: '1688',
        name: '义乌优品工厂店',
        member_id: 'b2b-1',
        login_id: 'x',
        credit_level: 'L4',
        accepts_encrypted: 0,
        couriers: '["ZTO"]',
        dropship_appid: null,
        email: null,
        im_contact: null,
        dispatch_cutoff: null,
        active: 1,
        created_at: Date.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;

  const seedStart = performance.now();
  const now = Date.now();
  const span = 3 * 365 * 86_400_000; // three years of orders
  const BATCH = 500;
  for (let b = 0; b < N; b += BATCH) {
    await k.transaction().execute(async (trx) => {
      const n = Math.min(BATCH, N - b);
      const orders = Array.from({ length: n }, (_, j) => {
        const i = b + j;
        const created = now - span + Math.floor((i / N) * span);
        const title = TITLES[i % TITLES.length]!;
        const name = `${'张王李赵刘陈'[i % 6]}*`;
        return {
          shop_id: shopIds[i % shopIds.length]!,
          wx_order_id: String(3700000000000000000n + BigInt(i)),
          state: STATES[i % STATES.length]!,
          wx_status: 30,
          wx_create_time_s: Math.floor(created / 1000),
          wx_update_time_s: Math.floor(created / 1000),
          pay_time_s: Math.floor(created / 1000) + 5,
          order_price: 5990 + (i % 50) * 100,
          product_price: 5990,
          freight: 0,
          customer_notes: i % 7 === 0 ? '请发顺丰' : '',
          merchant_notes: '',
          address: JSON.stringify({
            userName: name,
            telNumber: '138****0000',
            provinceName: '浙江省',
            cityName: '杭州市',
            countyName: '西湖区',
            detailInfo: '文三路***号',
          }),
          address_hash: null,
          special_requests: '{}',
          review_reasons: '[]',
          search_text: `${title} ${name} ${3700000000000000000n + BigInt(i)}`.toLowerCase(),
          created_at: created,
          updated_at: created,
          version: 1,
        };
      });
      const ids = (await trx.insertInto('shop_orders').values(orders).returning('id').execute()).map((r) => r.id);
      await trx
        .insertInto('shop_order_lines')
        .values(
          ids.flatMap((id, j) =>
            [1, 2].map((line_no) => ({
              shop_order_id: id,
              line_no,
              product_id: String(10000 + ((b + j) % 300)),
              sku_id: String(20000 + ((b + j) % 900)),
              product_unique_id: null,
              title: TITLES[(b + j + line_no) % TITLES.length]!,
              sku_attrs: '[{"key":"颜色","value":"白色"}]',
              quantity: 1,
              unit_price: 2995,
              paid_amount: 2995,
              delivery_deadline_s: null,
              on_aftersale_cnt: 0,
              finish_aftersale_cnt: 0,
            })),
          ),
        )
        .execute();
      await trx
        .insertInto('order_events')
        .values(
          ids.flatMap((id, j) =>
            ['order.received', 'order.confirmed', 'po.placed', 'po.paid'].map((event, e) => ({
              entity_type: 'shop_order',
              entity_id: id,
              shop_order_id: id,
              event,
              from_state: null,
              to_state: null,
              actor: 'system',
              note: null,
              data: null,
              created_at: orders[j]!.created_at + e * 1000,
            })),
          ),
        )
        .execute();
      const pos = await trx
        .insertInto('purchase_orders')
        .values(
          ids.map((id, j) => ({
            shop_order_id: id,
            supplier_id: supplierId,
            route: '1688',
            state: 'Paid',
            out_order_id: `dfa-${id}`,
            supplier_order_id: String(5000000000000000000n + BigInt(id)),
            expected_amount: 2500,
            supplier_amount: 2500,
            message: '',
            attempt: 1,
            excluded_suppliers: '[]',
            readback: null,
            shadow: 0,
            created_at: orders[j]!.created_at + 2000,
            updated_at: orders[j]!.created_at + 2000,
            version: 1,
            tracked_at: null,
          })),
        )
        .returning('id')
        .execute();
      await trx
        .insertInto('payments')
        .values(
          pos.map((p, j) => ({
            purchase_order_id: p.id,
            pay_key: `pay-${p.id}`,
            method: '1688-protocol',
            amount: 2500,
            status: 'Paid',
            attempts: 1,
            reason: null,
            approved_by: null,
            approved_at: null,
            supplier_trade_id: null,
            day: new Date(orders[j]!.created_at + 8 * 3_600_000).toISOString().slice(0, 10),
            created_at: orders[j]!.created_at + 3000,
            updated_at: orders[j]!.created_at + 3000,
            pay_url: null,
            paid_at: orders[j]!.created_at + 3000,
            reference: null,
            recorded_by: null,
          })),
        )
        .execute();
    });
  }
  const seedMs = performance.now() - seedStart;
  const token = await issueToken(
    app.db,
    await createUser(app.db, { username: 'bench', password: 'bench-pass-1', role: 'owner' }, now),
    'bench',
    now,
  );
  const http = await buildHttp(app);
  await http.listen({ port: 0, host: '127.0.0.1' });
  const addr = http.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const get = async (path: string) => {
    const t0 = performance.now();
    const r = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    const body = (await r.json()) as any;
    if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, body };
  };
  // Deep pages: follow the cursor 20 pages in, then measure there.
  let cursor = '';
  for (let i = 0; i < 20; i++) cursor = (await get(`/api/orders?limit=50${cursor ? `&cursor=${cursor}` : ''}`)).body.nextCursor;
  const rnd = (m: number) => 1 + Math.floor(Math.random() * m);
  const day = 86_400_000;
  const cases: [string, () => string][] = [
    ['orders: first page', () => '/api/orders?limit=50'],
    ['orders: page 21 (keyset)', () => `/api/orders?limit=50&cursor=${cursor}`],
    ['orders: by state', () => `/api/orders?limit=50&state=${STATES[rnd(STATES.length) - 1]}`],
    ['orders: text search', () => `/api/orders?limit=50&q=${encodeURIComponent(TITLES[rnd(TITLES.length) - 1]!)}`],
    [
      'orders: shop + month',
      () => {
        const from = now - rnd(900) * day;
        return `/api/orders?limit=50&shopId=${rnd(3)}&from=${from}&to=${from + 30 * day}`;
      },
    ],
    ['order detail', () => `/api/orders/${rnd(N)}`],
    ['orders: no text match (scan)', () => '/api/orders?limit=50&q=' + encodeURIComponent('没有这个商品')],
    ['orders: search an old order id', () => `/api/orders?limit=50&q=${3700000000000000000n + BigInt(rnd(N / 10))}`],
    ['purchase orders: first page', () => '/api/purchase-orders?limit=50'],
    ['stats (tab counts)', () => '/api/stats'],
    ['overview', () => '/api/overview'],
  ];
  console.log(
    `bench/api — ${N.toLocaleString()} orders (${app.db.dialect}), seeded in ${(seedMs / 1000).toFixed(1)} s; ${SAMPLES} sequential calls each over loopback HTTP`,
  );
  console.log(`${'endpoint'.padEnd(30)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
  let worst = 0;
  for (const [name, path] of cases) {
    for (let i = 0; i < 5; i++) await get(path()); // warm
    const ms: number[] = [];
    for (let i = 0; i < SAMPLES; i++) ms.push((await get(path())).ms);
    ms.sort((a, b) => a - b);
    const p = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
    worst = Math.max(worst, name.startsWith('orders') || name.startsWith('order detail') || name.startsWith('purchase') ? p(0.95) : 0);
    console.log(`${name.padEnd(30)} ${p(0.5).toFixed(1).padStart(8)} ${p(0.95).toFixed(1).padStart(8)} ${p(0.99).toFixed(1).padStart(8)}`);
  }
  console.log(`list/detail worst p95: ${worst.toFixed(1)} ms — target < 100 ms: ${worst < 100 ? 'OK' : 'OVER'}`);
  await http.close();
  await app.close();
  await t.cleanup();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
