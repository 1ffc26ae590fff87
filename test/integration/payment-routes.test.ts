import ExcelJS from 'exceljs';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { saveLimits } from '../../src/payments/limits.js';
import { reconcile } from '../../src/payments/ledger.js';
import { cnDate } from '../../src/notify/settings.js';
import {
  callApi,
  count,
  enableSourcing,
  onlySupplier,
  payHoursFromNow,
  startHarness,
  tokenFor,
  waitFor,
  type Harness,
} from '../helpers/harness.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('sandbox transfer receipt')]);
const PDF = Buffer.from('%PDF-1.4\n% bank receipt\n%%EOF\n');
const open = { maxPerOrder: 10_000_000, maxPerDay: 1_000_000_000, minMargin: -10_000_000, approvalAbove: 10_000_000 };

describe('payment links, bank transfers with vouchers, paying hours', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });
  const simPaid = (hh: Harness) => [...hh.sandbox.alibaba.orders.values()].map((o) => o.payments.length);

  it('payment link: a person pays at the 1688 cashier; Daifa marks paid only after re-reading 1688; the trade record is kept as a voucher', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { ...open, method1688: 'link' });
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 3, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingPayer'])) === 3, { what: 'awaiting a payer' });
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'payment_due'])) === 3, { what: 'payment_due alerts' });
    const ids = (await h.app.db.kysely.selectFrom('payments').select('id').orderBy('id').execute()).map((p) => p.id);

    expect(
      (await callApi(h, 'POST', '/api/payments/link', owner, { paymentIds: Array.from({ length: 101 }, (_, i) => i + 1) })).status,
    ).toBe(400);
    const link = await callApi(h, 'POST', '/api/payments/link', owner, { paymentIds: ids });
    expect(link.status).toBe(200);
    expect(link.body.included).toEqual(ids);
    expect(link.body.payUrl).toMatch(/\/sandbox\/1688\/cashier\?orderId=\d+;\d+;\d+$/);
    // A link is not a payment: re-reading shows unpaid, nothing is marked.
    expect((await callApi(h, 'POST', `/api/payments/${ids[0]}/check`, owner)).body.status).toBe('AwaitingPayer');
    expect(simPaid(h)).toEqual([0, 0, 0]);
    expect(await count(h.app, 'ledger_entries', ['kind', '=', 'supplier_paid'])).toBe(0);

    // The person opens the link (the cashier page) and pays.
    expect(await (await fetch(link.body.payUrl)).text()).toContain('1688 收银台');
    const orderIds = new URL(link.body.payUrl).searchParams.get('orderId')!;
    const paid = (await (
      await fetch(`${h.sandbox.url}/sandbox/1688/cashier/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `orderId=${encodeURIComponent(orderIds)}`,
      })
    ).json()) as { paid: string[] };
    expect(paid.paid).toHaveLength(3);
    for (const id of ids) expect((await callApi(h, 'POST', `/api/payments/${id}/check`, owner)).body.status).toBe('Paid');
    expect(simPaid(h)).toEqual([1, 1, 1]);
    expect(await count(h.app, 'shop_orders', ['state', '=', 'Fulfilling'])).toBe(3);
    const ledger = await h.app.db.kysely
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.sum<number>('amount').as('s'))
      .where('kind', '=', 'supplier_paid')
      .executeTakeFirstOrThrow();
    expect(-Number(ledger.s)).toBe([...h.sandbox.alibaba.orders.values()].reduce((s, o) => s + o.payments[0]!.amount, 0));
    const vouchers = await callApi(h, 'GET', `/api/payments/${ids[0]}/vouchers`, owner);
    expect(vouchers.body.vouchers).toHaveLength(1);
    expect(vouchers.body.vouchers[0]).toMatchObject({
      kind: 'trade-record',
      mime: 'application/json',
      supplier_trade_id: expect.stringMatching(/^2026\d{24}$/),
    });
    const file = await callApi(h, 'GET', `/api/vouchers/${vouchers.body.vouchers[0].id}`, owner);
    expect(createHash('sha256').update(file.bytes).digest('hex')).toBe(vouchers.body.vouchers[0].sha256);
    // Checked again after paying: still exactly one payment each.
    expect(link.body.refused).toEqual([]);
    expect(
      (await callApi(h, 'POST', '/api/payments/link', owner, { paymentIds: ids })).body.refused.map((r: { reason: string }) => r.reason),
    ).toEqual(['付款状态为 Paid', '付款状态为 Paid', '付款状态为 Paid']);
  });

  it('a failed payment is retried from its case once the cause is fixed: 1688 is re-read first, paid once, the case settled; the calls made stay counted', async () => {
    h = await startHarness({ alibaba: { balance: 0 } });
    await enableSourcing(h);
    const operator = await tokenFor(h, 'operator');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const c = await waitFor(
      () => h!.app.db.kysely.selectFrom('cases').selectAll().where('kind', '=', 'PAYMENT_FAILED').executeTakeFirst(),
      { what: 'failed: balance too low' },
    );
    expect(c.message).toContain('余额不足');
    expect(JSON.parse(c.actions)).toContain('retry');
    const before = await h.app.db.kysely.selectFrom('payments').select(['id', 'status', 'attempts', 'max_calls']).executeTakeFirstOrThrow();
    expect(before).toMatchObject({ status: 'Failed', attempts: 1, max_calls: 3 });
    expect(simPaid(h)).toEqual([0]);
    // The merchant tops up the 1688 balance and retries (some time later: no pay call overlaps one made less than
    // the 20-second pay lease ago).
    h.sandbox.alibaba.knobs.balance = Number.POSITIVE_INFINITY;
    await h.app.db.kysely
      .updateTable('payments')
      .set((eb) => ({ updated_at: eb('updated_at', '-', 20_000) }))
      .execute();
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/retry`, operator)).body).toEqual({ kind: 'PAYMENT_FAILED', outcome: 'Paying' });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Paid'])) === 1, { what: 'paid after the retry' });
    expect(simPaid(h)).toEqual([1]);
    expect(await h.app.db.kysely.selectFrom('payments').select(['attempts', 'max_calls']).executeTakeFirstOrThrow()).toEqual({
      attempts: 2,
      max_calls: 4,
    });
    expect(
      await h.app.db.kysely.selectFrom('cases').select(['state', 'resolution']).where('id', '=', c.id).executeTakeFirstOrThrow(),
    ).toEqual({ state: 'Resolved', resolution: 'paid' });
    const retried = await h.app.db.kysely
      .selectFrom('order_events')
      .select(['actor', 'note'])
      .where('event', '=', 'po.payment_retried')
      .executeTakeFirstOrThrow();
    expect(retried.actor).toMatch(/^user:operator/);
    expect(retried.note).toContain('此前已调用 1 次');
    // Nothing failed any more: a second retry is refused and pays nothing.
    expect((await callApi(h, 'POST', `/api/cases/${c.id}/retry`, operator)).status).toBe(409);
    await expect(
      h.app.payments.retryFailed((await h.app.db.kysely.selectFrom('purchase_orders').select('id').executeTakeFirstOrThrow()).id, 'user:x'),
    ).rejects.toMatchObject({ code: 'WRONG_STATE' });
    expect(simPaid(h)).toEqual([1]);
  });

  it('password-free pay not signed → failed case → pay by link instead → paid once, the case settled', async () => {
    h = await startHarness({ alibaba: { protocolSigned: false } });
    await enableSourcing(h);
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'Failed'])) === 1, { what: 'failed' });
    const pay = await h.app.db.kysely.selectFrom('payments').selectAll().executeTakeFirstOrThrow();
    const r = await h.app.payments.paymentLink([pay.id], 'user:boss');
    expect(r.payUrl).toBeTruthy();
    h.sandbox.alibaba.payAtCashier([...h.sandbox.alibaba.orders.keys()]);
    expect(await h.app.payments.checkNow(pay.id)).toBe('Paid');
    expect(simPaid(h)).toEqual([1]);
    expect(
      await h.app.db.kysely
        .selectFrom('cases')
        .select(['state', 'resolution'])
        .where('kind', '=', 'PAYMENT_FAILED')
        .executeTakeFirstOrThrow(),
    ).toEqual({ state: 'Resolved', resolution: 'paid' });
    expect((await h.app.db.kysely.selectFrom('purchase_orders').select('state').executeTakeFirstOrThrow()).state).toBe('Paid');
  });

  it('bank transfer to a direct supplier: voucher upload (refusals leave nothing changed), amount to the fen, recorded once', async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    await saveLimits(h.app.db, h.shop.id, open);
    const owner = await tokenFor(h, 'owner');
    const viewer = await tokenFor(h, 'viewer');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingPayer'])) === 1, { what: 'manual payment due' });
    const pay = await h.app.db.kysely.selectFrom('payments').selectAll().executeTakeFirstOrThrow();
    expect(pay.method).toBe('manual');
    const up = (body: Buffer, type: string, token = owner) =>
      callApi(h!, 'POST', `/api/payments/${pay.id}/vouchers?fileName=${encodeURIComponent('转账回单.png')}`, token, body, {
        'content-type': type,
      });

    // Recording without a voucher, with a wrong amount, or as a 1688 payment is refused.
    const rec = (b: unknown) => callApi(h!, 'POST', `/api/payments/${pay.id}/record`, owner, b);
    expect((await rec({ amount: pay.amount, paidAt: Date.now(), reference: 'BANK-001' })).body.error.message).toContain('请先上传付款凭证');
    const first = await up(PNG, 'image/png');
    expect(first.status).toBe(201);
    expect(first.body.sha256).toBe(createHash('sha256').update(PNG).digest('hex'));
    // Refusals: empty, not an image/PDF, content not what it claims, too large, not allowed for a viewer.
    const refusals = [
      await up(Buffer.alloc(0), 'image/png'),
      await up(Buffer.from('hello'), 'text/plain'),
      await up(PDF, 'image/png'),
      await up(Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]), 'image/png'),
      await up(PNG, 'image/png', viewer),
    ];
    expect(refusals.map((r) => r.status)).toEqual([400, 415, 415, 413, 403]);
    expect(refusals[0]!.body.error.message).toContain('为空');
    expect(refusals[1]!.body.error.message).toContain('PNG、JPEG、WebP');
    expect(refusals[2]!.body.error.message).toContain('PDF');
    expect(refusals[3]!.body.error.message).toContain('超过上限');
    // Nothing already stored was touched; the same file again is the same voucher; a PDF is a second one.
    expect((await up(PNG, 'image/png')).body).toMatchObject({ id: first.body.id, created: false });
    expect((await up(PDF, 'application/pdf')).status).toBe(201);
    const list = (await callApi(h, 'GET', `/api/payments/${pay.id}/vouchers`, owner)).body.vouchers;
    expect(list.map((v: { mime: string; size: number }) => [v.mime, v.size])).toEqual([
      ['image/png', PNG.length],
      ['application/pdf', PDF.length],
    ]);
    expect((await callApi(h, 'GET', `/api/vouchers/${first.body.id}`, owner)).bytes.equals(PNG)).toBe(true);

    const wrong = await rec({ amount: pay.amount + 1, paidAt: Date.now(), reference: 'BANK-001' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.message).toContain('精确到分');
    const ok = await rec({ amount: pay.amount, paidAt: '2026-11-26T10:00:00+08:00', reference: 'BANK-001' });
    expect(ok.body.status).toBe('Paid');
    expect((await rec({ amount: pay.amount, paidAt: Date.now(), reference: 'BANK-001' })).status).toBe(409);
    const row = await h.app.db.kysely.selectFrom('payments').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: 'Paid',
      reference: 'BANK-001',
      supplier_trade_id: 'BANK-001',
      paid_at: Date.parse('2026-11-26T10:00:00+08:00'),
    });
    expect(row.recorded_by).toMatch(/^user:owner-/);
    const entries = await h.app.db.kysely
      .selectFrom('ledger_entries')
      .select(['kind', 'amount'])
      .where('kind', 'in', ['supplier_paid', 'supplier_payable'])
      .orderBy('id')
      .execute();
    expect(entries).toEqual([
      { kind: 'supplier_payable', amount: -pay.amount },
      { kind: 'supplier_paid', amount: -pay.amount },
    ]);
    expect((await h.app.db.kysely.selectFrom('shop_orders').select('state').executeTakeFirstOrThrow()).state).toBe('Fulfilling');
    const soId = (await h.app.db.kysely.selectFrom('shop_orders').select('id').executeTakeFirstOrThrow()).id;
    const detail = (await callApi(h, 'GET', `/api/orders/${soId}`, owner)).body;
    expect(detail.ledger.payableOutstanding).toBe(0);
    expect(detail.payments[0].vouchers).toHaveLength(2);
  });

  it('paying hours: outside the window the payment waits (nothing paid, the wait recorded); inside it, it goes out', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, { ...open, payHours: payHoursFromNow(120, 180) });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(
      async () =>
        (await h!.app.db.kysely.selectFrom('order_events').select('id').where('event', '=', 'po.payment_deferred').executeTakeFirst()) !==
        undefined,
      { what: 'deferred' },
    );
    expect(await count(h.app, 'payments')).toBe(0);
    expect(simPaid(h)).toEqual([0]);
    const waiting = await h.app.db.kysely
      .selectFrom('jobs')
      .select(['run_at', 'status'])
      .where('kind', '=', 'po.pay')
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    expect(waiting.run_at - Date.now()).toBeGreaterThan(100 * 60_000);
    // The window opens (the merchant widens it): the waiting job pays.
    await saveLimits(h.app.db, h.shop.id, { ...open, payHours: payHoursFromNow(-10, 60) });
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select('id').executeTakeFirstOrThrow();
    expect(await h.app.payments.pay(po.id)).toBe('Paid');
    expect(simPaid(h)).toEqual([1]);
  });

  it('reconciliation: a clean run has no unexplained difference; injected price rises are listed, re-checked against the margin, and explained once accepted', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 4, requestRate: 0, multiLineRate: 0.5 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 4, { what: 'clean run paid' });
    const day = cnDate(Date.now());
    const clean = await reconcile(h.app.db, { day });
    expect(clean.unexplained).toEqual([]);
    expect(clean.totals.supplierPayments).toBe([...h.sandbox.alibaba.orders.values()].reduce((s, o) => s + o.payments[0]!.amount, 0));
    expect(clean.totals.supplierPayments).toBe(clean.totals.ledgerSupplierPaid);

    // Sellers raise prices between preview and create: 2 more orders, each purchase order blocked with a case.
    h.sandbox.alibaba.knobs.priceRiseFen = 150;
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PRICE_CHANGED'])) === 2, { what: 'price cases' });
    const cases = await h.app.db.kysely.selectFrom('cases').selectAll().where('kind', '=', 'PRICE_CHANGED').orderBy('id').execute();
    expect(cases[0]!.message).toMatch(/按新价格毛利 ¥[\d.]+（下限 ¥-?[\d.]+）：仍可接受/);
    const rep = (await callApi(h, 'GET', `/api/money/reconciliation?day=${day}`, owner)).body;
    expect(rep.unexplained.map((d: { kind: string }) => d.kind)).toEqual(['PRICE_CHANGED', 'PRICE_CHANGED']);
    for (const d of rep.unexplained)
      expect(d.actual - d.expected).toBe(
        150 *
          (
            await h.app.db.kysely
              .selectFrom('purchase_order_lines')
              .select((eb) => eb.fn.sum<number>('quantity').as('q'))
              .where('purchase_order_id', '=', d.purchaseOrderId)
              .executeTakeFirstOrThrow()
          ).q,
      );
    expect(simPaid(h).filter((n) => n === 0)).toHaveLength(2); // blocked: not paid

    // Accepting re-checks the margin: with a floor above the margin it is refused; within it, paid at the new price.
    await saveLimits(h.app.db, h.shop.id, { ...open, minMargin: 10_000_000 });
    expect((await callApi(h, 'POST', `/api/cases/${cases[0]!.id}/accept-price`, owner, {})).body.error.message).toContain('低于下限');
    await saveLimits(h.app.db, h.shop.id, open);
    const accepted = await callApi(h, 'POST', `/api/cases/${cases[0]!.id}/accept-price`, owner, { note: '供应商涨价，仍有利润' });
    expect(accepted.body.status).toBe('Placed');
    await waitFor(
      async () =>
        (
          await h!.app.db.kysely
            .selectFrom('payments')
            .select('status')
            .where('purchase_order_id', '=', cases[0]!.purchase_order_id!)
            .executeTakeFirst()
        )?.status === 'Paid',
      { what: 'accepted price paid' },
    );
    const after = await reconcile(h.app.db, { day });
    expect(after.unexplained.map((d) => d.purchaseOrderId)).toEqual([cases[1]!.purchase_order_id]);
    expect(after.explained).toHaveLength(1);
    expect(after.explained[0]!.explanation).toContain('accept_price');
    const paidPo = await h.app.db.kysely
      .selectFrom('payments')
      .select('amount')
      .where('purchase_order_id', '=', cases[0]!.purchase_order_id!)
      .executeTakeFirstOrThrow();
    expect(paidPo.amount).toBe(accepted.body.amount);

    // Exports: CSV and .xlsx carry the same differences.
    const csv = (await callApi(h, 'GET', `/api/money/reconciliation?day=${day}&format=csv`, owner)).bytes.toString('utf8');
    expect(csv.split('\r\n').filter((l) => l.startsWith('PRICE_CHANGED'))).toHaveLength(2);
    const xlsx = await callApi(h, 'GET', `/api/money/reconciliation?day=${day}&format=xlsx`, owner);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.bytes as unknown as ArrayBuffer);
    expect(wb.getWorksheet('差异')!.rowCount).toBe(3);
    expect(String(wb.getWorksheet('汇总')!.getRow(10).getCell(2).value)).toBe('1');
  });

  it('ledger: refunds both ways and corrections are new entries with checked signs; profit per day', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 1, { what: 'paid' });
    const so = await h.app.db.kysely.selectFrom('shop_orders').select(['id', 'order_price']).executeTakeFirstOrThrow();
    const add = (b: unknown) => callApi(h!, 'POST', `/api/orders/${so.id}/ledger`, owner, b);
    expect((await add({ kind: 'refund_to_buyer', amount: 500, note: '部分退款', ref: 'AS-0' })).body.error.message).toContain('负数');
    expect((await add({ kind: 'refund_from_supplier', amount: -500, note: '供应商退款', ref: 'TK-0' })).status).toBe(400);
    // Without a key (ref or Idempotency-Key) a money entry is refused: a double click would book it twice.
    expect((await add({ kind: 'correction', amount: -7, note: '手续费' })).body.error.fields[0].field).toBe('ref');
    expect((await add({ kind: 'refund_to_buyer', amount: -500, note: '买家部分退款', ref: 'AS-1' })).body.created).toBe(true);
    expect((await add({ kind: 'refund_to_buyer', amount: -500, note: '买家部分退款', ref: 'AS-1' })).body.created).toBe(false); // idempotent
    expect((await add({ kind: 'refund_from_supplier', amount: 300, note: '供应商退差价', ref: 'TK-20261207-1' })).status).toBe(200);
    expect(
      (
        await callApi(
          h,
          'POST',
          `/api/orders/${so.id}/ledger`,
          owner,
          { kind: 'correction', amount: -7, note: '手续费' },
          { 'idempotency-key': 'fee-2026-12-07' },
        )
      ).status,
    ).toBe(200);
    const d = (await callApi(h, 'GET', `/api/orders/${so.id}`, owner)).body;
    expect(d.ledger).toMatchObject({ revenue: so.order_price, refundsToBuyer: 500, refundsFromSuppliers: 300, corrections: -7 });
    expect(d.ledger.profit).toBe(so.order_price - d.ledger.supplierPaid - 500 + 300 - 7);
    const day = cnDate(Date.now());
    const daily = (await callApi(h, 'GET', `/api/money/daily?from=${day}&to=${day}`, owner)).body.days;
    expect(daily).toEqual([expect.objectContaining({ day, profit: d.ledger.profit, revenue: so.order_price })]);
    expect((await callApi(h, 'GET', '/api/money/daily?from=2026-1-1&to=x', owner)).status).toBe(400);
  });
});
