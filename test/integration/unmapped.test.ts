import { afterEach, describe, expect, it } from 'vitest';
import { similarity } from '../../src/domain/similarity.js';
import { approveMapping } from '../../src/sourcing/suggestions.js';
import { count, enableSourcing, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { PURCHASED } from '../helpers/harness.js';

describe('unmapped lines', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('Chinese titles compare by character bigrams', () => {
    expect(similarity('不锈钢保温杯 大容量316内胆', '316不锈钢保温杯大容量')).toBeGreaterThan(0.6);
    expect(similarity('不锈钢保温杯', '儿童益智拼图')).toBe(0);
  });

  it('open a case with ranked suggestions; approving one maps the SKU and the order is placed', async () => {
    h = await startHarness();
    await enableSourcing(h);
    // The thermos SKUs lose their mappings (a new product the merchant has not mapped yet).
    const thermos = '10000017524402';
    await h.app.db.kysely.deleteFrom('sku_mappings').where('product_id', '=', thermos).execute();
    let order;
    for (;;) {
      [order] = h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
      if (order!.lines[0]!.productId === thermos) break;
    }
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'UNMAPPED'])) === 1, { what: 'unmapped case' });
    const c = await h.app.db.kysely.selectFrom('cases').selectAll().where('kind', '=', 'UNMAPPED').executeTakeFirstOrThrow();
    const data = JSON.parse(c.data!);
    expect(data.suggestions.length).toBeGreaterThanOrEqual(3);
    expect(data.suggestions[0].title).toContain('保温杯');
    const sameSpec = data.suggestions.find((s: { attrs: string }) => order!.lines[0]!.attrs.every((a) => s.attrs.includes(a.attr_value)));
    expect(sameSpec).toBeDefined();
    const o = await h.app.db.kysely
      .selectFrom('shop_orders')
      .select(['id', 'state'])
      .where('wx_order_id', '=', order!.orderId)
      .executeTakeFirstOrThrow();
    expect(o.state).toBe('NeedsReview');
    expect(
      (await approveMapping(h.app.db, h.app.clock, { caseId: c.id, offerRef: sameSpec.offerRef, quantityPerUnit: 1, actor: 'user:op' }))
        .orderState,
    ).toBe('Confirmed');
    await waitFor(
      async () =>
        (PURCHASED as string[]).includes(
          (await h!.app.db.kysely.selectFrom('shop_orders').select('state').where('id', '=', o.id).executeTakeFirst())?.state ?? '',
        ),
      { what: 'placed' },
    );
    await expect(
      approveMapping(h.app.db, h.app.clock, { caseId: c.id, offerRef: sameSpec.offerRef, quantityPerUnit: 1, actor: 'user:op' }),
    ).rejects.toMatchObject({ code: 'ALREADY_DONE' });
  });
});
