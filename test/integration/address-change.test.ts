import { afterEach, describe, expect, it } from 'vitest';
import { count, enableSourcing, onlySupplier, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/** The buyer changes the receiving address (ext_info_update 2/16/19): suppliers hear of it before they ship, else a case. */
describe('buyer address change', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const orderRow = (wxOrderId: string) =>
    h!.app.db.kysely
      .selectFrom('shop_orders')
      .select(['id', 'state', 'address', 'address_hash'])
      .where('wx_order_id', '=', wxOrderId)
      .executeTakeFirstOrThrow();

  it('direct supplier: the new address goes by e-mail in the same thread (decode logged), once; the thread stays masked', async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(
      async () => (await h!.app.db.kysely.selectFrom('purchase_orders').select('state').executeTakeFirst())?.state === 'Placed',
      { what: 'placed by e-mail' },
    );
    const before = await orderRow(o!.orderId);
    expect(
      h.sandbox.wechat.changeAddress(
        h.creds.appId,
        o!.orderId,
        { detail: '滨江区网商路 699 号 3 幢 1201', userName: '周新', tel: '13912345678' },
        19,
      ),
    ).toBe(true);
    await waitFor(async () => h!.sandbox.smtp.messages.length === 2, { what: 'address e-mail' });
    // The SMTP server has the mail before Daifa records it as sent: wait for the record, the last step.
    const forwarded = () =>
      h!.app.db.kysely.selectFrom('order_events').select('id').where('event', '=', 'po.address_forwarded').executeTakeFirst();
    await waitFor(forwarded, { what: 'forward recorded' });
    const mail = h.sandbox.smtp.messages[1]!;
    expect(mail.subject).toContain('买家修改了收货地址');
    expect(mail.text).toContain('滨江区网商路 699 号 3 幢 1201');
    expect(mail.text).toContain('周新');
    const after = await orderRow(o!.orderId);
    expect(after.address_hash).not.toBe(before.address_hash);
    // Daifa keeps the masked form only: no part of the new plaintext (the stored hash code is random hex, which once
    // contained "699" by chance — so the check names the plaintext itself).
    for (const plain of ['网商路', '699 号', '周新', '13912345678']) expect(after.address).not.toContain(plain);
    const thread = await h.app.db.kysely.selectFrom('po_messages').select(['subject', 'body', 'status']).orderBy('id').execute();
    expect(thread).toHaveLength(2);
    expect(thread[1]).toMatchObject({ status: 'sent' });
    expect(thread[1]!.body).not.toContain('699');
    const decodes = await h.app.db.kysely.selectFrom('decode_log').select(['purpose', 'destination']).orderBy('id').execute();
    expect(decodes).toHaveLength(2);
    expect(decodes[1]!.purpose).toContain('买家改址');
    const events = (await h.app.db.kysely.selectFrom('order_events').select('event').where('shop_order_id', '=', after.id).execute()).map(
      (e) => e.event,
    );
    expect(events).toEqual(expect.arrayContaining(['order.address_changed', 'po.address_forwarded']));
    // The same change handled again (a repeated push, a re-run job): no second e-mail.
    const [job] = await h.app.db.kysely.selectFrom('jobs').select('payload').where('kind', '=', 'order.address-change').execute();
    await h.app.queue.add({ kind: 'order.address-change', payload: JSON.parse(job!.payload) });
    await new Promise((r) => setTimeout(r, 800));
    expect(h.sandbox.smtp.messages).toHaveLength(2);
    expect(await count(h.app, 'cases')).toBe(0);
  });

  it('1688 order not shipped: a case with the new (masked) address and an alert; an address change before ordering needs nothing; after shipment WeChat lets it lapse', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const [a, b] = h.sandbox.wechat.generate(h.creds.appId, { count: 2, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', '=', 'Fulfilling'])) === 2, { what: 'paid on 1688' });
    expect(
      h.sandbox.wechat.changeAddress(
        h.creds.appId,
        a!.orderId,
        { province: '浙江省', city: '杭州市', county: '滨江区', detail: '网商路 699 号' },
        2,
      ),
    ).toBe(true);
    const c = await waitFor(
      () => h!.app.db.kysely.selectFrom('cases').selectAll().where('kind', '=', 'ADDRESS_CHANGED').executeTakeFirst(),
      { what: 'address case' },
    );
    const po = await h.app.db.kysely
      .selectFrom('purchase_orders as p')
      .innerJoin('shop_orders as o', 'o.id', 'p.shop_order_id')
      .select(['p.id', 'p.supplier_order_id'])
      .where('o.wx_order_id', '=', a!.orderId)
      .executeTakeFirstOrThrow();
    expect(c.purchase_order_id).toBe(po.id);
    expect(c.message).toContain('浙江省杭州市滨江区');
    expect(c.message).toContain(po.supplier_order_id!);
    expect(c.message).not.toContain('网商路');
    expect(JSON.parse(c.actions)).toContain('cancel_and_replace');
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'needs_review'])) >= 1, { what: 'alert' });
    // The same change handled again (a repeated push, a re-run job): still one case, no second alert.
    const alerts = await count(h.app, 'notifications', ['event', '=', 'needs_review']);
    const [job] = await h.app.db.kysely.selectFrom('jobs').select('payload').where('kind', '=', 'order.address-change').execute();
    await h.app.queue.add({ kind: 'order.address-change', payload: JSON.parse(job!.payload) });
    await waitFor(
      async () =>
        (
          await h!.app.db.kysely
            .selectFrom('jobs')
            .select('id')
            .where('kind', '=', 'order.address-change')
            .where('status', '=', 'done')
            .execute()
        ).length === 2,
      { what: 're-run done' },
    );
    expect(await count(h.app, 'cases', ['kind', '=', 'ADDRESS_CHANGED'])).toBe(1);
    expect(await count(h.app, 'notifications', ['event', '=', 'needs_review'])).toBe(alerts);

    // After the seller shipped, WeChat refuses the change (type 20): nothing to forward, no case.
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(b!.orderId)!;
    sim.status = 30;
    expect(h.sandbox.wechat.changeAddress(h.creds.appId, b!.orderId, { detail: '别处 1 号' })).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    expect(await count(h.app, 'cases', ['kind', '=', 'ADDRESS_CHANGED'])).toBe(1);

    // Before any supplier order exists, the new address is simply used.
    await h.app.db.kysely.updateTable('suppliers').set({ active: 0 }).execute();
    const [d] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(
      async () =>
        (await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('wx_order_id', '=', d!.orderId).executeTakeFirst())
          ?.state === 'NeedsReview',
      { what: 'no supplier → review' },
    );
    h.sandbox.wechat.changeAddress(h.creds.appId, d!.orderId, { detail: '新地址 2 号' });
    const dRow = await orderRow(d!.orderId);
    await waitFor(
      async () =>
        (await h!.app.db.kysely
          .selectFrom('order_events')
          .select('id')
          .where('shop_order_id', '=', dRow.id)
          .where('event', '=', 'order.address_changed')
          .executeTakeFirst()) !== undefined,
      { what: 'change recorded' },
    );
    expect(await count(h.app, 'jobs', ['kind', '=', 'order.address-change'])).toBe(2); // order a's, and its re-run above: none for d
  });
});
