import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The daily payment cap reads one row instead of summing the shop's payments of the day (a walk that grew with
 * every payment: at 10,000 orders a day it was the costliest statement of the loop). The database keeps the
 * total itself: triggers on `payments` add a payment while its status commits money (Paying, AwaitingPayer,
 * Paid) and take it off when the status, amount, shop or day changes or the row goes — whichever code path
 * writes the payment, so no writer can forget to.
 */
export const COMMITTED = `('Paying', 'AwaitingPayer', 'Paid')`;

export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('payment_day_totals')
    .addColumn('shop_id', 'bigint', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('payment_day_totals_pk', ['shop_id', 'day'])
    .execute();
  await sql
    .raw(
      `insert into payment_day_totals (shop_id, day, amount) select shop_id, day, sum(amount) from payments where shop_id is not null and status in ${COMMITTED} group by shop_id, day`,
    )
    .execute(db);
  const add = (r: 'new') =>
    `insert into payment_day_totals (shop_id, day, amount) select ${r}.shop_id, ${r}.day, ${r}.amount where ${r}.shop_id is not null and ${r}.status in ${COMMITTED} on conflict (shop_id, day) do update set amount = payment_day_totals.amount + excluded.amount`;
  const remove = (r: 'old') =>
    `update payment_day_totals set amount = amount - ${r}.amount where shop_id = ${r}.shop_id and day = ${r}.day and ${r}.status in ${COMMITTED}`;
  if (dialect === 'sqlite') {
    await sql.raw(`create trigger payments_day_total_insert after insert on payments begin ${add('new')}; end`).execute(db);
    await sql
      .raw(
        `create trigger payments_day_total_update after update of status, amount, shop_id, day on payments begin ${remove('old')}; ${add('new')}; end`,
      )
      .execute(db);
    await sql.raw(`create trigger payments_day_total_delete after delete on payments begin ${remove('old')}; end`).execute(db);
  } else {
    await sql
      .raw(
        `create function payment_day_totals_apply() returns trigger language plpgsql as $$
begin
  if tg_op <> 'INSERT' then ${remove('old')}; end if;
  if tg_op <> 'DELETE' then ${add('new')}; end if;
  return null;
end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger payments_day_total after insert or update of status, amount, shop_id, day or delete on payments for each row execute function payment_day_totals_apply()`,
      )
      .execute(db);
  }
}
