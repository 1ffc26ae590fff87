import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

describe('upgrading an installation that already holds data', () => {
  let t: TestDb;
  afterEach(() => t?.cleanup());

  it('0012: payments made before the upgrade get their shop, so they still count towards the daily cap', async () => {
    t = await createTestDb({ migrate: false });
    await migrateToLatest(t.db, { upTo: '0011-po-supplier-order' });
    const k = t.db.kysely;
    const shopIds: number[] = [];
    for (const key of ['a', 'b']) {
      const r = await sql<{ id: number }>`insert into shops (shop_key, name, app_id, app_secret_enc, push_token_enc, aes_key_enc, created_at, updated_at) values (${key}, ${key}, ${'wx' + key}, 'x', 'x', 'x', 0, 0) returning id`.execute(k);
      shopIds.push(Number(r.rows[0]!.id));
    }
    for (const [i, shopId] of [shopIds[0], shopIds[1], shopIds[1]].entries()) {
      const o = await sql<{ id: number }>`insert into shop_orders (shop_id, wx_order_id, state, wx_status, wx_create_time_s, wx_update_time_s, order_price, product_price, freight, customer_notes, merchant_notes, address, special_requests, review_reasons, search_text, created_at, updated_at) values (${shopId}, ${'wx-' + i}, 'Paid', 20, 0, 0, 100, 100, 0, '', '', '{}', '[]', '[]', '', 0, 0) returning id`.execute(k);
      const p = await sql<{ id: number }>`insert into purchase_orders (shop_order_id, supplier_id, route, state, out_order_id, expected_amount, created_at, updated_at) values (${o.rows[0]!.id}, 1, '1688', 'Paid', ${'out-' + i}, 100, 0, 0) returning id`.execute(k);
      await sql`insert into payments (purchase_order_id, pay_key, method, amount, status, day, created_at, updated_at) values (${p.rows[0]!.id}, ${'PAY-' + i}, '1688-protocol', ${(i + 1) * 1000}, 'Paid', '2026-11-26', 0, 0)`.execute(k);
    }
    expect(await migrateToLatest(t.db)).toContain('0012-scale-indexes');
    const rows = await k.selectFrom('payments').select(['shop_id', 'amount']).orderBy('id').execute();
    expect(rows.map((r) => [Number(r.shop_id), Number(r.amount)])).toEqual([
      [shopIds[0], 1000],
      [shopIds[1], 2000],
      [shopIds[1], 3000],
    ]);
  });
});
