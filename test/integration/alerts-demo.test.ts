import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createUser, issueToken } from '../../src/security/accounts.js';
import { run, type Running } from '../../src/runtime/run.js';
import { testDialect } from '../helpers/db.js';
import { waitFor } from '../helpers/harness.js';
import { freePort, freePortPair } from '../helpers/ports.js';

/** The sandbox demo as `npm start` runs it: orders flow in and the WeCom twin shows the alerts arriving. */
describe.runIf(testDialect === 'sqlite')('sandbox demo (npm start)', () => {
  let running: Running;
  let token: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daifa-demo-'));
    const sandboxPort = await freePortPair();
    const config = loadConfig({
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DAIFA_DATA_DIR: dir,
      DAIFA_SANDBOX_PORT: String(sandboxPort),
      DAIFA_SANDBOX_ORDERS_PER_MINUTE: '600',
      LOG_LEVEL: 'silent',
    });
    running = await run(config, { http: true, worker: true });
    token = await issueToken(
      running.app.db,
      await createUser(running.app.db, { username: 'demo', password: 'demo-pass-1', role: 'owner' }, Date.now()),
      'test',
      Date.now(),
    );
  });
  afterAll(async () => running.stop());

  const api = async (path: string) =>
    (await fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;

  it('alerts for sandbox orders arrive at the WeCom twin, visible through the API', async () => {
    const sandbox = await waitFor(
      async () => {
        const s = await api('/api/sandbox');
        return s.wecomMessages?.length > 0 && s;
      },
      { timeoutMs: 30_000, what: 'WeCom twin messages' },
    );
    expect(sandbox.wecomMessages[0].content).toMatch(/新订单|Daifa 提醒/);
    const sent = await api('/api/notifications?status=sent');
    expect(sent.notifications.length).toBeGreaterThan(0);
    const stats = await api('/api/stats');
    expect(stats.shopOrders.total).toBeGreaterThan(0);
  });

  it('sandbox purchase orders are paid automatically within the default limits (the ledger shows the money)', async () => {
    const paid = await waitFor(
      async () => {
        const r = await api('/api/payments?status=Paid');
        return r.payments.length > 0 && r.payments;
      },
      { timeoutMs: 60_000, what: 'a sandbox payment' },
    );
    expect(paid[0]).toMatchObject({ method: '1688-protocol', supplier_trade_id: expect.stringMatching(/^2026/) });
    const po = await running.app.db.kysely
      .selectFrom('purchase_orders')
      .select('shop_order_id')
      .where('id', '=', paid[0].purchase_order_id)
      .executeTakeFirstOrThrow();
    const detail = await api(`/api/orders/${po.shop_order_id}`);
    expect(detail.ledger.supplierPaid).toBeGreaterThan(0);
    expect(detail.ledger.profit).toBe(detail.ledger.revenue - detail.ledger.supplierPaid);
  });

  it('sandbox sellers ship: parcels are tracked and synced to WeChat Shop, orders reach Shipped (stats show each state)', async () => {
    // The demo's sellers ship 20 s after payment; for the test, at once.
    Object.assign(running.sandbox!.alibaba.knobs, { autoShipAfterMs: 100, traceStepMs: 100 });
    const shipped = await waitFor(
      async () => {
        const r = await api('/api/orders?state=Shipped');
        return r.orders.length > 0 && r.orders;
      },
      { timeoutMs: 60_000, what: 'a shipped sandbox order' },
    );
    const detail = await api(`/api/orders/${shipped[0].id}`);
    expect(detail.packages.length).toBeGreaterThan(0);
    expect(detail.deliveries.every((d: { status: string }) => d.status === 'Sent')).toBe(true);
    const stats = await api('/api/stats');
    expect(stats.shopOrders.byState.Shipped).toBeGreaterThan(0);
  });
});

/** `npm start`, stop, `npm start` again: the simulated platforms still know the orders placed before the restart. */
describe.runIf(testDialect === 'sqlite')('sandbox demo across a restart', () => {
  let running: Running | undefined;
  afterAll(async () => running?.stop());

  it('orders paid before a restart are shipped, tracked and synced after it; new 1688 messages are not taken for old ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daifa-restart-'));
    const start = async (perMinute: number) => {
      const config = loadConfig({
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        DAIFA_DATA_DIR: dir,
        DAIFA_SANDBOX_PORT: String(await freePortPair()),
        DAIFA_SANDBOX_ORDERS_PER_MINUTE: String(perMinute),
        LOG_LEVEL: 'silent',
      });
      return run(config, { http: true, worker: true });
    };
    running = await start(600);
    // The demo's sellers are late (never ship) 3 % of the time: here every seller ships.
    Object.assign(running.sandbox!.alibaba.knobs, { lateRate: 0, stockOutAfterPayRate: 0 });
    const k = () => running!.app.db.kysely;
    // Paid on 1688 before the restart; the sandbox's sellers ship 20 s after payment, so none has shipped yet.
    await waitFor(async () => (await k().selectFrom('payments').select('id').where('status', '=', 'Paid').execute()).length >= 2, {
      timeoutMs: 30_000,
      what: 'sandbox payments',
    });
    await running.stop();
    const before = JSON.parse(readFileSync(join(dir, 'sandbox-state.json'), 'utf8'));
    // Paid and due to ship (an order paid in the moment before the knobs above were set could be a late seller's).
    const paidBefore = before.alibaba.orders
      .filter((o: { status: string; payments: unknown[]; sellerLate?: boolean }) => o.payments.length > 0 && !o.sellerLate)
      .map((o: { orderId: string }) => o.orderId);
    expect(paidBefore.length).toBeGreaterThanOrEqual(2);
    expect(before.wechat.shops[0].orders.length).toBeGreaterThan(0);

    running = await start(0);
    expect(running.sandbox!.alibaba.orders.size).toBe(before.alibaba.orders.length);
    // Every purchase order paid before the restart is shipped by its seller, tracked, and its parcel synced to
    // WeChat Shop: the shop order reaches Shipped with every delivery sent.
    const done = await waitFor(
      async () => {
        const rows = await k()
          .selectFrom('purchase_orders as p')
          .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
          .select(['p.state', 'o.state as orderState', 'o.id'])
          .where('p.supplier_order_id', 'in', paidBefore)
          .execute();
        return rows.length === paidBefore.length && rows.every((r) => r.state === 'Shipped' && r.orderState === 'Shipped') && rows;
      },
      { timeoutMs: 150_000, what: 'pre-restart orders shipped and synced' },
    );
    const deliveries = await k()
      .selectFrom('wx_deliveries')
      .select(['shop_order_id', 'status'])
      .where(
        'shop_order_id',
        'in',
        done.map((r) => r.id),
      )
      .execute();
    expect(new Set(deliveries.map((d) => d.shop_order_id))).toEqual(new Set(done.map((r) => r.id)));
    expect(deliveries.every((d) => d.status === 'Sent')).toBe(true);
    // 1688's message ids went on from where they stopped: the shipping messages after the restart were new to Daifa.
    const after = await k()
      .selectFrom('inbound_events')
      .select('dedup_key')
      .where('source', '=', '1688')
      .where('event_type', '=', 'ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS')
      .execute();
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((m) => Number(m.dedup_key) >= before.alibaba.msgSeq)).toBe(true);
    expect(await k().selectFrom('jobs').select('id').where('status', '=', 'dead').execute()).toEqual([]);
  }, 240_000);
});
