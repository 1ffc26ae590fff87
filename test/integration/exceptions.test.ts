import { afterEach, describe, expect, it } from 'vitest';
import { saveLimits } from '../../src/payments/limits.js';
import { retryCase } from '../../src/cases/retry.js';
import { count, enableSourcing, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/** Exceptions after the supplier order exists: the buyer refunds, the supplier runs out (issue 5). */
describe('buyer refunds and supplier stock-outs', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });
  /** One sandbox order placed on 1688, its payment held for approval (every payment needs one). */
  async function oneOrderAwaitingApproval(hh: Harness) {
    await enableSourcing(hh, { messages: true });
    await saveLimits(hh.app.db, hh.shop.id, {
      maxPerOrder: 10_000_000,
      maxPerDay: 1_000_000_000,
      minMargin: -10_000_000,
      approvalAbove: 0,
    });
    const [order] = hh.sandbox.wechat.generate(hh.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(hh.app, 'payments', ['status', '=', 'AwaitingApproval'])) === 1, {
      what: 'placed, payment awaiting approval',
    });
    return order!;
  }
  const sum = async (hh: Harness, kind: string) =>
    Number(
      (
        await hh.app.db.kysely
          .selectFrom('ledger_entries')
          .select((eb) => eb.fn.sum<number>('amount').as('s'))
          .where('kind', '=', kind)
          .executeTakeFirstOrThrow()
      ).s ?? 0,
    );

  it('buyer refunds before shipment, supplier already paid → refund requested from 1688; the ledger records both sides; nothing is shipped', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 1, { what: 'paid' });
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'supplier_order_id']).executeTakeFirstOrThrow();
    const paid = await h.app.db.kysely.selectFrom('payments').select('amount').executeTakeFirstOrThrow();
    expect(h.sandbox.wechat.refundAll(h.sandbox.wechat.shops.get(h.creds.appId)!, order!.orderId)).toBe(true);
    await waitFor(
      async () =>
        (await h!.app.db.kysely.selectFrom('purchase_orders').select('state').where('id', '=', po.id).executeTakeFirstOrThrow()).state ===
        'Cancelled',
      { what: 'supplier order unwound' },
    );
    const sim = h.sandbox.alibaba.orders.get(po.supplier_order_id!)!;
    expect(sim.refunds).toHaveLength(1);
    expect(sim.refunds[0]!.amount).toBe(paid.amount);
    expect(sim.status).toBe('cancel');
    expect(await sum(h, 'refund_from_supplier')).toBe(paid.amount);
    const so = await h.app.db.kysely.selectFrom('shop_orders').select(['state', 'order_price', 'id']).executeTakeFirstOrThrow();
    expect(so.state).toBe('Cancelled');
    expect(await sum(h, 'refund_to_buyer')).toBe(-so.order_price);
    const { orderDetail } = await import('../../src/orders/queries.js');
    const d = await orderDetail(h.app.db, so.id);
    expect(d.ledger.profit).toBe(0);
    expect(d.ledger.payableOutstanding).toBe(0);
    expect(h.sandbox.alibaba.ship(sim.orderId)).toMatch(/不能发货/);
  });

  it('buyer refunds while the payment waits for approval → the 1688 order is cancelled (after the 10-second rule), the payment never goes out', async () => {
    h = await startHarness();
    const order = await oneOrderAwaitingApproval(h);
    h.sandbox.wechat.refundAll(h.sandbox.wechat.shops.get(h.creds.appId)!, order.orderId);
    // Created a moment ago: 1688 refuses to close it within 10 s (CLOSE_ORDER_TOO_FAST); Daifa waits and tries again.
    await waitFor(async () => (await count(h!.app, 'purchase_orders', ['state', '=', 'Cancelled'])) === 1, {
      timeoutMs: 30_000,
      what: 'cancelled on 1688',
    });
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    expect(sim.status).toBe('cancel');
    expect(sim.payments).toEqual([]);
    expect((await h.app.db.kysely.selectFrom('payments').select('status').executeTakeFirstOrThrow()).status).toBe('Cancelled');
    await expect(
      h.app.payments.decideApproval((await h.app.db.kysely.selectFrom('payments').select('id').executeTakeFirstOrThrow()).id, {
        approve: true,
        actor: 'user:boss',
      }),
    ).rejects.toMatchObject({ code: 'WRONG_STATE' });
    expect(await sum(h, 'supplier_paid')).toBe(0);
  }, 40_000);

  it('1688 closes an unpaid supplier order (payment timeout, BOPS_CLOSE) → re-read, the purchase order is closed (its payment never goes out) and the line placed with another supplier; the merchant is told', async () => {
    h = await startHarness();
    await oneOrderAwaitingApproval(h);
    const first = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'supplier_id']).executeTakeFirstOrThrow();
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    sim.status = 'cancel';
    h.sandbox.alibaba.emit('ORDER_BUYER_VIEW_ORDER_BOPS_CLOSE', sim, 'cancel');
    await waitFor(async () => (await count(h!.app, 'purchase_orders')) === 2, { what: 're-placed' });
    const pos = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'state', 'supplier_id']).orderBy('id').execute();
    expect(pos[0]!.state).toBe('Cancelled');
    expect(pos[1]!.supplier_id).not.toBe(first.supplier_id);
    await waitFor(
      async () =>
        (await count(h!.app, 'payments', ['status', '=', 'AwaitingApproval'])) === 1 &&
        (await count(h!.app, 'payments', ['status', '=', 'Cancelled'])) === 1,
      { what: 'old payment closed, new one waiting' },
    );
    expect(
      (await h.app.db.kysely.selectFrom('payments').select('status').where('purchase_order_id', '=', first.id).executeTakeFirstOrThrow())
        .status,
    ).toBe('Cancelled');
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'supplier_delay'])) >= 1, { what: 'alert' });
    const events = (
      await h.app.db.kysely
        .selectFrom('order_events')
        .select('event')
        .where('entity_id', '=', first.id)
        .where('entity_type', '=', 'purchase_order')
        .execute()
    ).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['po.supplier_closed', 'po.supplier_unable']));
    expect(await count(h.app, 'cases', ['kind', '=', 'SUPPLIER_CLOSED'])).toBe(0);
    expect(sim.payments).toEqual([]);
    expect(await sum(h, 'supplier_paid')).toBe(0);
  });

  it('1688 closes a supplier order that was already paid → a SUPPLIER_CLOSED case for a person (the refund must be seen first), nothing re-placed; the person records the refund and the line goes elsewhere', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'paid' });
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    sim.status = 'cancel';
    h.sandbox.alibaba.emit('ORDER_BUYER_VIEW_ORDER_BOPS_CLOSE', sim, 'cancel');
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'SUPPLIER_CLOSED'])) === 1, { what: 'supplier-closed case' });
    const closed = await h.app.db.kysely
      .selectFrom('cases')
      .select(['message', 'actions', 'purchase_order_id'])
      .where('kind', '=', 'SUPPLIER_CLOSED')
      .executeTakeFirstOrThrow();
    expect(closed.message).toContain(sim.orderId);
    expect(await count(h.app, 'purchase_orders')).toBe(1);
    // A person sees the money back on 1688 and records it: refunded once in the ledger, the line placed and paid elsewhere.
    expect(JSON.parse(closed.actions)).toContain('supplier_settled');
    const paid = sim.payments[0]!.amount;
    expect(
      await h.app.unwind.supplierSettled(closed.purchase_order_id!, {
        actor: 'user:op',
        note: '1688 已退回余额',
        amount: paid,
        reference: '1688-REFUND-1',
      }),
    ).toEqual({ outcome: 'Replaced' });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 2, { what: 'placed and paid elsewhere' });
    expect(await sum(h, 'refund_from_supplier')).toBe(paid);
    expect(
      (await h.app.db.kysely.selectFrom('cases').select('state').where('kind', '=', 'SUPPLIER_CLOSED').executeTakeFirstOrThrow()).state,
    ).toBe('Resolved');
  });

  it('1688 no longer shows a supplier order to the authorised account (order.nopermission.buyer) → one SUPPLIER_ORDER_MISSING case with an alert, no retry storm; settled once the order is visible again', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'paid' });
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'supplier_order_id']).executeTakeFirstOrThrow();
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    const owner = sim.buyerMemberId;
    // As if the shop had been re-authorised with another 1688 account: this order belongs to someone else now.
    sim.buyerMemberId = 'b2b-someone-else';
    for (let i = 0; i < 2; i++) expect(await h.app.tracking.track(po.id)).toMatchObject({ parcels: 0, changed: false });
    const cases = await h.app.db.kysely
      .selectFrom('cases')
      .select(['state', 'message', 'purchase_order_id'])
      .where('kind', '=', 'SUPPLIER_ORDER_MISSING')
      .execute();
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ state: 'Open', purchase_order_id: po.id });
    expect(cases[0]!.message).toContain(po.supplier_order_id!);
    expect(cases[0]!.message).toContain('order.nopermission.buyer');
    expect(await count(h.app, 'notifications', ['event', '=', 'tracking_anomaly'])).toBe(1);
    // Visible again: the next read settles the case and tracking goes on as before.
    sim.buyerMemberId = owner;
    await h.app.tracking.track(po.id);
    expect(
      await h.app.db.kysely
        .selectFrom('cases')
        .select(['state', 'resolution'])
        .where('kind', '=', 'SUPPLIER_ORDER_MISSING')
        .executeTakeFirstOrThrow(),
    ).toEqual({ state: 'Resolved', resolution: 'visible_again' });
    expect(await count(h.app, 'jobs', ['status', '=', 'dead'])).toBe(0);
  });

  it('a supplier order 1688 will not show is not paid: the payment stops with the reason (not taken for an amount mismatch) and can be retried; a buyer refund then leaves the cancel to a person', async () => {
    h = await startHarness();
    const order = await oneOrderAwaitingApproval(h);
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    sim.buyerMemberId = 'b2b-someone-else';
    const payment = await h.app.db.kysely.selectFrom('payments').select('id').executeTakeFirstOrThrow();
    await h.app.payments.decideApproval(payment.id, { approve: true, actor: 'user:boss' });
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PAYMENT_FAILED'])) === 1, { what: 'payment stopped' });
    expect(
      (await h.app.db.kysely.selectFrom('cases').select('message').where('kind', '=', 'PAYMENT_FAILED').executeTakeFirstOrThrow()).message,
    ).toContain('查不到');
    expect(sim.payments).toEqual([]);
    expect(await sum(h, 'supplier_paid')).toBe(0);
    // Retried while still invisible: stopped again, nothing paid.
    const failed = await h.app.db.kysely.selectFrom('cases').select('id').where('kind', '=', 'PAYMENT_FAILED').executeTakeFirstOrThrow();
    await retryCase(h.app, failed.id, 'user:boss');
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('payments').select('status').executeTakeFirstOrThrow()).status === 'Failed',
      { what: 'failed again' },
    );
    expect(sim.payments).toEqual([]);
    // The buyer refunds: the supplier order cannot be cancelled from this account — a person is asked, no retry storm.
    h.sandbox.wechat.refundAll(h.sandbox.wechat.shops.get(h.creds.appId)!, order.orderId);
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'SUPPLIER_UNWIND'])) === 1, { what: 'unwind case' });
    expect(
      (await h.app.db.kysely.selectFrom('cases').select('message').where('kind', '=', 'SUPPLIER_UNWIND').executeTakeFirstOrThrow()).message,
    ).toContain('查不到');
    expect(sim.status).not.toBe('cancel');
    expect(await count(h.app, 'jobs', ['status', '=', 'dead'])).toBe(0);
  });

  it('the right 1688 account authorised again: 重试 on the stopped payment pays the order once', async () => {
    h = await startHarness();
    await oneOrderAwaitingApproval(h);
    const sim = [...h.sandbox.alibaba.orders.values()][0]!;
    const owner = sim.buyerMemberId;
    sim.buyerMemberId = 'b2b-someone-else';
    await h.app.payments.decideApproval((await h.app.db.kysely.selectFrom('payments').select('id').executeTakeFirstOrThrow()).id, {
      approve: true,
      actor: 'user:boss',
    });
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PAYMENT_FAILED'])) === 1, { what: 'payment stopped' });
    sim.buyerMemberId = owner;
    const c = await h.app.db.kysely.selectFrom('cases').select('id').where('kind', '=', 'PAYMENT_FAILED').executeTakeFirstOrThrow();
    await retryCase(h.app, c.id, 'user:boss');
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'paid after retry' });
    expect(sim.payments).toHaveLength(1);
    expect((await h.app.db.kysely.selectFrom('cases').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state).toBe(
      'Resolved',
    );
  });

  it('supplier out of stock before payment → the unpaid 1688 order is cancelled (after the 10-second rule) and the line placed with the next candidate; the old payment never goes out', async () => {
    h = await startHarness();
    await oneOrderAwaitingApproval(h);
    const first = await h.app.db.kysely
      .selectFrom('purchase_orders')
      .select(['id', 'supplier_id', 'supplier_order_id'])
      .executeTakeFirstOrThrow();
    expect(await h.app.placement.supplierStockOut(first.id)).toBe('Unwinding');
    await waitFor(async () => (await count(h!.app, 'purchase_orders')) === 2, { what: 're-placed', timeoutMs: 40_000 });
    const pos = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'state', 'supplier_id']).orderBy('id').execute();
    expect(pos[0]!.state).toBe('Cancelled');
    expect(pos[1]!.supplier_id).not.toBe(first.supplier_id);
    expect(h.sandbox.alibaba.orders.get(first.supplier_order_id!)!.status).toBe('cancel');
    expect(
      (await h.app.db.kysely.selectFrom('payments').select('status').where('purchase_order_id', '=', first.id).executeTakeFirstOrThrow())
        .status,
    ).toBe('Cancelled');
    expect(h.sandbox.alibaba.orders.get(first.supplier_order_id!)!.payments).toEqual([]);
  }, 60_000);

  it('supplier out of stock after payment → refund from that supplier, the line placed and paid elsewhere; each 1688 order paid once', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 1, { what: 'paid' });
    const first = await h.app.db.kysely
      .selectFrom('purchase_orders')
      .select(['id', 'supplier_id', 'supplier_order_id'])
      .executeTakeFirstOrThrow();
    const { recordSupplierReply } = await import('../../src/purchasing/supplier-replies.js');
    const r = await recordSupplierReply(
      h.app.db,
      h.app.clock,
      { purchaseOrderId: first.id, actor: 'user:op', body: '卖家旺旺：这个规格断货了，申请退款吧', stockOut: true },
      (poId) => h!.app.placement.supplierStockOut(poId),
    );
    expect(r.outcome).toBe('Unwinding');
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 2, { what: 'replacement paid' });
    const pos = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'state', 'supplier_id']).orderBy('id').execute();
    expect(pos.map((p) => p.state)).toEqual(['Cancelled', 'Paid']);
    expect(pos[1]!.supplier_id).not.toBe(first.supplier_id);
    const sims = [...h.sandbox.alibaba.orders.values()];
    expect(sims.map((o) => o.payments.length)).toEqual([1, 1]);
    expect(h.sandbox.alibaba.orders.get(first.supplier_order_id!)!.refunds).toHaveLength(1);
    expect(await sum(h, 'refund_from_supplier')).toBe(sims[0]!.payments[0]!.amount);
    expect(-(await sum(h, 'supplier_paid'))).toBe(sims.reduce((t, o) => t + o.payments[0]!.amount, 0));
    expect(await count(h.app, 'shop_orders', ['state', '=', 'Fulfilling'])).toBe(1);
  });

  it('the only supplier that ships the 顺丰 the buyer asked for runs out after payment → refunded, and the buyer is asked before another courier is used; agreed → placed elsewhere', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o!.orderId)!.notes = '请发顺丰';
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 1, { what: 'paid' });
    const first = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'shop_order_id']).executeTakeFirstOrThrow();
    const { recordSupplierReply } = await import('../../src/purchasing/supplier-replies.js');
    await recordSupplierReply(
      h.app.db,
      h.app.clock,
      { purchaseOrderId: first.id, actor: 'user:op', body: '断货了', stockOut: true },
      (poId) => h!.app.placement.supplierStockOut(poId),
    );
    // Refunded by that supplier; nobody else ships 顺丰: the order waits for the buyer's answer, nothing re-placed.
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'SPECIAL_REQUEST_CONSENT'])) === 1, { what: 'consent case' });
    expect(
      (await h.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', first.shop_order_id).executeTakeFirstOrThrow())
        .state,
    ).toBe('AwaitingBuyer');
    expect(h.sandbox.alibaba.orders.size).toBe(1);
    const c = await h.app.db.kysely
      .selectFrom('cases')
      .select('id')
      .where('kind', '=', 'SPECIAL_REQUEST_CONSENT')
      .executeTakeFirstOrThrow();
    await h.app.consent.record({ caseId: c.id, answer: 'agreed', note: '买家同意改发中通', actor: 'user:op' });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 2, { what: 'placed and paid elsewhere' });
    expect(h.sandbox.alibaba.orders.size).toBe(2);
  });
});
