import { afterEach, describe, expect, it } from 'vitest';
import { createUser, issueToken } from '../../src/security/accounts.js';
import { saveLimits } from '../../src/payments/limits.js';
import { callApi, count, onlySupplier, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

/** The other two routes: a direct supplier by e-mail (thread kept) and WeChat Shop's native dropship. */
describe('purchase routes: e-mail and WeChat dropship', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('direct supplier by e-mail: a clear Chinese purchase order with the real address goes out once; the thread keeps it masked; replies are recorded', async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(order!.orderId)!.notes = '请发顺丰';
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('purchase_orders').select('state').executeTakeFirst())?.state === 'Placed',
      { what: 'placed by e-mail' },
    );
    expect(h.sandbox.smtp.messages).toHaveLength(1);
    const mail = h.sandbox.smtp.messages[0]!;
    expect(mail.to).toEqual(['factory@example.com']);
    expect(mail.subject).toMatch(/^【采购单 DF\d+N1】一件代发订单，请发货$/);
    expect(mail.text).toContain(order!.address.detail); // the supplier needs the real address…
    expect(mail.text).toContain(order!.address.userName);
    expect(mail.text).toContain('请发顺丰');
    const thread = await h.app.db.kysely.selectFrom('po_messages').selectAll().execute();
    expect(thread).toHaveLength(1);
    expect(thread[0]!.body).not.toContain(order!.address.detail); // …but the stored thread keeps it masked
    expect(thread[0]!.body).toContain('****');
    expect((await h.app.db.kysely.selectFrom('decode_log').select('destination').executeTakeFirstOrThrow()).destination).toContain(
      'factory@example.com',
    );
    // The worker re-running the job never sends a second e-mail.
    const po = await h.app.db.kysely.selectFrom('purchase_orders').selectAll().executeTakeFirstOrThrow();
    await h.app.placement.place(po.id);
    expect(h.sandbox.smtp.messages).toHaveLength(1);

    const now = Date.now();
    const token = await issueToken(
      h.app.db,
      await createUser(h.app.db, { username: 'op', password: 'operator-pass', role: 'operator' }, now),
      't',
      now,
    );
    const res = await fetch(`${h.url}/api/purchase-orders/${po.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: '已接单，订单号 HZ20261126-88', supplierOrderId: 'HZ20261126-88' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { thread: number }).thread).toBe(2);
    expect(
      (await h.app.db.kysely.selectFrom('purchase_orders').select('supplier_order_id').executeTakeFirstOrThrow()).supplier_order_id,
    ).toBe('HZ20261126-88');
  });

  it("direct supplier: 催发货 by e-mail in the thread, once a day; the supplier's reply is recorded in the same thread", async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('purchase_orders').select('state').executeTakeFirst())?.state === 'Placed',
      { what: 'placed by e-mail' },
    );
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'out_order_id']).executeTakeFirstOrThrow();
    const now = Date.now();
    const token = await issueToken(
      h.app.db,
      await createUser(h.app.db, { username: 'op', password: 'operator-pass', role: 'operator' }, now),
      't',
      now,
    );
    const urge = () =>
      fetch(`${h!.url}/api/purchase-orders/${po.id}/expedite`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.json() as Promise<{ ok: boolean; message: string }>,
      );
    expect(await urge()).toEqual({ ok: true, message: '已邮件催发货' });
    expect(h.sandbox.smtp.messages).toHaveLength(2);
    const mail = h.sandbox.smtp.messages[1]!;
    expect(mail.subject).toBe(`【采购单 ${po.out_order_id}】催发货：请尽快发货`);
    expect(mail.raw).toMatch(new RegExp(`In-Reply-To: <${po.out_order_id}\\.${po.id}@daifa\\.local>`));
    expect((await urge()).message).toContain('今天已邮件催过发货');
    expect(h.sandbox.smtp.messages).toHaveLength(2);
    const reply = await fetch(`${h.url}/api/purchase-orders/${po.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: '明天上午发出，顺丰' }),
    });
    expect(((await reply.json()) as { thread: number }).thread).toBe(3);
    const events = (
      await h.app.db.kysely
        .selectFrom('order_events')
        .select('event')
        .where('entity_type', '=', 'purchase_order')
        .where('entity_id', '=', po.id)
        .execute()
    ).map((e) => e.event);
    expect(events.filter((e) => e === 'po.expedited')).toHaveLength(1);

    // 联系供应商: a person's own message goes in the same thread, once for the same text.
    const contact = (body: unknown) =>
      fetch(`${h!.url}/api/purchase-orders/${po.id}/contact`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await contact({ body: ' ' })).status).toBe(400);
    expect(await (await contact({ body: '买家申请部分退款：第 2 件请不要发出\n其余照常' })).json()).toEqual({
      sent: true,
      message: '已邮件联系供应商',
    });
    expect(h.sandbox.smtp.messages).toHaveLength(3);
    const note = h.sandbox.smtp.messages[2]!;
    expect(note.subject).toBe(`【采购单 ${po.out_order_id}】买家申请部分退款：第 2 件请不要发出`);
    expect(note.raw).toMatch(new RegExp(`In-Reply-To: <${po.out_order_id}\\.${po.id}@daifa\\.local>`));
    await contact({ body: '买家申请部分退款：第 2 件请不要发出\n其余照常' });
    expect(h.sandbox.smtp.messages).toHaveLength(3);
    const thread = (await (
      await fetch(`${h.url}/api/purchase-orders/${po.id}/messages`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { messages: { direction: string; body: string }[] };
    expect(thread.messages.at(-1)).toMatchObject({ direction: 'out', body: expect.stringContaining('其余照常') });
  });

  it('a purchase e-mail whose answer was lost is neither resent nor counted as sent: a person checks the outbox — sent → paid on; not sent → sent again, once', async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    const op = await tokenFor(h, 'operator');
    // The server takes the message, then the connection drops before its answer.
    h.sandbox.smtp.loseAnswer = true;
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'PLACEMENT_FAILED'])) === 2, {
      what: 'two unknown outcomes',
      timeoutMs: 60_000,
    });
    h.sandbox.smtp.loseAnswer = false;
    expect(h.sandbox.smtp.messages).toHaveLength(2); // one each: never sent a second time on its own
    const cases = await h.app.db.kysely
      .selectFrom('cases')
      .select(['id', 'purchase_order_id', 'actions'])
      .where('kind', '=', 'PLACEMENT_FAILED')
      .orderBy('id')
      .execute();
    expect(JSON.parse(cases[0]!.actions)).toContain('email_outcome');
    const [sent, missing] = cases;
    expect((await callApi(h, 'POST', `/api/cases/${sent!.id}/email-outcome`, op, { sent: true, note: '发件箱里有这封邮件' })).body).toEqual(
      { status: 'Placed' },
    );
    expect(
      (await callApi(h, 'POST', `/api/cases/${missing!.id}/email-outcome`, op, { sent: false, note: '发件箱里没有，供应商也说没收到' }))
        .body,
    ).toEqual({ status: 'Placing' });
    await waitFor(async () => (await count(h!.app, 'purchase_orders', ['state', '=', 'Placed'])) === 2, { what: 'both placed' });
    expect(h.sandbox.smtp.messages).toHaveLength(3); // the one said to be missing went out again, once
    // A direct supplier is paid by a person: both payments wait for the payer; the payable is booked once each.
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingPayer'])) === 2, { what: 'payments due' });
    for (const c of cases) {
      const thread = await h.app.db.kysely
        .selectFrom('po_messages')
        .select(['status'])
        .where('purchase_order_id', '=', c.purchase_order_id!)
        .execute();
      expect(thread.map((m) => m.status)).toEqual(['sent']);
      const payable = await h.app.db.kysely
        .selectFrom('ledger_entries')
        .select('id')
        .where('purchase_order_id', '=', c.purchase_order_id!)
        .where('kind', '=', 'supplier_payable')
        .execute();
      expect(payable).toHaveLength(1);
    }
    expect((await callApi(h, 'POST', `/api/cases/${sent!.id}/email-outcome`, op, { sent: true, note: '再点一次' })).status).toBe(409);
  });

  it('a direct supplier out of stock after it was paid: a person settles the refund (whole, to the fen) and the lines are sourced again, never at that supplier; unpaid, a cancellation suffices', async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    await saveLimits(h.app.db, h.shop.id, {
      maxPerOrder: 10_000_000,
      maxPerDay: 1_000_000_000,
      minMargin: -10_000_000,
      approvalAbove: 10_000_000,
    });
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingPayer'])) === 2, { what: 'payments due' });
    const [paidOne, unpaidOne] = await h.app.db.kysely.selectFrom('payments').selectAll().orderBy('id').execute();
    // The first is paid by bank transfer (voucher, amount to the fen).
    expect(
      (
        await callApi(
          h,
          'POST',
          `/api/payments/${paidOne!.id}/vouchers?fileName=r.png`,
          owner,
          Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('receipt')]),
          { 'content-type': 'image/png' },
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await callApi(h, 'POST', `/api/payments/${paidOne!.id}/record`, owner, {
          amount: paidOne!.amount,
          paidAt: Date.now(),
          reference: 'BANK-1',
        })
      ).status,
    ).toBe(200);
    // The supplier answers: out of stock, for both.
    for (const p of [paidOne!, unpaidOne!]) {
      const r = await callApi(h, 'POST', `/api/purchase-orders/${p.purchase_order_id}/messages`, owner, {
        body: '这个款断货了，退款给你',
        stockOut: true,
      });
      expect(r.body.outcome).toBe('Unwinding');
    }
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'SUPPLIER_UNWIND'])) === 2, {
      what: 'a person settles each with the supplier',
    });
    expect(
      JSON.parse(
        (await h.app.db.kysely.selectFrom('cases').select('actions').where('kind', '=', 'SUPPLIER_UNWIND').executeTakeFirstOrThrow())
          .actions,
      ),
    ).toContain('supplier_settled');
    const settle = (poId: number, b: unknown) => callApi(h!, 'POST', `/api/purchase-orders/${poId}/supplier-settled`, owner, b);
    // Paid: the refund must be whole and referenced.
    expect(
      (await settle(paidOne!.purchase_order_id, { note: '供应商退了一半', amount: paidOne!.amount - 1, reference: 'RF-1' })).status,
    ).toBe(422);
    expect((await settle(paidOne!.purchase_order_id, { note: '没写流水号', amount: paidOne!.amount })).status).toBe(400);
    const one = await settle(paidOne!.purchase_order_id, { note: '供应商已原路退回', amount: paidOne!.amount, reference: 'RF-1' });
    expect(one.status).toBe(200);
    const two = await settle(unpaidOne!.purchase_order_id, { note: '供应商说不发了，未付款' });
    expect(two.status).toBe(200);
    // Nobody else offers these products here: each order waits for a person to choose (no second purchase at this supplier).
    expect([one.body.outcome, two.body.outcome]).toEqual(['OutOfStock', 'OutOfStock']);
    expect(await count(h.app, 'shop_orders', ['state', '=', 'NeedsReview'])).toBe(2);
    const pos = await h.app.db.kysely.selectFrom('purchase_orders').select(['id', 'state']).orderBy('id').execute();
    expect(pos.map((p) => p.state)).toEqual(['Cancelled', 'Cancelled']);
    const money = await h.app.db.kysely
      .selectFrom('ledger_entries')
      .select(['kind', 'amount'])
      .where('purchase_order_id', '=', paidOne!.purchase_order_id)
      .execute();
    expect(
      money
        .filter((e) => e.kind === 'supplier_paid' || e.kind === 'refund_from_supplier')
        .map((e) => Number(e.amount))
        .sort((x, y) => x - y),
    ).toEqual([-paidOne!.amount, paidOne!.amount]);
    expect(money.filter((e) => e.kind === 'supplier_payable').reduce((t, e) => t + Number(e.amount), 0)).toBe(0);
    expect(
      (await h.app.db.kysely.selectFrom('payments').select('status').where('id', '=', unpaidOne!.id).executeTakeFirstOrThrow()).status,
    ).toBe('Cancelled');
    expect(
      (await h.app.db.kysely.selectFrom('cases').select('state').where('kind', '=', 'SUPPLIER_UNWIND').execute()).map((c) => c.state),
    ).toEqual(['Resolved', 'Resolved']);
    expect((await settle(paidOne!.purchase_order_id, { note: '再登记一次', amount: paidOne!.amount, reference: 'RF-1' })).status).toBe(409);
  });

  it('e-mail route with a masked decode: refused, nothing sent', async () => {
    h = await startHarness({ api: { decodeMasked: true }, appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'jobs', ['status', '=', 'dead'])) === 1, { what: 'refused' });
    expect(h.sandbox.smtp.messages).toEqual([]);
    expect(await h.app.db.kysely.selectFrom('po_messages').selectAll().execute()).toEqual([]);
  });

  it('WeChat Shop dropship: lines assigned to the bound supplier on the platform; nothing decoded, no address leaves', async () => {
    h = await startHarness({ api: { decodeMasked: true } });
    await onlySupplier(h, 'wechat_dropship');
    h.sandbox.wechat.shops.get(h.creds.appId)!.dropshipSuppliers.add('wxsupplier0000001');
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 1 });
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('shop_orders').select('state').executeTakeFirst())?.state === 'Purchasing',
      { what: 'assigned' },
    );
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(order!.orderId)!;
    expect(sim.lines.every((l) => l.dropship?.supplierAppId === 'wxsupplier0000001')).toBe(true);
    expect(await h.app.db.kysely.selectFrom('decode_log').selectAll().execute()).toEqual([]);
    expect(h.sandbox.wechat.calls.get('/channels/ec/order/sensitiveinfo/decode') ?? 0).toBe(0);
    // Assigning again (a retry after an unknown outcome) sees the assignment and does nothing.
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select('id').executeTakeFirstOrThrow();
    await h.app.db.kysely.updateTable('purchase_orders').set({ state: 'Placing' }).where('id', '=', po.id).execute();
    await h.app.placement.place(po.id);
    expect(h.sandbox.wechat.calls.get('/channels/ec/order/dropship/assign')).toBe(1);
  });

  it('WeChat Shop dropship tracking: the supplier ships on the platform → dropship/get gives the packages; recorded, nothing sent again, the order is shipped', async () => {
    h = await startHarness({ api: { dropshipAssignedStatus: 7, dropshipShippedStatus: 9 } }); // status numbers are unpublished: Daifa must not depend on them
    await onlySupplier(h, 'wechat_dropship');
    h.sandbox.wechat.shops.get(h.creds.appId)!.dropshipSuppliers.add('wxsupplier0000001');
    const [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 1 });
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('shop_orders').select('state').executeTakeFirst())?.state === 'Purchasing',
      { what: 'assigned' },
    );
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(order!.orderId)!;
    const ds = sim.lines[0]!.dropship!.dsOrderId;
    // Nothing shipped yet: a look finds nothing.
    const po = await h.app.db.kysely.selectFrom('purchase_orders').select('id').executeTakeFirstOrThrow();
    expect(await h.app.dropshipTracking.track(po.id)).toEqual({ parcels: 0 });
    expect(h.sandbox.wechat.shipDropship(h.creds.appId, ds, { deliveryId: 'ZTO', waybillId: '75312345678901' })).toBe(true);
    await waitFor(async () => (await h!.app.db.kysely.selectFrom('shop_orders').select('state').executeTakeFirst())?.state === 'Shipped', {
      what: 'shipped',
    });
    const pkgs = await h.app.db.kysely.selectFrom('packages').select(['source', 'delivery_id', 'waybill_id', 'items']).execute();
    expect(pkgs).toHaveLength(1);
    expect(pkgs[0]).toMatchObject({ source: 'wechat_dropship', delivery_id: 'ZTO', waybill_id: '75312345678901' });
    const poLines = await h.app.db.kysely
      .selectFrom('purchase_order_lines')
      .select(['spec_id', 'quantity'])
      .where('purchase_order_id', '=', po.id)
      .execute();
    expect(JSON.parse(pkgs[0]!.items).sort((a: { specId: string }, b: { specId: string }) => a.specId.localeCompare(b.specId))).toEqual(
      poLines.map((l) => ({ specId: l.spec_id, quantity: l.quantity })).sort((a, b) => a.specId.localeCompare(b.specId)),
    );
    expect(h.sandbox.wechat.calls.get('/channels/ec/order/delivery/send') ?? 0).toBe(0);
    expect(sim.packages).toHaveLength(1);
    // Looking again records nothing twice.
    expect(await h.app.dropshipTracking.track(po.id)).toEqual({ parcels: 0 });
    expect(await count(h.app, 'packages')).toBe(1);
  });
});
