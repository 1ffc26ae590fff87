import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { randomAlnum } from '../../src/lib/random.js';
import { createTestDb, testDialect, type TestDb } from '../helpers/db.js';

describe('upgrading an installation that already holds data', () => {
  let t: TestDb;
  afterEach(() => t?.cleanup());

  it('0012: payments made before the upgrade get their shop, so they still count towards the daily cap', async () => {
    t = await createTestDb({ migrate: false });
    await migrateToLatest(t.db, { upTo: '0011-po-supplier-order' });
    const k = t.db.kysely;
    const shopIds: number[] = [];
    for (const key of ['a', 'b']) {
      const r = await sql<{
        id: number;
      }>`insert into shops (shop_key, name, app_id, app_secret_enc, push_token_enc, aes_key_enc, created_at, updated_at) values (${key}, ${key}, ${'wx' + key}, 'x', 'x', 'x', 0, 0) returning id`.execute(
        k,
      );
      shopIds.push(Number(r.rows[0]!.id));
    }
    for (const [i, shopId] of [shopIds[0], shopIds[1], shopIds[1]].entries()) {
      const o = await sql<{
        id: number;
      }>`insert into shop_orders (shop_id, wx_order_id, state, wx_status, wx_create_time_s, wx_update_time_s, order_price, product_price, freight, customer_notes, merchant_notes, address, special_requests, review_reasons, search_text, created_at, updated_at) values (${shopId}, ${'wx-' + i}, 'Paid', 20, 0, 0, 100, 100, 0, '', '', '{}', '[]', '[]', '', 0, 0) returning id`.execute(
        k,
      );
      const p = await sql<{
        id: number;
      }>`insert into purchase_orders (shop_order_id, supplier_id, route, state, out_order_id, expected_amount, created_at, updated_at) values (${o.rows[0]!.id}, 1, '1688', 'Paid', ${'out-' + i}, 100, 0, 0) returning id`.execute(
        k,
      );
      await sql`insert into payments (purchase_order_id, pay_key, method, amount, status, day, created_at, updated_at) values (${p.rows[0]!.id}, ${'PAY-' + i}, '1688-protocol', ${(i + 1) * 1000}, 'Paid', '2026-11-26', 0, 0)`.execute(
        k,
      );
    }
    expect(await migrateToLatest(t.db)).toContain('0012-scale-indexes');
    const rows = await k.selectFrom('payments').select(['shop_id', 'amount']).orderBy('id').execute();
    expect(rows.map((r) => [Number(r.shop_id), Number(r.amount)])).toEqual([
      [shopIds[0], 1000],
      [shopIds[1], 2000],
      [shopIds[1], 3000],
    ]);
  });

  it('0016: the daily payment totals equal the sums of committed payments, from the backfill and through every kind of write', async () => {
    t = await createTestDb({ migrate: false });
    await migrateToLatest(t.db, { upTo: '0015-payment-retries' });
    const k = t.db.kysely;
    const shop = async (key: string) =>
      Number(
        (
          await sql<{
            id: number;
          }>`insert into shops (shop_key, name, app_id, app_secret_enc, push_token_enc, aes_key_enc, created_at, updated_at) values (${key}, ${key}, ${'wx' + key}, 'x', 'x', 'x', 0, 0) returning id`.execute(
            k,
          )
        ).rows[0]!.id,
      );
    const [a, b] = [await shop('a'), await shop('b')];
    let n = 0;
    const pay = async (shopId: number, amount: number, status: string, day: string) => {
      n++;
      const o = await sql<{
        id: number;
      }>`insert into shop_orders (shop_id, wx_order_id, state, wx_status, wx_create_time_s, wx_update_time_s, order_price, product_price, freight, customer_notes, merchant_notes, address, special_requests, review_reasons, search_text, created_at, updated_at) values (${shopId}, ${'wx-' + n}, 'Paid', 20, 0, 0, 100, 100, 0, '', '', '{}', '[]', '[]', '', 0, 0) returning id`.execute(
        k,
      );
      const p = await sql<{
        id: number;
      }>`insert into purchase_orders (shop_order_id, supplier_id, route, state, out_order_id, expected_amount, created_at, updated_at) values (${o.rows[0]!.id}, 1, '1688', 'Placed', ${'out-' + n}, 100, 0, 0) returning id`.execute(
        k,
      );
      return Number(
        (
          await sql<{
            id: number;
          }>`insert into payments (purchase_order_id, shop_id, pay_key, method, amount, status, day, created_at, updated_at) values (${p.rows[0]!.id}, ${shopId}, ${'PAY-' + n}, '1688-protocol', ${amount}, ${status}, ${day}, 0, 0) returning id`.execute(
            k,
          )
        ).rows[0]!.id,
      );
    };
    const D1 = '2026-11-26';
    const D2 = '2026-11-27';
    // Before the upgrade: the backfill must count these.
    await pay(a, 1000, 'Paid', D1);
    await pay(a, 2000, 'Paying', D1);
    await pay(a, 4000, 'Blocked', D1);
    await pay(b, 300, 'AwaitingPayer', D1);
    expect(await migrateToLatest(t.db)).toContain('0016-payment-day-totals');
    const totals = async () =>
      Object.fromEntries(
        (await k.selectFrom('payment_day_totals').selectAll().execute())
          .filter((r) => Number(r.amount) !== 0)
          .map((r) => [`${r.shop_id}/${r.day}`, Number(r.amount)]),
      );
    const sums = async () =>
      Object.fromEntries(
        (
          await sql<{
            shop_id: number;
            day: string;
            s: number;
          }>`select shop_id, day, sum(amount) as s from payments where status in ('Paying', 'AwaitingPayer', 'Paid') group by shop_id, day`.execute(
            k,
          )
        ).rows.map((r) => [`${r.shop_id}/${r.day}`, Number(r.s)]),
      );
    expect(await totals()).toEqual({ [`${a}/${D1}`]: 3000, [`${b}/${D1}`]: 300 });

    const x = await pay(a, 500, 'Paying', D1); // insert, committed
    const y = await pay(a, 700, 'AwaitingApproval', D1); // insert, not committed
    expect(await totals()).toEqual({ [`${a}/${D1}`]: 3500, [`${b}/${D1}`]: 300 });
    await k.updateTable('payments').set({ status: 'Paid' }).where('id', '=', x).execute(); // committed → committed
    await k.updateTable('payments').set({ status: 'Paying' }).where('id', '=', y).execute(); // → committed
    expect((await totals())[`${a}/${D1}`]).toBe(4200);
    await k.updateTable('payments').set({ status: 'Failed' }).where('id', '=', x).execute(); // committed → not
    expect((await totals())[`${a}/${D1}`]).toBe(3700);
    await k.updateTable('payments').set({ amount: 900 }).where('id', '=', y).execute(); // amount changes
    await k.updateTable('payments').set({ attempts: 2, updated_at: 5 }).where('id', '=', y).execute(); // other columns: no change
    expect((await totals())[`${a}/${D1}`]).toBe(3900);
    await k.updateTable('payments').set({ day: D2, shop_id: b }).where('id', '=', y).execute(); // moves to another shop and day
    expect(await totals()).toEqual({ [`${a}/${D1}`]: 3000, [`${b}/${D1}`]: 300, [`${b}/${D2}`]: 900 });
    await k.deleteFrom('payments').where('id', '=', y).execute();
    await k.updateTable('payments').set({ status: 'Paid' }).where('status', '=', 'Blocked').execute(); // many rows at once
    expect(await totals()).toEqual({ [`${a}/${D1}`]: 7000, [`${b}/${D1}`]: 300 });
    expect(await totals()).toEqual(await sums());
  });
  it('0017: a delivery left Sending by the code before it is in flight (its push was counted); a sent or failed one is not', async () => {
    t = await createTestDb({ migrate: false });
    await migrateToLatest(t.db, { upTo: '0016-payment-day-totals' });
    const k = t.db.kysely;
    const shopId = Number(
      (
        await sql<{
          id: number;
        }>`insert into shops (shop_key, name, app_id, app_secret_enc, push_token_enc, aes_key_enc, created_at, updated_at) values ('a', 'a', 'wxa', 'x', 'x', 'x', 0, 0) returning id`.execute(
          k,
        )
      ).rows[0]!.id,
    );
    const o = Number(
      (
        await sql<{
          id: number;
        }>`insert into shop_orders (shop_id, wx_order_id, state, wx_status, wx_create_time_s, wx_update_time_s, order_price, product_price, freight, customer_notes, merchant_notes, address, special_requests, review_reasons, search_text, deliver_echoes, created_at, updated_at) values (${shopId}, 'wx-1', 'Fulfilling', 20, 0, 0, 100, 100, 0, '', '', '{}', '[]', '[]', '', 1, 0, 0) returning id`.execute(
          k,
        )
      ).rows[0]!.id,
    );
    for (const [waybill, status] of [
      ['W1', 'Sending'],
      ['W2', 'Sent'],
      ['W3', 'Failed'],
    ]) {
      await sql`insert into wx_deliveries (shop_order_id, waybill_id, delivery_id, product_infos, package_ids, status, updates, created_at, updated_at) values (${o}, ${waybill}, 'ZTO', '[]', '[]', ${status}, 0, 0, 0)`.execute(
        k,
      );
    }
    expect(await migrateToLatest(t.db)).toContain('0017-delivery-in-flight');
    expect(await k.selectFrom('wx_deliveries').select(['waybill_id', 'in_flight']).orderBy('waybill_id').execute()).toEqual([
      { waybill_id: 'W1', in_flight: 1 },
      { waybill_id: 'W2', in_flight: 0 },
      { waybill_id: 'W3', in_flight: 0 },
    ]);
  });

  it('0023: the 1688 messages already received move to the one inbound store — one sent again after the upgrade is still a duplicate', async () => {
    t = await createTestDb({ migrate: false });
    await migrateToLatest(t.db, { upTo: '0022-line-spec-change' });
    const k = t.db.kysely;
    await sql`insert into supplier_messages (msg_id, type, supplier_order_id, body, received_at) values ('7565094247', 'ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS', '167539019420540001', '{"msgId":7565094247}', 5)`.execute(
      k,
    );
    expect(await migrateToLatest(t.db)).toContain('0023-one-inbound-store');
    expect(
      await k
        .selectFrom('inbound_events')
        .select(['source', 'shop_id', 'dedup_key', 'event_type', 'external_id', 'payload', 'received_at'])
        .execute(),
    ).toEqual([
      {
        source: '1688',
        shop_id: 0,
        dedup_key: '7565094247',
        event_type: 'ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS',
        external_id: '167539019420540001',
        payload: '{"msgId":7565094247}',
        received_at: 5,
      },
    ]);
    const { InboundEventStore } = await import('../../src/inbound/event-store.js');
    const store = new InboundEventStore(t.db, { now: () => 10 });
    expect(
      await store.store({
        source: '1688',
        shopId: 0,
        dedupKey: '7565094247',
        eventType: 'ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS',
        externalId: null,
        payload: '{}',
      }),
    ).toBe(false);
  });
});

describe.runIf(testDialect === 'postgres')('migrating on a PostgreSQL server other databases share', () => {
  it('another schema dropped and altered again and again while we migrate does not fail our migration', async () => {
    // Agencies put several Daifa databases on one server; CI's test files each create and drop their own schema.
    // Kysely's own catalogue read resolved every column of every schema by name and failed when another schema's
    // objects vanished mid-read (3F000 / 42703 / 42P01) — here two connections churn schemas the whole time.
    const base = process.env.DATABASE_URL!;
    let churning = true;
    const run = randomAlnum(8).toLowerCase();
    const churn = async (tag: string) => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      let rounds = 0;
      try {
        while (churning) {
          const s = `churn_${tag}_${run}_${rounds++}`;
          const cols = Array.from({ length: 40 }, (_, i) => `c${i} bigserial`).join(', ');
          await c.query(`create schema ${s}; create table ${s}.t1 (${cols}); create table ${s}.t2 (${cols})`);
          await c.query(`alter table ${s}.t1 drop column c1, drop column c2`);
          await c.query(`drop schema ${s} cascade`);
        }
      } finally {
        await c.end();
      }
      return rounds;
    };
    const churners = [churn('a'), churn('b')];
    try {
      for (let i = 0; i < 6; i++) {
        const t = await createTestDb({ migrate: false });
        try {
          const applied = await migrateToLatest(t.db);
          expect(applied.length).toBeGreaterThan(20);
        } finally {
          await t.cleanup();
        }
      }
    } finally {
      churning = false;
    }
    const rounds = await Promise.all(churners);
    expect(Math.min(...rounds)).toBeGreaterThan(0);
  }, 120_000);
});
