import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTS } from '../../sandbox/data.js';
import { callApi, enableSourcing, PLACED, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';

/**
 * A buyer's note asks for another spec (请把颜色换成红色 — here: the grey T-shirt instead of the white one): under
 * review a person changes the line's spec and confirms; the supplier order carries the asked spec, the WeChat line
 * keeps the bought one, and the change is in the order's history with the person's note.
 */
describe('change the spec a buyer asked for in a note, in review', () => {
  let h: Harness;
  let op: string;
  const tee = PRODUCTS.find((p) => p.skus.length === 3)!;
  const [white, , grey] = tee.skus as [(typeof tee.skus)[0], (typeof tee.skus)[0], (typeof tee.skus)[0]];
  beforeAll(async () => {
    h = await startHarness();
    await enableSourcing(h);
    op = await tokenFor(h, 'operator');
  });
  afterAll(async () => h.stop());

  /** A paid order for one white T-shirt whose buyer wrote a note asking for a change. */
  async function orderAskingForAnotherSpec(note: string): Promise<number> {
    const [o] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, multiLineRate: 0, requestRate: 0 });
    const sim = h.sandbox.wechat.shops.get(h.creds.appId)!.orders.get(o!.orderId)!;
    const l = sim.lines[0]!;
    Object.assign(l, {
      productId: tee.productId,
      skuId: white.skuId,
      title: tee.title,
      attrs: white.attrs,
      cnt: 1,
      salePrice: white.price,
      realPrice: white.price,
    });
    sim.notes = note;
    let id = 0;
    await waitFor(
      async () => {
        const row = await h.app.db.kysely
          .selectFrom('shop_orders')
          .select(['id', 'state'])
          .where('wx_order_id', '=', o!.orderId)
          .executeTakeFirst();
        id = row?.id ?? 0;
        return row?.state === 'NeedsReview';
      },
      { what: 'the order under review' },
    );
    return id;
  }

  it('lists the specs with a supplier, buys the asked one, keeps the WeChat line as bought, and records it', async () => {
    const id = await orderAskingForAnotherSpec('颜色要灰色的，谢谢');
    const detail = await callApi(h, 'GET', `/api/orders/${id}`, op);
    const line = detail.body.lines[0];
    expect(line.skuId).toBe(white.skuId);
    expect(line.specOptions.map((o: { skuId: string }) => o.skuId).sort()).toEqual(tee.skus.map((s) => s.skuId).sort());
    expect(line.specOptions.find((o: { skuId: string }) => o.skuId === grey.skuId).attrs).toEqual(
      grey.attrs.map((a) => ({ key: a.attr_key, value: a.attr_value })),
    );
    // Named as the order's own lines name them (the dialog shows both side by side).
    expect(line.skuAttrs).toEqual(white.attrs.map((a) => ({ key: a.attr_key, value: a.attr_value })));

    const r = await callApi(h, 'POST', `/api/orders/${id}/review`, op, {
      decision: 'confirm',
      note: '买家留言要灰色',
      specChanges: [{ lineNo: 1, skuId: grey.skuId }],
    });
    expect(r.status).toBe(200);
    await waitFor(
      async () =>
        (PLACED as string[]).includes(
          (await h.app.db.kysely.selectFrom('purchase_orders').select('state').where('shop_order_id', '=', id).executeTakeFirst())?.state ??
            '',
        ),
      { what: 'the supplier order placed' },
    );

    // The supplier was asked for the grey spec: every PO line is an offer mapped to the grey SKU.
    const greyOffers = await h.app.db.kysely.selectFrom('sku_mappings').select('offer_ref').where('sku_id', '=', grey.skuId).execute();
    const poLines = await h.app.db.kysely
      .selectFrom('purchase_order_lines as l')
      .innerJoin('purchase_orders as p', 'p.id', 'l.purchase_order_id')
      .select(['l.offer_ref'])
      .where('p.shop_order_id', '=', id)
      .execute();
    expect(poLines.length).toBeGreaterThan(0);
    for (const pl of poLines) expect(greyOffers.map((g) => g.offer_ref)).toContain(pl.offer_ref);
    // On 1688 too: the simulator's order holds the grey spec, not the white one.
    const po = await h.app.db.kysely
      .selectFrom('purchase_orders')
      .select('supplier_order_id')
      .where('shop_order_id', '=', id)
      .executeTakeFirstOrThrow();
    const simOrder = [...h.sandbox.alibaba.orders.values()].find((o) => String(o.orderId) === po.supplier_order_id)!;
    expect(JSON.stringify(simOrder.lines)).toContain('灰色');
    expect(JSON.stringify(simOrder.lines)).not.toContain('白色');

    const after = (await callApi(h, 'GET', `/api/orders/${id}`, op)).body;
    expect(after.lines[0].skuId).toBe(white.skuId);
    expect(after.lines[0].sourcedSkuId).toBe(grey.skuId);
    const ev = after.history.find((e: { event: string }) => e.event === 'order.spec_changed');
    expect(ev.note).toContain('颜色: 灰色');
    expect(ev.note).toContain('买家下单 颜色: 白色');
    expect(ev.note).toContain('买家留言要灰色');
    expect(ev.actor).toMatch(/^user:operator-/);
  });

  it('refuses a spec of another product, a spec change with a cancel, and leaves the order under review', async () => {
    const id = await orderAskingForAnotherSpec('请把颜色换成红色');
    const other = PRODUCTS.find((p) => p.productId !== tee.productId)!.skus[0]!.skuId;
    const bad = await callApi(h, 'POST', `/api/orders/${id}/review`, op, {
      decision: 'confirm',
      note: 'x',
      specChanges: [{ lineNo: 1, skuId: other }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/没有已关联供应商的规格/);
    expect(
      (
        await callApi(h, 'POST', `/api/orders/${id}/review`, op, {
          decision: 'cancel',
          note: 'x',
          specChanges: [{ lineNo: 1, skuId: grey.skuId }],
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await callApi(h, 'POST', `/api/orders/${id}/review`, op, {
          decision: 'confirm',
          note: 'x',
          specChanges: [{ lineNo: 9, skuId: grey.skuId }],
        })
      ).status,
    ).toBe(400);
    const row = await h.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.state).toBe('NeedsReview');
    const lines = await h.app.db.kysely.selectFrom('shop_order_lines').select('sourced_sku_id').where('shop_order_id', '=', id).execute();
    expect(lines.every((l) => l.sourced_sku_id === null)).toBe(true);
  });
});
