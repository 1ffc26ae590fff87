import { afterEach, describe, expect, it } from 'vitest';
import { enableSourcing, startHarness, type Harness } from '../helpers/harness.js';
import { DaifaError } from '../../src/lib/errors.js';

/**
 * The sync job stores a new order, checks it and sources it; the placing job places and then pays. A process that dies between the two
 * steps leaves no job for the second one: the same job runs again after its lease and must go on from where it was.
 */
describe('two steps in one job, with a crash in between', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const jobs = (hh: Harness, kind: string) =>
    hh.app.db.kysely.selectFrom('jobs').select(['id', 'status']).where('kind', '=', kind).execute();
  const run = (hh: Harness, kind: string, payload: unknown) => hh.app.handlers.get(kind)!(payload, { job: {} as never, workerId: 'test' });

  it('stored but not checked, checked but not sourced → the sync job re-run goes on; placed but not paid → the placing job re-run pays it once', async () => {
    h = await startHarness({ worker: false, push: { enabled: false } });
    await enableSourcing(h);
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const sync = { shopId: h.shop.id, orderId: order!.orderId, source: 'push' };
    // First run of the sync job: the order stored, then the process died before checking it (no job to check it).
    expect(await h.app.intake.syncOrder(sync, { confirmNext: true })).toMatchObject({ outcome: 'created', state: 'Received' });
    const so = await h.app.db.kysely
      .selectFrom('shop_orders')
      .select('id')
      .where('wx_order_id', '=', order!.orderId)
      .executeTakeFirstOrThrow();
    expect(await jobs(h, 'order.confirm')).toEqual([]);
    const state = async () =>
      (await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', so.id).executeTakeFirstOrThrow()).state;
    // Second run: checked, then the process died before sourcing (no job to source it).
    expect(await h.app.confirmation.confirm(so.id, { sourceNext: true })).toBe('Confirmed');
    expect(await jobs(h, 'order.source')).toEqual([]);
    // The next run of the sync job (after the lease) finds it Confirmed and sources it.
    await run(h, 'order.sync', sync);
    expect(await state()).toBe('Sourced');
    const [po] = await h.app.db.kysely.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', so.id).execute();
    expect((await jobs(h, 'po.place')).length).toBe(1);
    // Yet another run (or an order job from elsewhere) changes nothing: one purchase order, one checked event.
    await run(h, 'order.sync', sync);
    await run(h, 'order.confirm', { shopOrderId: so.id });
    expect(await h.app.db.kysely.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', so.id).execute()).toHaveLength(1);
    expect(
      await h.app.db.kysely
        .selectFrom('order_events')
        .select('id')
        .where('shop_order_id', '=', so.id)
        .where('event', '=', 'order.confirmed')
        .execute(),
    ).toHaveLength(1);

    // First run of the placing job: placed on 1688, then the process died before paying (no payment job either).
    expect(await h.app.placement.place(po!.id, { payNext: true })).toBe('Placed');
    expect(await jobs(h, 'po.pay')).toEqual([]);
    expect(await h.app.db.kysely.selectFrom('payments').select('id').execute()).toEqual([]);
    // The re-run finds it Placed and pays; a further run pays nothing more.
    await run(h, 'po.place', { purchaseOrderId: po!.id });
    await run(h, 'po.place', { purchaseOrderId: po!.id });
    const pay = await h.app.db.kysely.selectFrom('payments').select(['status']).where('purchase_order_id', '=', po!.id).execute();
    expect(pay.map((p) => p.status)).toEqual(['Paid']);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.fastCreateOrder')).toBe(1);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.pay.protocolPay.preparePay')).toBe(1);
    expect([...h.sandbox.alibaba.orders.values()].map((o) => o.payments.length)).toEqual([1]);

    // The seller ships. First run of the tracking job: the parcel recorded, then the process died before the
    // delivery sync (no delivery job either).
    const sim1688 = [...h.sandbox.alibaba.orders.values()][0]!;
    expect(h.sandbox.alibaba.ship(sim1688.orderId)).not.toBeTypeOf('string');
    const views = () => h!.sandbox.alibaba.calls.get('alibaba.trade.get.buyerView') ?? 0;
    const viewsBefore = views();
    const tracked = await h.app.tracking.track(po!.id, { deliverNext: true });
    expect(tracked).toMatchObject({ parcels: 1, forWeChat: true, shopOrderId: so.id });
    // The parcel's lines are mapped with the sub-order ids the read-back recorded: no extra order read.
    expect(views()).toBe(viewsBefore);
    const [pkg] = await h.app.db.kysely.selectFrom('packages').select('items').where('purchase_order_id', '=', po!.id).execute();
    const poLine = await h.app.db.kysely
      .selectFrom('purchase_order_lines')
      .select(['spec_id', 'quantity'])
      .where('purchase_order_id', '=', po!.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(pkg!.items)).toEqual([{ specId: poLine.spec_id, quantity: poLine.quantity }]);
    expect(await jobs(h, 'order.deliver')).toEqual([]);
    const wx = () => h!.sandbox.wechat.shops.get(h!.creds.appId)!.orders.get(order!.orderId)!;
    const sends = () => h!.sandbox.wechat.calls.get('/channels/ec/order/delivery/send') ?? 0;
    expect(wx().packages).toEqual([]);
    // Its next run finds nothing new on 1688, but it is a re-run: it syncs the delivery — once.
    await h.app.handlers.get('po.track')!({ purchaseOrderId: po!.id }, { job: { attempts: 2 } as never, workerId: 'test' });
    expect(wx().packages).toHaveLength(1);
    expect(await state()).toBe('Shipped');
    await h.app.handlers.get('po.track')!({ purchaseOrderId: po!.id }, { job: { attempts: 3 } as never, workerId: 'test' });
    expect(wx().packages).toHaveLength(1);
    expect(sends()).toBe(1);
  });

  it('a delivery sync that fails after tracking is handed to a delivery job; the tracking job itself is done (and a read-back without sub-order ids reads 1688 for them)', async () => {
    h = await startHarness({ worker: false, push: { enabled: false } });
    await enableSourcing(h);
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const sync = { shopId: h.shop.id, orderId: order!.orderId, source: 'push' };
    await run(h, 'order.sync', sync);
    const [po] = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'shop_order_id']).execute();
    await run(h, 'po.place', { purchaseOrderId: po!.id });
    h.sandbox.alibaba.ship([...h.sandbox.alibaba.orders.values()][0]!.orderId);
    // A purchase order whose read-back has no sub-order ids (placed by an older version): 1688 is read for them.
    await h.app.db.kysely.updateTable('purchase_orders').set({ readback: null }).where('id', '=', po!.id).execute();
    const views = h.sandbox.alibaba.calls.get('alibaba.trade.get.buyerView') ?? 0;
    // WeChat refuses every call now (daily quota used up).
    h.sandbox.wechat.api.forcedErrcode = 45009;
    await run(h, 'po.track', { purchaseOrderId: po!.id });
    expect(await jobs(h, 'order.deliver')).toMatchObject([{ status: 'pending' }]);
    const pkgs = await h.app.db.kysely.selectFrom('packages').select('items').where('purchase_order_id', '=', po!.id).execute();
    expect(pkgs).toHaveLength(1);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.get.buyerView')).toBe(views + 1);
    const poLine = await h.app.db.kysely
      .selectFrom('purchase_order_lines')
      .select(['spec_id', 'quantity'])
      .where('purchase_order_id', '=', po!.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(pkgs[0]!.items)).toEqual([{ specId: poLine.spec_id, quantity: poLine.quantity }]);
  });

  it('a second step that fails is handed to a job of its own kind; the first step is not run again (no second order read, no second 1688 order)', async () => {
    h = await startHarness({ worker: false, push: { enabled: false } });
    await enableSourcing(h);
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const sync = { shopId: h.shop.id, orderId: order!.orderId, source: 'push' };
    const reads = () => h!.sandbox.wechat.calls.get('/channels/ec/order/get') ?? 0;
    const pending = (kind: string) =>
      h!.app.db.kysely
        .selectFrom('jobs')
        .select(['payload', 'run_at', 'last_error'])
        .where('kind', '=', kind)
        .where('status', '=', 'pending')
        .execute();

    // Sourcing fails right after the order was stored and checked.
    const source = h.app.sourcing.source;
    h.app.sourcing.source = async () => {
      throw new DaifaError('UPSTREAM_UNAVAILABLE', 'sourcing failed (test)', { retryAfterMs: 7_000 });
    };
    const before = Date.now();
    await run(h, 'order.sync', sync); // the sync job itself succeeds: its step is done
    h.app.sourcing.source = source;
    const so = await h.app.db.kysely
      .selectFrom('shop_orders')
      .select(['id', 'state'])
      .where('wx_order_id', '=', order!.orderId)
      .executeTakeFirstOrThrow();
    expect(so.state).toBe('Confirmed');
    const confirm = await pending('order.confirm');
    expect(confirm.map((j) => JSON.parse(j.payload))).toEqual([{ shopOrderId: so.id }]);
    expect(Number(confirm[0]!.run_at)).toBeGreaterThanOrEqual(before + 7_000); // the failure's own back-off
    expect(confirm[0]!.last_error).toContain('sourcing failed (test)'); // and why it is there
    const readsAfterSync = reads();
    await run(h, 'order.confirm', { shopOrderId: so.id });
    expect((await h.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', so.id).executeTakeFirstOrThrow()).state).toBe(
      'Sourced',
    );
    expect(reads()).toBe(readsAfterSync); // WeChat was not asked for the order again

    // Paying fails right after the 1688 order was placed.
    const [po] = await h.app.db.kysely.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', so.id).execute();
    const pay = h.app.payments.pay;
    h.app.payments.pay = async () => {
      throw new Error('payment step failed (test)');
    };
    await run(h, 'po.place', { purchaseOrderId: po!.id });
    h.app.payments.pay = pay;
    expect((await pending('po.pay')).map((j) => JSON.parse(j.payload))).toEqual([{ purchaseOrderId: po!.id, check: 0 }]);
    await run(h, 'po.pay', { purchaseOrderId: po!.id, check: 0 });
    expect(
      (await h.app.db.kysely.selectFrom('payments').select('status').where('purchase_order_id', '=', po!.id).execute()).map(
        (p) => p.status,
      ),
    ).toEqual(['Paid']);
    expect(h.sandbox.alibaba.calls.get('alibaba.createOrder.preview')).toBe(1);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.fastCreateOrder')).toBe(1);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.pay.protocolPay.preparePay')).toBe(1);
  });

  it('a failed hand-over fails the first job, so it runs again (nothing is dropped)', async () => {
    h = await startHarness({ worker: false, push: { enabled: false } });
    await enableSourcing(h);
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const source = h.app.sourcing.source;
    const add = h.app.queue.add;
    h.app.sourcing.source = async () => {
      throw new Error('sourcing failed (test)');
    };
    h.app.queue.add = async () => {
      throw new Error('database unavailable (test)');
    };
    await expect(run(h, 'order.sync', { shopId: h.shop.id, orderId: order!.orderId, source: 'push' })).rejects.toThrow(
      'database unavailable',
    );
    h.app.sourcing.source = source;
    h.app.queue.add = add;
    // The re-run of the sync job finds the order checked and sources it.
    await run(h, 'order.sync', { shopId: h.shop.id, orderId: order!.orderId, source: 'push' });
    expect(
      (await h.app.db.kysely.selectFrom('shop_orders').select('state').where('wx_order_id', '=', order!.orderId).executeTakeFirstOrThrow())
        .state,
    ).toBe('Sourced');
  });
});
