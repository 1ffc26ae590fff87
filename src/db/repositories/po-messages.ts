import type { Executor } from '../dialect.js';

/**
 * 采购单往来: a purchase order's thread with its supplier (po_messages) — the e-mails Daifa sent (written `sending`
 * before the send, `sent` after, removed when certainly not sent) and the replies a person recorded. The only writer.
 */

/** The status of the purchase order's first e-mail out to its supplier, if one was written. */
export const outgoingMessage = (ex: Executor, poId: number) =>
  ex
    .selectFrom('po_messages')
    .select('status')
    .where('purchase_order_id', '=', poId)
    .where('direction', '=', 'out')
    .orderBy('id')
    .executeTakeFirst();

/** Whether the purchase order's e-mail to its supplier went out (its thread has an outgoing message). */
export async function mailedToSupplier(ex: Executor, poId: number): Promise<boolean> {
  return (await outgoingMessage(ex, poId)) !== undefined;
}

/** The message of the thread with this Message-ID (an e-mail written once per key), if any. */
export const messageById = (ex: Executor, poId: number, messageId: string) =>
  ex
    .selectFrom('po_messages')
    .select(['id', 'status'])
    .where('purchase_order_id', '=', poId)
    .where('message_id', '=', messageId)
    .executeTakeFirst();

/** The Message-ID of the thread's first message out (later e-mails reply to it). */
export async function threadStart(ex: Executor, poId: number): Promise<string | null | undefined> {
  const row = await ex
    .selectFrom('po_messages')
    .select('message_id')
    .where('purchase_order_id', '=', poId)
    .where('direction', '=', 'out')
    .orderBy('id')
    .executeTakeFirst();
  return row?.message_id;
}

/** The oldest e-mail out still `sending` (its outcome unknown), if any. */
export const unconfirmedEmail = (ex: Executor, poId: number) =>
  ex
    .selectFrom('po_messages')
    .select(['id', 'subject'])
    .where('purchase_order_id', '=', poId)
    .where('direction', '=', 'out')
    .where('channel', '=', 'email')
    .where('status', '=', 'sending')
    .orderBy('id')
    .executeTakeFirst();

/** An e-mail about to be sent, written first (status `sending`); its id. */
export async function recordSending(
  ex: Executor,
  m: { poId: number; subject: string; body: string; messageId: string; actor: string; to: string },
  now: number,
): Promise<number> {
  const row = await ex
    .insertInto('po_messages')
    .values({
      purchase_order_id: m.poId,
      direction: 'out',
      channel: 'email',
      status: 'sending',
      subject: m.subject,
      body: m.body,
      message_id: m.messageId,
      actor: m.actor,
      data: JSON.stringify({ to: m.to }),
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The e-mail went out. */
export async function markSent(ex: Executor, id: number): Promise<void> {
  await ex.updateTable('po_messages').set({ status: 'sent' }).where('id', '=', id).execute();
}

/** The e-mail certainly did not go out: it is not part of the thread. */
export async function forgetMessage(ex: Executor, id: number): Promise<void> {
  await ex.deleteFrom('po_messages').where('id', '=', id).execute();
}

/** A supplier's reply, as a person recorded it (with what it said about the order). */
export async function recordReply(
  ex: Executor,
  r: { poId: number; body: string; actor: string; data: unknown },
  now: number,
): Promise<void> {
  await ex
    .insertInto('po_messages')
    .values({
      purchase_order_id: r.poId,
      direction: 'in',
      channel: 'operator',
      status: 'recorded',
      subject: '',
      body: r.body,
      message_id: null,
      actor: r.actor,
      data: JSON.stringify(r.data),
      created_at: now,
    })
    .execute();
}

/** How many messages the thread holds. */
export async function threadSize(ex: Executor, poId: number): Promise<number> {
  const row = await ex
    .selectFrom('po_messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('purchase_order_id', '=', poId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
