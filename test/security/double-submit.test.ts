import { afterEach, describe, expect, it } from 'vitest';
import { saveLimits } from '../../src/payments/limits.js';
import { count, enableSourcing, onlySupplier, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';
import { hit } from './helpers.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const N = 12;

/**
 * Every route that moves money, submitted many times at once (a double click, a retry, two owners): exactly one
 * takes effect, the others are told (409) or answered with the same result — never booked or paid twice, and a
 * stale decision never reverses a newer one.
 */
describe('security: concurrent double submits on the money routes', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('approve × N, and approve racing reject: one decision wins, the rest are 409, the state is the winner’s', async () => {
    h = await startHarness();
    await enableSourcing(h);
    await saveLimits(h.app.db, h.shop.id, {
      maxPerOrder: 10_000_000,
      maxPerDay: 1_000_000_000,
      minMargin: -10_000_000,
      approvalAbove: 0,
      method1688: 'link',
    });
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 4, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'payments', ['status', '=', 'AwaitingApproval'])) === 4, {
      what: 'four payments awaiting approval',
    });
    const ids = (await h.app.db.kysely.selectFrom('payments').select('id').orderBy('id').execute()).map((p) => p.id);
    const approve = (id: number) => hit(h!, 'POST', `/api/payments/${id}/approve`, { token: owner, body: {} });
    const reject = (id: number) => hit(h!, 'POST', `/api/payments/${id}/reject`, { token: owner, body: { note: '价格不对' } });
    const many = await Promise.all(Array.from({ length: N }, () => approve(ids[0]!)));
    expect(many.filter((r) => r.status === 200)).toHaveLength(1);
    expect(many.filter((r) => r.status === 409)).toHaveLength(N - 1);
    for (const id of ids.slice(1)) {
      const both = await Promise.all([approve(id), reject(id), approve(id), reject(id)]);
      const winners = both.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(both.filter((r) => r.status === 409)).toHaveLength(3);
      const status = (await h.app.db.kysely.selectFrom('payments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
      expect(status).toBe(winners[0]!.body.status);
    }
  });

  it('a bank-transfer payment recorded × N: paid once, booked once', async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const pay = await waitFor(
      () =>
        h!.app.db.kysely.selectFrom('payments').select(['id', 'amount', 'status']).where('status', '=', 'AwaitingPayer').executeTakeFirst(),
      { what: 'a transfer awaiting the payer' },
    );
    await fetch(`${h.url}/api/payments/${pay.id}/vouchers?fileName=bank.png`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'image/png' },
      body: PNG,
    });
    const all = await Promise.all(
      Array.from({ length: N }, () =>
        hit(h!, 'POST', `/api/payments/${pay.id}/record`, {
          token: owner,
          body: { amount: pay.amount, paidAt: Date.now() - 60_000, reference: 'BANK-20261207-01' },
        }),
      ),
    );
    // Each answer says it is paid (the one that recorded it, or one that found it recorded: 200 'Paid') or that it
    // already was (409); it is recorded and booked once.
    expect(all.every((r) => (r.status === 200 && r.body.status === 'Paid') || r.status === 409)).toBe(true);
    expect(await count(h.app, 'ledger_entries', ['kind', '=', 'supplier_paid'])).toBe(1);
    expect(await count(h.app, 'order_events', ['event', '=', 'po.paid'])).toBe(1);
  });

  it('ledger corrections and supplier settlements × N with one key: one entry', async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    const owner = await tokenFor(h, 'owner');
    const op = await tokenFor(h, 'operator');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const po = await waitFor(
      () =>
        h!.app.db.kysely
          .selectFrom('purchase_orders')
          .select(['id', 'shop_order_id', 'state'])
          .where('state', 'in', ['Placed', 'Paying', 'Paid'])
          .executeTakeFirst(),
      { what: 'a placed purchase order' },
    );
    const corrections = await Promise.all(
      Array.from({ length: N }, () =>
        hit(h!, 'POST', `/api/orders/${po.shop_order_id}/ledger`, {
          token: owner,
          body: { kind: 'correction', amount: -300, note: '运费差', ref: 'freight-diff-0001' },
        }),
      ),
    );
    expect(corrections.every((r) => r.status === 200)).toBe(true);
    expect(await count(h.app, 'ledger_entries', ['kind', '=', 'correction'])).toBe(1);
    // The supplier cancelled (nothing was paid yet): settled once, the others refused.
    const settled = await Promise.all(
      Array.from({ length: N }, () =>
        hit(h!, 'POST', `/api/purchase-orders/${po.id}/supplier-settled`, { token: op, body: { note: '供应商电话告知无货，已取消' } }),
      ),
    );
    expect(settled.filter((r) => r.status === 200)).toHaveLength(1);
    expect(settled.filter((r) => r.status === 200 || r.status === 409)).toHaveLength(N);
    expect(await count(h.app, 'order_events', ['event', '=', 'po.supplier_settled'])).toBe(1);
  });
});
