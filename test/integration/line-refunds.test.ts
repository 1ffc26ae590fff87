import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_SELLERS } from '../../sandbox/catalogue.js';
import { callApi, count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

/** 部分退款: some lines refunded before shipment while the order goes on. */
describe('partial refunds before shipment', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('one line refunded: booked per line, the supplier order holding it becomes a case; the rest refunded later: the total equals what the buyer paid, never more', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    // One seller only, so both lines sit in one supplier order.
    await h.app.db.kysely
      .updateTable('suppliers')
      .set({ active: 0 })
      .where('member_id', 'in', [SANDBOX_SELLERS[1].memberId, SANDBOX_SELLERS[2].memberId])
      .execute();
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 1 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'paid' });
    const shop = h.sandbox.wechat.shops.get(h.creds.appId)!;
    const sim = shop.orders.get(o!.orderId)!;
    expect(sim.lines.length).toBeGreaterThanOrEqual(2);
    const k = h.app.db.kysely;
    const order = await k
      .selectFrom('shop_orders')
      .select(['id', 'order_price'])
      .where('wx_order_id', '=', o!.orderId)
      .executeTakeFirstOrThrow();
    const refundSum = async () =>
      Number(
        (
          await k
            .selectFrom('ledger_entries')
            .select((eb) => eb.fn.sum<number>('amount').as('s'))
            .where('shop_order_id', '=', order.id)
            .where('kind', '=', 'refund_to_buyer')
            .executeTakeFirst()
        )?.s ?? 0,
      );

    const first = sim.lines[0]!;
    h.sandbox.wechat.closeAftersale(h.creds.appId, h.sandbox.wechat.openAftersale(shop, o!.orderId, first.skuId)!, 'refunded');
    expect(sim.status).toBe(20);
    const c = await waitFor(() => k.selectFrom('cases').selectAll().where('kind', '=', 'PARTIAL_REFUND').executeTakeFirst(), {
      what: 'partial-refund case',
    });
    expect(c.message).toContain(first.title);
    await waitFor(async () => (await refundSum()) === -first.realPrice, { what: 'line refund booked' });
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'needs_review'])) >= 1, { what: 'alert' });
    expect(await count(h.app, 'purchase_orders', ['state', '=', 'Cancelled'])).toBe(0); // the other lines still go out
    // The alert says what happened (its body used to be empty).
    expect(
      (await k.selectFrom('notifications').select('body').where('event', '=', 'needs_review').executeTakeFirstOrThrow()).body,
    ).toContain('买家部分退款');

    // The seller gives back that line's share (登记供应商部分退款): recorded once, never more than is still paid.
    const owner = await tokenFor(h, 'owner');
    const payment = await k.selectFrom('payments').select(['amount', 'purchase_order_id']).executeTakeFirstOrThrow();
    const part = Math.min(300, payment.amount - 1);
    const record = (body: unknown, token = owner) => callApi(h!, 'POST', `/api/cases/${c.id}/supplier-refund`, token, body);
    expect((await record({ amount: part, reference: 'TK1', note: '卖家退回该款' }, await tokenFor(h, 'operator'))).status).toBe(403);
    expect((await record({ amount: payment.amount + 1, reference: 'TK1', note: '卖家退回该款' })).body.error.code).toBe('AMOUNT_MISMATCH');
    expect((await record({ amount: 12.5, reference: 'TK1', note: 'x' })).status).toBe(400);
    expect((await record({ amount: part, reference: 'TK1', note: '卖家退回该款' })).body).toEqual({
      refunded: part,
      stillPaid: payment.amount - part,
    });
    const twice = await record({ amount: part, reference: 'TK1', note: 'again' });
    expect({ status: twice.status, code: twice.body.error.code }).toEqual({ status: 409, code: 'ALREADY_DONE' });
    expect((await k.selectFrom('cases').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state).toBe('Resolved');

    // Everything else refunded too: WeChat cancels the order (200); the supplier order is unwound; the ledger tops
    // up to exactly what the buyer paid.
    for (const l of sim.lines.slice(1))
      h.sandbox.wechat.closeAftersale(h.creds.appId, h.sandbox.wechat.openAftersale(shop, o!.orderId, l.skuId)!, 'refunded');
    expect(sim.status).toBe(200);
    await waitFor(
      async () =>
        (await k.selectFrom('shop_orders').select('state').where('id', '=', order.id).executeTakeFirstOrThrow()).state === 'Cancelled',
      { what: 'cancelled' },
    );
    await waitFor(async () => (await refundSum()) === -Number(order.order_price), { what: 'full refund booked' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await refundSum()).toBe(-Number(order.order_price));
    // The rest of the supplier order: 1688 refunds an unshipped order only for its whole goods amount (createRefund
    // 5011 otherwise), part of which the seller gave back already — so a person settles the rest on 1688 and records it.
    const unwind = await waitFor(
      () =>
        k
          .selectFrom('cases')
          .select(['id', 'message'])
          .where('kind', '=', 'SUPPLIER_UNWIND')
          .where('purchase_order_id', '=', payment.purchase_order_id)
          .executeTakeFirst(),
      { what: 'supplier order to a person' },
    );
    expect(unwind.message).toContain('部分货款');
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.createRefund') ?? 0).toBe(0);
    const op = await tokenFor(h, 'operator');
    expect(
      (
        await callApi(h, 'POST', `/api/purchase-orders/${payment.purchase_order_id}/supplier-settled`, op, {
          amount: payment.amount - part,
          reference: 'TK2',
          note: '卖家退回余款',
        })
      ).status,
    ).toBe(200);
    // The supplier gave back exactly what was paid, never more.
    expect(
      (await k.selectFrom('purchase_orders').select('state').where('id', '=', payment.purchase_order_id).executeTakeFirstOrThrow()).state,
    ).toBe('Cancelled');
    const fromSupplier = await k
      .selectFrom('ledger_entries')
      .select('amount')
      .where('purchase_order_id', '=', payment.purchase_order_id)
      .where('kind', '=', 'refund_from_supplier')
      .orderBy('id')
      .execute();
    expect(fromSupplier.map((e) => Number(e.amount))).toEqual([part, payment.amount - part]);
  });
});
