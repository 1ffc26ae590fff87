import pino from 'pino';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { insertOrder } from '../../src/db/repositories/shop-orders.js';
import { WX_STATUS, type OrderLine, type OrderSnapshot } from '../../src/domain/shop-order.js';
import { recordInitialState } from '../../src/lifecycle/apply-transition.js';
import type { Clock } from '../../src/lib/clock.js';
import { randomAlnum } from '../../src/lib/random.js';
import { saveLimits } from '../../src/payments/limits.js';
import type { ShopPublic } from '../../src/shops/shops.js';
import { seedDaifaCatalogue } from '../../sandbox/catalogue.js';
import { PRODUCTS } from '../../sandbox/data.js';
import { createTestDb, type TestDb } from './db.js';
import { TEST_MASTER_KEY } from './harness.js';

/**
 * The service tier: Daifa's services built as production builds them, on a real database (SQLite or PostgreSQL, as
 * DATABASE_URL says), with no HTTP server and no simulator — nothing answers at the platforms' addresses, so a test
 * that reaches one fails. Ports a test needs (supplier routes, clocks) are faked by the test.
 */
export interface Services {
  t: TestDb;
  app: App;
  shop: ShopPublic;
  stop(): Promise<void>;
}

/** Nothing listens here: a service that calls a platform in a service-tier test fails loudly. */
const NOWHERE = 'http://127.0.0.1:9';

export async function startServices(opts: { clock?: Clock } = {}): Promise<Services> {
  const t = await createTestDb();
  const config = loadConfig({ ...t.env, DAIFA_MASTER_KEY: TEST_MASTER_KEY, DAIFA_SANDBOX: '0', LOG_LEVEL: 'silent', PORT: '0' });
  const app = await createApp(config, {
    wechatApiBase: NOWHERE,
    alibabaApiBase: NOWHERE,
    log: pino({ level: process.env.DAIFA_TEST_LOG ?? 'silent' }),
    migrate: false,
    clock: opts.clock,
  });
  const shop = await app.shops.add({
    name: '服务层测试店',
    appId: `wx${randomAlnum(16).toLowerCase()}`,
    appSecret: randomAlnum(32),
    pushToken: randomAlnum(16),
    encodingAesKey: randomAlnum(43),
  });
  const now = app.clock.now();
  await seedDaifaCatalogue(app.db, shop.id, now);
  await saveLimits(app.db, shop.id, {
    maxPerOrder: 10_000_000,
    maxPerDay: 1_000_000_000,
    minMargin: -10_000_000,
    approvalAbove: 10_000_000,
  });
  return {
    t,
    app,
    shop,
    async stop() {
      await app.close();
      await t.cleanup();
    },
  };
}

/** A paid order of the sandbox's catalogue (mapped to its sellers), written as intake writes a new one: state Received. */
export async function seedPaidOrder(
  s: Services,
  lines: { product?: number; sku?: number; quantity?: number; deadlineS?: number }[] = [{}],
  extra: Partial<OrderSnapshot> = {},
): Promise<{ id: number; snapshot: OrderSnapshot }> {
  const now = s.app.clock.now();
  const nowS = Math.floor(now / 1000);
  const orderLines: OrderLine[] = lines.map((l, i) => {
    const p = PRODUCTS[l.product ?? 0]!;
    const sku = p.skus[l.sku ?? 0]!;
    const quantity = l.quantity ?? 1;
    return {
      lineNo: i + 1,
      productId: p.productId,
      skuId: sku.skuId,
      title: p.title,
      skuAttrs: sku.attrs.map((a) => ({ key: a.attr_key, value: a.attr_value })),
      quantity,
      unitPrice: sku.price,
      paidAmount: sku.price * quantity,
      deliveryDeadline: l.deadlineS ?? nowS + 48 * 3600,
      onAftersaleCnt: 0,
      finishAftersaleCnt: 0,
      isFreeGift: false,
    };
  });
  const total = orderLines.reduce((a, l) => a + l.paidAmount, 0);
  const snapshot: OrderSnapshot = {
    wxOrderId: `37${randomAlnum(16).replace(/\D/g, '7').slice(0, 16)}`,
    status: WX_STATUS.PAID,
    createTime: nowS,
    updateTime: nowS,
    payTime: nowS,
    orderPrice: total,
    productPrice: total,
    freight: 0,
    customerNotes: '',
    merchantNotes: '',
    address: {
      userName: '张*',
      telNumber: '138****0000',
      provinceName: '广东省',
      cityName: '深圳市',
      countyName: '南山区',
      detailInfo: '科技园****',
      hashCode: randomAlnum(32).toLowerCase(),
    },
    lines: orderLines,
    onAftersaleOrderCnt: 0,
    ...extra,
  };
  const id = await s.app.db.kysely.transaction().execute(async (trx) => {
    const id = await insertOrder(trx, s.shop.id, snapshot, now);
    await recordInitialState(trx, { entity: 'shop_order', id, to: 'Received', event: 'order.received', actor: 'system:test' }, now);
    return id;
  });
  return { id, snapshot };
}
