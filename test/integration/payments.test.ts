import { afterEach, describe, expect, it } from 'vitest';
import { formatYuan } from '../../src/domain/money.js';
import { saveLimits } from '../../src/payments/limits.js';
import { count, enableSourcing, payHoursFromNow, scale, startHarness, waitFor, type Harness } from '../helpers/harness.js';

describe('paying suppliers (1688 password-free pay)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const simPayments = (hh: Harness) => [...hh.sandbox.alibaba.orders.values()].map((o) => o.payments.length);
  const ledgerVsSim = async (hh: Harness) => {
    const paidOut = await hh.app.db.kysely
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.sum<number>('amount').as('s'))
      .where('kind', '=', 'supplier_paid')
      .executeTakeFirstOrThrow();
    const taken = [...hh.sandbox.alibaba.orders.values()].flatMap((o) => o.payments).reduce((s, p) => s + p.amount, 0);
    return { ledger: -Number(paidOut.s ?? 0), simulator: taken };
  };

  it('placed purchase orders are paid automatically within the limits; ledger and simulator agree to the fen', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { maxPerOrder: 100_000, maxPerDay: 2_000_000, minMargin: -100_000, approvalAbove: 30_000 });
    h.sandbox.wechat.generate(h.creds.appId, { count: 8, requestRate: 0, multiLineRate: 0.4 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 8, {
      timeoutMs: 60_000,
      what: 'all paid',
    });
    expect(simPayments(h).every((n) => n === 1)).toBe(true);
    const m = await ledgerVsSim(h);
    expect(m.ledger).toBe(m.simulator);
    expect(m.ledger).toBeGreaterThan(0);
    const so = await h.app.db.kysely.selectFrom('shop_orders').select('id').executeTakeFirstOrThrow();
    const { orderDetail } = await import('../../src/orders/queries.js');
    const d = await orderDetail(h.app.db, so.id);
    expect(d.ledger.entries.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['buyer_paid', 'supplier_paid']));
    expect(d.ledger.profit).toBe(
      d.amounts.orderPrice +
        d.ledger.entries
          .filter((e: { kind: string }) => e.kind === 'supplier_paid')
          .reduce((s: number, e: { amount: number }) => s + e.amount, 0),
    );
  });

  it('paySuccess:false although the money was taken → re-read shows paid → paid exactly once', async () => {
    h = await startHarness({ alibaba: { payAnswerWrongRate: 1 } });
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 3, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 3, { what: 'paid' });
    expect(simPayments(h)).toEqual([1, 1, 1]);
    expect(h.sandbox.alibaba.calls.get('alibaba.trade.pay.protocolPay.preparePay')).toBe(3);
  });

  it(`lost pay answers (20%) → every purchase order paid exactly once; ledger equals the money taken`, async () => {
    const N = scale(100);
    h = await startHarness({
      alibaba: { payResponseLostRate: 0.2 },
      concurrency: 16,
      api: { decodeDailyQuota: 1_000_000 },
      env: { DAIFA_DECODE_DAILY_QUOTA: '1000000' },
    });
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, {
      maxPerOrder: 1_000_000,
      maxPerDay: 100_000_000,
      minMargin: -1_000_000,
      approvalAbove: 1_000_000,
    });
    h.sandbox.wechat.generate(h.creds.appId, { count: N, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === N, { timeoutMs: 240_000, what: 'all paid' });
    expect(simPayments(h).filter((n) => n !== 1)).toEqual([]);
    const m = await ledgerVsSim(h);
    expect(m.ledger).toBe(m.simulator);
  }, 300_000);

  it('the daily cap counts what this shop already paid today', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, {
      maxPerOrder: 1_000_000,
      maxPerDay: 100_000_000,
      minMargin: -1_000_000,
      approvalAbove: 1_000_000,
    });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'first order paid' });
    const first = await h.app.db.kysely.selectFrom('payments').select(['amount', 'shop_id']).executeTakeFirstOrThrow();
    expect(Number(first.shop_id)).toBe(h.shop.id);
    // Today's cap is exactly what was paid: any further payment would exceed it.
    await saveLimits(h.app.db, h.shop.id, {
      maxPerOrder: 1_000_000,
      maxPerDay: Number(first.amount),
      minMargin: -1_000_000,
      approvalAbove: 1_000_000,
    });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Blocked'])) === 1, {
      what: 'second payment blocked by the daily cap',
    });
    const blocked = await h.app.db.kysely.selectFrom('payments').select('reason').where('status', '=', 'Blocked').executeTakeFirstOrThrow();
    expect(blocked.reason).toContain(`今日已付 ${formatYuan(Number(first.amount))}`);
    expect(simPayments(h).filter((n) => n > 0)).toHaveLength(1);
  });

  it('the daily cap holds when payments of one shop are decided at the same moment (PostgreSQL runs them in parallel)', async () => {
    h = await startHarness();
    await enableSourcing(h);
    // Outside paying hours the purchase orders are placed and wait, with no payment decided yet.
    const open = { maxPerOrder: 1_000_000, minMargin: -1_000_000, approvalAbove: 1_000_000 };
    await saveLimits(h.app.db, h.shop.id, { ...open, maxPerDay: 100_000_000, payHours: payHoursFromNow(120, 180) });
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'order_events', ['event', '=', 'po.payment_deferred'])) === 2, {
      what: 'both deferred',
    });
    const pos = await h.app.db.kysely
      .selectFrom('purchase_orders')
      .select(['id', 'supplier_amount', 'expected_amount'])
      .orderBy('id')
      .execute();
    const amounts = pos.map((p) => Number(p.supplier_amount ?? p.expected_amount));
    // Either payment fits today's cap alone, never both together.
    const cap = Math.max(...amounts);
    await saveLimits(h.app.db, h.shop.id, { ...open, maxPerDay: cap });
    const outcomes = await Promise.all(pos.map((p) => h!.app.payments.pay(p.id)));
    expect(outcomes.filter((o) => o === 'Blocked')).toHaveLength(1);
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'the one that fits paid' });
    const going = await h.app.db.kysely
      .selectFrom('payments')
      .select((eb) => eb.fn.sum<number>('amount').as('s'))
      .where('status', 'in', ['Paying', 'AwaitingPayer', 'Paid'])
      .executeTakeFirstOrThrow();
    expect(Number(going.s)).toBeLessThanOrEqual(cap);
    expect(simPayments(h).filter((n) => n > 0)).toHaveLength(1);
  });

  it('above the threshold payments wait for approval; approve pays, reject opens a case; caps and the margin floor block', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { maxPerOrder: 1_000_000, maxPerDay: 100_000_000, minMargin: -1_000_000, approvalAbove: 0 });
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingApproval'])) === 2, { what: 'approval queue' });
    expect(simPayments(h)).toEqual([0, 0]);
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'payment_awaiting_approval'])) >= 2, { what: 'alerts' });
    const [a, b] = await h.app.db.kysely.selectFrom('payments').select('id').orderBy('id').execute();
    expect(await h.app.payments.decideApproval(a!.id, { approve: true, actor: 'user:boss' })).toBe('Paying');
    expect(await h.app.payments.decideApproval(b!.id, { approve: false, actor: 'user:boss', note: '价格太高' })).toBe('Rejected');
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'approved paid' });
    expect(
      (await h.app.db.kysely.selectFrom('payments').select(['approved_by']).where('id', '=', a!.id).executeTakeFirstOrThrow()).approved_by,
    ).toBe('user:boss');
    expect(await count(h.app, 'cases', ['kind', '=', 'PAYMENT_BLOCKED'])).toBe(1);
    await expect(h.app.payments.decideApproval(a!.id, { approve: true, actor: 'user:boss' })).rejects.toMatchObject({
      code: 'WRONG_STATE',
    });

    await saveLimits(h.app.db, h.shop.id, { maxPerOrder: 1, maxPerDay: 100_000_000, minMargin: -1_000_000, approvalAbove: 1_000_000 });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Blocked'])) === 1, { what: 'blocked by cap' });
    const blocked = await h.app.db.kysely.selectFrom('payments').select('reason').where('status', '=', 'Blocked').executeTakeFirstOrThrow();
    expect(blocked.reason).toContain('单笔上限');
    expect(simPayments(h).reduce((s, n) => s + n, 0)).toBe(1);
  });

  it('an attempt is claimed only when its call goes out: waiting for a rate slot costs none (a crash while waiting would have)', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { maxPerOrder: 1_000_000, maxPerDay: 100_000_000, minMargin: -1_000_000, approvalAbove: 0 });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingApproval'])) === 1, { what: 'approval queue' });
    // From now on every 1688 call waits 1.5 s for its slot of the app's request rate.
    const limiter = (h.app.alibaba as unknown as { limiter: { take(): Promise<void> } }).limiter;
    limiter.take = () => new Promise((r) => setTimeout(r, 1_500));
    const payment = await h.app.db.kysely.selectFrom('payments').select('id').executeTakeFirstOrThrow();
    expect(await h.app.payments.decideApproval(payment.id, { approve: true, actor: 'user:boss' })).toBe('Paying');
    // How long the recorded attempts ran ahead of the pay calls 1688 received: a claim made before the wait
    // for the slot ran ~1.5 s ahead, and a crash in that time would have cost an attempt that never reached 1688.
    const calls = () => h!.sandbox.alibaba.calls.get('alibaba.trade.pay.protocolPay.preparePay') ?? 0;
    let ahead = 0;
    let since: number | undefined;
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      const row = await h.app.db.kysely
        .selectFrom('payments')
        .select(['attempts', 'status'])
        .where('id', '=', payment.id)
        .executeTakeFirstOrThrow();
      if (row.attempts > calls()) {
        since ??= Date.now();
        ahead = Math.max(ahead, Date.now() - since);
      } else since = undefined;
      if (row.status === 'Paid') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(
      await h.app.db.kysely.selectFrom('payments').select(['status', 'attempts']).where('id', '=', payment.id).executeTakeFirstOrThrow(),
    ).toEqual({ status: 'Paid', attempts: 1 });
    expect(ahead).toBeLessThan(750);
    expect(simPayments(h)).toEqual([1]);
  });

  it('an unsigned password-free agreement → payment fails visibly, nothing taken', async () => {
    h = await startHarness({ alibaba: { protocolSigned: false } });
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PAYMENT_FAILED'])) === 1, { what: 'failed' });
    expect(
      (await h.app.db.kysely.selectFrom('cases').select('message').where('kind', '=', 'PAYMENT_FAILED').executeTakeFirstOrThrow()).message,
    ).toContain('免密支付协议');
    expect(simPayments(h)).toEqual([0]);
  });
});
