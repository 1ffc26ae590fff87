import { afterEach, describe, expect, it } from 'vitest';
import { LineRefunds } from '../../src/fulfilment/line-refunds.js';
import { PlacementOutcomes } from '../../src/purchasing/outcomes.js';
import { PurchaseOrderPlacement } from '../../src/purchasing/place-purchase-order.js';
import {
  forgetMessage,
  markSent,
  outgoingMessage,
  recordReply,
  recordSending,
  threadSize,
  threadStart,
  unconfirmedEmail,
} from '../../src/db/repositories/po-messages.js';
import {
  forgetUnsent,
  negotiationStates,
  postponeShipBy,
  recordNegotiation,
  sendingNegotiation,
} from '../../src/db/repositories/negotiations.js';
import { shipByTimes } from '../../src/db/repositories/deadlines.js';
import { fakeRoutes } from '../helpers/fake-route.js';
import { seedPaidOrder, startServices, type Services } from '../helpers/services.js';

/**
 * Service tier: the fulfilment services and the repositories they write through, on a real database (both dialects),
 * with fake supplier routes and no HTTP — what a buyer's partial refund, a ship-by deadline and a supplier thread do.
 */
const ctx = { job: { attempts: 1 } as never, workerId: 'test' };

describe('fulfilment services on the repositories', () => {
  let s: Services | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  const k = () => s!.app.db.kysely;
  async function confirmed(lines: Parameters<typeof seedPaidOrder>[1]) {
    s ??= await startServices();
    const o = await seedPaidOrder(s, lines);
    await s.app.handlers.get('order.confirm')!({ shopOrderId: o.id }, ctx);
    return o;
  }

  it('a buyer refunds one line before shipment: the money back is booked once per line, and the purchase order holding it opens one case or is unwound', async () => {
    const o = await confirmed([{ quantity: 2 }, { sku: 1, quantity: 1 }]);
    const pos = await k().selectFrom('purchase_orders').select(['id']).where('shop_order_id', '=', o.id).execute();
    expect(pos.length).toBeGreaterThan(0);
    await k()
      .updateTable('shop_order_lines')
      .set({ finish_aftersale_cnt: 2 })
      .where('shop_order_id', '=', o.id)
      .where('line_no', '=', 1)
      .execute();
    const refunds = new LineRefunds(s!.app.db, s!.app.notifier, s!.app.clock);
    const first = await refunds.handle(o.id);
    const again = await refunds.handle(o.id);
    const booked = await k()
      .selectFrom('ledger_entries')
      .select(['amount', 'ref'])
      .where('shop_order_id', '=', o.id)
      .where('kind', '=', 'refund_to_buyer')
      .execute();
    expect(booked.map((b) => Number(b.amount))).toEqual([-o.snapshot.lines[0]!.paidAmount]);
    expect(booked[0]!.ref).toContain(`:${o.snapshot.wxOrderId}:1:2`);
    // One purchase order holds both lines (a case for a person) or only the refunded one (unwound); never both, never twice.
    expect(first.cases + first.unwound).toBe(1);
    expect(again).toEqual({ unwound: 0, cases: 0 });
    const cases = await k()
      .selectFrom('cases')
      .select('kind')
      .where('shop_order_id', '=', o.id)
      .where('kind', '=', 'PARTIAL_REFUND')
      .execute();
    const unwinds = await k().selectFrom('jobs').select('id').where('kind', '=', 'po.unwind').execute();
    expect(cases.length + unwinds.length).toBe(1);
  });

  it('an order not placed near its ship-by time gets one order-level deadline case, settled once a supplier order is placed', async () => {
    const o = await confirmed([{}]);
    // Sourced (a supplier order drafted, none placed) and now 10 hours from its ship-by time.
    const nowS = Math.floor(Date.now() / 1000);
    await k()
      .updateTable('shop_order_lines')
      .set({ delivery_deadline_s: nowS + 10 * 3600 })
      .where('shop_order_id', '=', o.id)
      .execute();
    const orderCases = () =>
      k()
        .selectFrom('cases')
        .select(['state', 'resolution'])
        .where('shop_order_id', '=', o.id)
        .where('kind', '=', 'DEADLINE_AT_RISK')
        .where('purchase_order_id', 'is', null)
        .execute();
    expect(await s!.app.deadlines.watch()).toBeGreaterThanOrEqual(1);
    await s!.app.deadlines.watch();
    expect(await orderCases()).toEqual([{ state: 'Open', resolution: null }]);
    const po = await k().selectFrom('purchase_orders').select('id').where('shop_order_id', '=', o.id).executeTakeFirstOrThrow();
    const outcomes = new PlacementOutcomes(s!.app.db, s!.app.sourcing, s!.app.clock, s!.app.log);
    expect(await new PurchaseOrderPlacement(s!.app.db, fakeRoutes(outcomes), outcomes, s!.app.clock).place(po.id)).toBe('Placed');
    await s!.app.deadlines.watch();
    expect(await orderCases()).toEqual([{ state: 'Resolved', resolution: 'placed' }]);
    // The placed purchase order is watched from now on: 10 hours against a 48-hour lead time is at risk.
    const poCase = await k()
      .selectFrom('cases')
      .select('kind')
      .where('purchase_order_id', '=', po.id)
      .where('kind', '=', 'DEADLINE_AT_RISK')
      .execute();
    expect(poCase).toHaveLength(1);
  });

  it('a supplier thread and a delivery negotiation as their repositories keep them', async () => {
    const o = await confirmed([{}]);
    const po = await k().selectFrom('purchase_orders').select('id').where('shop_order_id', '=', o.id).executeTakeFirstOrThrow();
    const now = Date.now();
    // An e-mail is written before it is sent; certainly not sent → gone; sent → the thread's start.
    const lost = await recordSending(k(), { poId: po.id, subject: 's', body: 'b', messageId: '<a@x>', actor: 't', to: 'x@y.z' }, now);
    expect((await unconfirmedEmail(k(), po.id))?.id).toBe(lost);
    await forgetMessage(k(), lost);
    expect(await outgoingMessage(k(), po.id)).toBeUndefined();
    const sent = await recordSending(k(), { poId: po.id, subject: 's', body: 'b', messageId: '<b@x>', actor: 't', to: 'x@y.z' }, now);
    await markSent(k(), sent);
    await recordReply(k(), { poId: po.id, body: '明天发', actor: 'op', data: { stockOut: false } }, now);
    expect(await outgoingMessage(k(), po.id)).toEqual({ status: 'sent' });
    expect(await unconfirmedEmail(k(), po.id)).toBeUndefined();
    expect(await threadStart(k(), po.id)).toBe('<b@x>');
    expect(await threadSize(k(), po.id)).toBe(2);
    // A negotiation whose request never reached the buyer is forgotten; an agreed one moves every earlier ship-by time.
    const deadline = o.snapshot.lines[0]!.deliveryDeadline!;
    const n = await recordNegotiation(
      k(),
      { shopOrderId: o.id, predictDeliveryS: deadline + 86_400, reason: 1, remark: '缺货', requestedBy: 't' },
      now,
    );
    expect((await sendingNegotiation(k(), o.id))?.id).toBe(n);
    await forgetUnsent(k(), n);
    expect(await negotiationStates(k(), o.id)).toEqual([]);
    await postponeShipBy(k(), o.id, deadline + 86_400);
    await postponeShipBy(k(), o.id, deadline - 86_400); // never earlier
    expect(await shipByTimes(k(), o.id)).toEqual([deadline + 86_400]);
  });
});
