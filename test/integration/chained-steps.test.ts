import { afterEach, describe, expect, it } from 'vitest';
import { CONFIRM_ORDER, SYNC_ORDER } from '../../src/orders/intake.js';
import { PLACE_PO, SOURCE_ORDER } from '../../src/sourcing/sourcing.js';
import { PAY_PO } from '../../src/payments/pay-supplier.js';
import { enableSourcing, startHarness, type Harness } from '../helpers/harness.js';

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

  const jobs = (hh: Harness, kind: string) => hh.app.db.kysely.selectFrom('jobs').select(['id', 'status']).where('kind', '=', kind).execute();
  const run = (hh: Harness, kind: string, payload: unknown) => hh.app.handlers.get(kind)!(payload, { job: {} as never, workerId: 'test' });

  it('stored but not checked, checked but not sourced → the sync job re-run goes on; placed but not paid → the placing job re-run pays it once', async () => {
    h = await startHarness({ worker: false, push: { enabled: false } });
    await enableSourcing(h);
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const sync = { shopId: h.shop.id, orderId: order!.orderId, source: 'push' };
    // First run of the sync job: the order stored, then the process died before checking it (no job to check it).
    expect(await h.app.intake.syncOrder(sync, { confirmNext: true })).toMatchObject({ outcome: 'created', state: 'Received' });
    const so = await h.app.db.kysely.selectFrom('shop_orders').select('id').where('wx_order_id', '=', order!.orderId).executeTakeFirstOrThrow();
    expect(await jobs(h, CONFIRM_ORDER)).toEqual([]);
    const state = async () => (await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', so.id).executeTakeFirstOrThrow()).state;
    // Second run: checked, then the process died before sourcing (no job to source it).
    expect(await h.app.confirmation.confirm(so.id, { sourceNext: true })).toBe('Confirmed');
    expect(await jobs(h, SOURCE_ORDER)).toEqual([]);
    // The next run of the sync job (after the lease) finds it Confirmed and sources it.
    await run(h, SYNC_ORDER, sync);
    expect(await state()).toBe('Sourced');
    const [po] = await h.app.db.kysely.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', so.id).execute();
    expect((await jobs(h, PLACE_PO)).length).toBe(1);
    // Yet another run (or an order job from elsewhere) changes nothing: one purchase order, one checked event.
    await run(h, SYNC_ORDER, sync);
    await run(h, CONFIRM_ORDER, { shopOrderId: so.id });
    expect(await h.app.db.kysely.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', so.id).execute()).toHaveLength(1);
    expect(await h.app.db.kysely.selectFrom('order_events').select('id').where('shop_order_id', '=', so.id).where('event', '=', 'order.confirmed').execute()).toHaveLength(1);

    // First run of the placing job: placed on 1688, then the process died before paying (no payment job either).
    expect(await h.app.placement.place(po!.id, { payNext: true })).toBe('Placed');
    expect(await jobs(h, PAY_PO)).toEqual([]);
    expect(await h.app.db.kysely.selectFrom('payments').select('id').execute()).toEqual([]);
    // The re-run finds it Placed and pays; a further run pays nothing more.
    await run(h, PLACE_PO, { purchaseOrderId: po!.id });
    await run(h, PLACE_PO, { purchaseOrderId: po!.id });
    const pay = await h.app.db.kysely.selectFrom('payments').select(['status']).where('purchase_order_id', '=', po!.id).execute();
    expect(pay.map((p) => p.status)).toEqual(['Paid']);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.fastCreateOrder')).toBe(1);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.pay.protocolPay.preparePay')).toBe(1);
    expect([...h.sandbox.alibaba.orders.values()].map((o) => o.payments.length)).toEqual([1]);
  });
});
