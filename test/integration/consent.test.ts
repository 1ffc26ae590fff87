import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_SELLERS } from '../../sandbox/catalogue.js';
import { count, enableSourcing, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/** Special requests: infeasible everywhere → ask the buyer; continue only with a recorded answer. */
describe('buyer consent for special requests', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function orderWantingSf(hh: Harness) {
    const [o] = hh.sandbox.wechat.generate(hh.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    hh.sandbox.wechat.shops.get(hh.creds.appId)!.orders.get(o!.orderId)!.notes = '请发顺丰';
    await waitFor(async () => (await hh.app.db.kysely.selectFrom('shop_orders').select('state').where('wx_order_id', '=', o!.orderId).executeTakeFirst())?.state === 'AwaitingBuyer', { what: 'awaiting buyer' });
    const order = await hh.app.db.kysely.selectFrom('shop_orders').select('id').where('wx_order_id', '=', o!.orderId).executeTakeFirstOrThrow();
    const c = await hh.app.db.kysely.selectFrom('cases').selectAll().where('shop_order_id', '=', order.id).executeTakeFirstOrThrow();
    return { orderId: order.id, caseId: c.id, kind: c.kind };
  }

  it('nobody can ship 顺丰 → the order waits for the buyer; agreed → sourced without the request; refused → cancelled; reminders while unanswered', async () => {
    h = await startHarness({ env: { DAIFA_CONSENT_REMINDER_HOURS: '0.0003' } });
    await enableSourcing(h);
    // The only seller that ships SF is unavailable.
    await h.app.db.kysely.updateTable('suppliers').set({ active: 0 }).where('member_id', '=', SANDBOX_SELLERS[2].memberId).execute();

    const a = await orderWantingSf(h);
    expect(a.kind).toBe('SPECIAL_REQUEST_CONSENT');
    expect(h.sandbox.alibaba.orders.size).toBe(0); // never proceeds silently
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'buyer_consent_needed'])) >= 2, { what: 'alert and a reminder' });

    const r = await h.app.consent.record({ caseId: a.caseId, answer: 'agreed', note: '买家在微信里回复：中通也可以', actor: 'user:op' });
    expect(r.orderState).toBe('Confirmed');
    await waitFor(async () => (await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', a.orderId).executeTakeFirst())?.state === 'Purchasing', { what: 'placed after consent' });
    expect(h.sandbox.alibaba.orders.size).toBe(1);
    const history = await h.app.db.kysely.selectFrom('order_events').select(['event', 'note']).where('shop_order_id', '=', a.orderId).execute();
    expect(history.map((e) => e.event)).toEqual(expect.arrayContaining(['consent.agreed', 'order.buyer_consented', 'po.placed']));
    const reqs = JSON.parse((await h.app.db.kysely.selectFrom('shop_orders').select('special_requests').where('id', '=', a.orderId).executeTakeFirstOrThrow()).special_requests);
    expect(reqs.waived).toMatchObject({ courier: 'SF', by: 'user:op' });

    const b = await orderWantingSf(h);
    expect((await h.app.consent.record({ caseId: b.caseId, answer: 'refused', note: '买家坚持要顺丰，申请退款', actor: 'user:op' })).orderState).toBe('Cancelled');
    expect(h.sandbox.alibaba.orders.size).toBe(1);
    await expect(h.app.consent.record({ caseId: b.caseId, answer: 'agreed', note: 'again', actor: 'user:op' })).rejects.toMatchObject({ code: 'CONFLICT' });
    // Reminders stop once answered.
    const before = await count(h.app, 'notifications', ['event', '=', 'buyer_consent_needed']);
    await new Promise((r) => setTimeout(r, 2500));
    const remindersForA = await h.app.db.kysely.selectFrom('jobs').select('status').where('singleton_key', '=', `consent.remind:${a.caseId}`).where('status', '=', 'pending').execute();
    expect(remindersForA).toEqual([]);
    expect(await count(h.app, 'notifications', ['event', '=', 'buyer_consent_needed'])).toBeLessThanOrEqual(before + 2);
  });
});
