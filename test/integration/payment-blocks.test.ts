import { afterEach, describe, expect, it } from 'vitest';
import { cnDayStart } from '../../src/lib/cn-time.js';
import { acceptPrice } from '../../src/payments/price-change.js';
import { saveLimits } from '../../src/payments/limits.js';
import { retryCase } from '../../src/cases/retry.js';
import { count, enableSourcing, payHoursFromNow, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/**
 * A blocked payment is not a dead end: over the limits it goes out once they are raised, on the next day (the
 * daily cap) or with the owner's approval; stopped for a 1688 price change it goes out once the seller restores the
 * price or a person accepts the new one — never at an amount nobody agreed, never twice.
 */
describe('blocked payments go on once the cause is gone', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const open = { maxPerOrder: 10_000_000, maxPerDay: 1_000_000_000, minMargin: -10_000_000, approvalAbove: 10_000_000 };
  const simPayments = (hh: Harness) => [...hh.sandbox.alibaba.orders.values()].flatMap((o) => o.payments.map((p) => p.amount));
  const onlyPayment = (hh: Harness) => hh.app.db.kysely.selectFrom('payments').selectAll().executeTakeFirstOrThrow();
  const casesOf = (hh: Harness, kind: string) =>
    hh.app.db.kysely.selectFrom('cases').selectAll().where('kind', '=', kind).orderBy('id').execute();
  const oneOrder = async (hh: Harness) => {
    hh.sandbox.wechat.generate(hh.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(hh.app, 'payments')) === 1, { what: 'a payment decided' });
  };

  it('over the daily cap: blocked with a case and a re-check on the next China day; raising the cap pays it, once', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { ...open, maxPerDay: 1 });
    await oneOrder(h);
    await waitFor(async () => (await onlyPayment(h!)).status === 'Blocked', { what: 'blocked' });
    const [c] = await casesOf(h, 'PAYMENT_BLOCKED');
    expect(c!.message).toContain('超过当日付款上限');
    expect(c!.message).toContain('次日 00:01 起按新一日额度自动重新核定');
    expect(JSON.parse(c!.actions)).toEqual(expect.arrayContaining(['approve_payment', 'retry']));
    const p = await onlyPayment(h);
    expect(p.block_cause).toBe('limits');
    const nextDay = await h.app.db.kysely
      .selectFrom('jobs')
      .select('run_at')
      .where('singleton_key', '=', `po.pay:${p.purchase_order_id}:nextday`)
      .executeTakeFirstOrThrow();
    expect(Number(nextDay.run_at)).toBe(cnDayStart(Date.now()) + 86_400_000 + 60_000);
    // A retry while the cap still holds says why and changes nothing.
    await expect(retryCase(h.app, c!.id, 'user:boss')).rejects.toMatchObject({
      code: 'LIMIT_REACHED',
      message: expect.stringContaining('仍被拦截'),
    });
    expect(simPayments(h)).toEqual([]);

    await saveLimits(h.app.db, h.shop.id, open);
    await waitFor(async () => (await onlyPayment(h!)).status === 'Paid', { what: 'paid after the cap was raised' });
    expect(simPayments(h)).toEqual([p.amount]);
    const settled = (await casesOf(h, 'PAYMENT_BLOCKED'))[0]!;
    expect(settled).toMatchObject({ state: 'Resolved', resolution: 'unblocked' });
    const po = await h.app.db.kysely
      .selectFrom('purchase_orders')
      .select('state')
      .where('id', '=', p.purchase_order_id)
      .executeTakeFirstOrThrow();
    expect(po.state).toBe('Paid');
    // The next-day check, when it runs, finds nothing left to do.
    expect(await h.app.payments.pay(p.purchase_order_id)).toBe('Paid');
    expect(simPayments(h)).toHaveLength(1);
  });

  it('over the per-order cap: the owner approves it over the limit (recorded) and it is paid once', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { ...open, maxPerOrder: 1 });
    await oneOrder(h);
    await waitFor(async () => (await onlyPayment(h!)).status === 'Blocked', { what: 'blocked' });
    const p = await onlyPayment(h);
    expect(
      await h.app.db.kysely
        .selectFrom('jobs')
        .select('id')
        .where('singleton_key', '=', `po.pay:${p.purchase_order_id}:nextday`)
        .executeTakeFirst(),
    ).toBeUndefined();
    expect(await h.app.payments.decideApproval(p.id, { approve: true, actor: 'user:boss', note: '老客户大单' })).toBe('Paying');
    await waitFor(async () => (await onlyPayment(h!)).status === 'Paid', { what: 'paid' });
    const paid = await onlyPayment(h);
    expect(paid).toMatchObject({ approved_by: 'user:boss', block_cause: null });
    expect(simPayments(h)).toEqual([p.amount]);
    expect((await casesOf(h, 'PAYMENT_BLOCKED'))[0]).toMatchObject({ state: 'Resolved', resolution: 'approved_over_limits' });
    const events = await h.app.db.kysely
      .selectFrom('order_events')
      .select(['event', 'actor', 'note'])
      .where('entity_type', '=', 'purchase_order')
      .where('entity_id', '=', p.purchase_order_id)
      .execute();
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'po.payment_approved', actor: 'user:boss', note: expect.stringContaining('老客户大单') }),
      ]),
    );
    await expect(h.app.payments.decideApproval(p.id, { approve: true, actor: 'user:boss' })).rejects.toMatchObject({ code: 'WRONG_STATE' });
  });

  it('a payment the owner rejected can still be approved later (recorded), and is paid once', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { ...open, approvalAbove: 0 });
    await oneOrder(h);
    await waitFor(async () => (await onlyPayment(h!)).status === 'AwaitingApproval', { what: 'awaiting approval' });
    const p = await onlyPayment(h);
    expect(await h.app.payments.decideApproval(p.id, { approve: false, actor: 'user:boss', note: '先等等' })).toBe('Rejected');
    expect(await h.app.payments.decideApproval(p.id, { approve: true, actor: 'user:boss', note: '核实过了，付吧' })).toBe('Paying');
    await waitFor(async () => (await onlyPayment(h!)).status === 'Paid', { what: 'paid' });
    expect(simPayments(h)).toEqual([p.amount]);
    expect(await onlyPayment(h)).toMatchObject({ approved_by: 'user:boss' });
    expect((await casesOf(h, 'PAYMENT_BLOCKED'))[0]).toMatchObject({ state: 'Resolved', resolution: 'approved_over_limits' });
  });

  it('switching supplier for a blocked payment: the old 1688 order is cancelled, its payment closed and its case settled; the new one is decided on its own', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { ...open, maxPerOrder: 1 });
    await oneOrder(h);
    await waitFor(async () => (await onlyPayment(h!)).status === 'Blocked', { what: 'blocked' });
    const first = await h.app.db.kysely
      .selectFrom('purchase_orders')
      .select(['id', 'supplier_id', 'supplier_order_id'])
      .executeTakeFirstOrThrow();
    // Past 1688's 10-second rule for closing an order.
    h.sandbox.alibaba.orders.get(first.supplier_order_id!)!.createdAt -= 60_000;
    expect(await h.app.placement.supplierStockOut(first.id)).toBe('Unwinding');
    await waitFor(async () => (await count(h!.app, 'payments')) === 2, { what: 're-placed and decided' });
    const cases = await casesOf(h, 'PAYMENT_BLOCKED');
    expect(cases.map((c) => [c.purchase_order_id === first.id, c.state, c.resolution])).toEqual([
      [true, 'Resolved', 'po_cancelled'],
      [false, 'Open', null],
    ]);
    expect(
      (await h.app.db.kysely.selectFrom('payments').select('status').where('purchase_order_id', '=', first.id).executeTakeFirstOrThrow())
        .status,
    ).toBe('Cancelled');
    expect(h.sandbox.alibaba.orders.get(first.supplier_order_id!)!.status).toBe('cancel');
    expect(simPayments(h)).toEqual([]);
  });

  it('the seller changes the price while a payment link waits: stopped before anyone pays; restored → the link payment goes on', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    await saveLimits(h.app.db, h.shop.id, { ...open, method1688: 'link' });
    await oneOrder(h);
    await waitFor(async () => (await onlyPayment(h!)).status === 'AwaitingPayer', { what: 'awaiting the payer' });
    const p = await onlyPayment(h);
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'supplier_order_id']).executeTakeFirstOrThrow();
    const raised = h.sandbox.alibaba.changePrice(po.supplier_order_id!, 800);
    await waitFor(async () => (await onlyPayment(h!)).status === 'Blocked', { what: 'stopped by the price change message' });
    expect((await onlyPayment(h)).block_cause).toBe('amount');
    const [c] = await casesOf(h, 'PRICE_CHANGED');
    expect(c!.message).toContain('请勿按链接付款');
    expect(JSON.parse(c!.data!)).toMatchObject({ total: raised, expected: p.amount });
    // Neither approval nor a link is given for it; a retry re-reads and says the price still differs.
    await expect(h.app.payments.decideApproval(p.id, { approve: true, actor: 'user:boss' })).rejects.toMatchObject({ code: 'WRONG_STATE' });
    expect((await h.app.payments.paymentLink([p.id], 'user:boss')).included).toEqual([]);
    await expect(retryCase(h.app, c!.id, 'user:boss')).rejects.toMatchObject({ code: 'LIMIT_REACHED' });
    expect(await count(h.app, 'cases', ['kind', '=', 'PRICE_CHANGED'])).toBe(1);

    h.sandbox.alibaba.changePrice(po.supplier_order_id!, -800);
    await waitFor(async () => (await onlyPayment(h!)).status === 'AwaitingPayer', { what: 'the link payment goes on' });
    expect((await casesOf(h, 'PRICE_CHANGED'))[0]).toMatchObject({ state: 'Resolved', resolution: 'amount_matches' });
    const link = await h.app.payments.paymentLink([p.id], 'user:boss');
    expect(link.included).toEqual([p.id]);
    expect(simPayments(h)).toEqual([]);
  });

  it('a price change before approval: the new price accepted (margin checked) is approved, paid once at the new total, and booked', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    await saveLimits(h.app.db, h.shop.id, { ...open, approvalAbove: 0 });
    await oneOrder(h);
    await waitFor(async () => (await onlyPayment(h!)).status === 'AwaitingApproval', { what: 'awaiting approval' });
    const p = await onlyPayment(h);
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'supplier_order_id']).executeTakeFirstOrThrow();
    const raised = h.sandbox.alibaba.changePrice(po.supplier_order_id!, 300);
    await waitFor(async () => (await onlyPayment(h!)).status === 'Blocked', { what: 'stopped' });
    const [c] = await casesOf(h, 'PRICE_CHANGED');
    expect(c!.message).toContain('毛利');
    // Approving the old amount is refused: the case decides the price.
    await expect(h.app.payments.decideApproval(p.id, { approve: true, actor: 'user:boss' })).rejects.toMatchObject({ code: 'WRONG_STATE' });

    expect(await acceptPrice(h.app.db, h.app.clock, { caseId: c!.id, actor: 'user:boss' })).toMatchObject({ amount: raised });
    // Still above the approval threshold: it waits for approval again, now at the new price.
    await waitFor(async () => (await onlyPayment(h!)).status === 'AwaitingApproval', { what: 'back in the approval queue' });
    expect((await onlyPayment(h)).amount).toBe(raised);
    expect(await h.app.payments.decideApproval(p.id, { approve: true, actor: 'user:boss' })).toBe('Paying');
    await waitFor(async () => (await onlyPayment(h!)).status === 'Paid', { what: 'paid' });
    expect(simPayments(h)).toEqual([raised]);
    const ledger = await h.app.db.kysely
      .selectFrom('ledger_entries')
      .select(['kind', 'amount'])
      .where('purchase_order_id', '=', po.id)
      .execute();
    expect(ledger.filter((e) => e.kind === 'supplier_paid').map((e) => Number(e.amount))).toEqual([-raised]);
    expect(ledger.filter((e) => e.kind === 'supplier_payable').reduce((s, e) => s + Number(e.amount), 0)).toBe(-raised);
    // Paid what was agreed: no "paid amount differs" case.
    expect(await count(h.app, 'cases', ['kind', '=', 'PAYMENT_BLOCKED'])).toBe(0);
    expect((await casesOf(h, 'PRICE_CHANGED'))[0]).toMatchObject({ state: 'Resolved' });
  });

  it('a price change while the payment waits for its paying hours: the purchase order stops with a case before any payment is decided', async () => {
    h = await startHarness();
    await enableSourcing(h, { messages: true });
    await saveLimits(h.app.db, h.shop.id, { ...open, payHours: payHoursFromNow(120, 180) });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'order_events', ['event', '=', 'po.payment_deferred'])) === 1, { what: 'deferred' });
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'supplier_order_id']).executeTakeFirstOrThrow();
    h.sandbox.alibaba.changePrice(po.supplier_order_id!, -200);
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PRICE_CHANGED'])) === 1, { what: 'price case' });
    const state = await h.app.db.kysely.selectFrom('purchase_orders').select('state').where('id', '=', po.id).executeTakeFirstOrThrow();
    expect(state.state).toBe('NeedsAttention');
    // When the paying window opens, nothing is paid for a purchase order that needs attention.
    expect(await h.app.payments.pay(po.id)).toBe('NeedsAttention');
    expect(await count(h.app, 'payments')).toBe(0);
    // The discount accepted: what is owed (booked at placement) follows it; the payment waits for its window again.
    const [c] = await casesOf(h, 'PRICE_CHANGED');
    const cut = JSON.parse(c!.data!).total as number;
    await acceptPrice(h.app.db, h.app.clock, { caseId: c!.id, actor: 'user:boss' });
    const payable = await h.app.db.kysely
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.sum<number>('amount').as('s'))
      .where('purchase_order_id', '=', po.id)
      .where('kind', '=', 'supplier_payable')
      .executeTakeFirstOrThrow();
    expect(-Number(payable.s)).toBe(cut);
    expect(await h.app.payments.pay(po.id)).toBe('Deferred');
  });
});
