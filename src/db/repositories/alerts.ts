import type { Executor } from '../dialect.js';
import { preparedInsert } from '../prepared.js';

/**
 * 提醒: the alerts outbox — each alert per channel and target (notifications), the messages that carried them
 * (notification_batches: one alert, a summary or a digest) and the per-target send locks. The only writer.
 */

// Written for the alerts of every order: compiled once (see prepared()).
export const insertNotification = preparedInsert(
  'notifications',
  ['shop_id', 'event', 'channel', 'target', 'dedup_key', 'status', 'title', 'body', 'data', 'attempts', 'created_at'],
  (q) => q.onConflict((oc) => oc.column('dedup_key').doNothing()).returning(['id', 'status']),
);

/** The latest messages to a target created after `since`, newest first (the provider's rate windows). */
export const recentBatches = (ex: Executor, channel: string, target: string, since: number, max: number) =>
  ex
    .selectFrom('notification_batches')
    .select(['created_at', 'sent_at'])
    .where('channel', '=', channel)
    .where('target', '=', target)
    .where('created_at', '>', since)
    .orderBy('created_at', 'desc')
    .limit(max)
    .execute();

/** Take a target's send lock until `until` unless another holder's is still valid; whether it was taken. */
export async function lockTarget(ex: Executor, key: string, now: number, until: number): Promise<boolean> {
  await ex
    .insertInto('alert_target_locks')
    .values({ key, locked_until: 0 })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const r = await ex
    .updateTable('alert_target_locks')
    .set({ locked_until: until })
    .where('key', '=', key)
    .where('locked_until', '<', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function unlockTarget(ex: Executor, key: string): Promise<void> {
  await ex.updateTable('alert_target_locks').set({ locked_until: 0 }).where('key', '=', key).execute();
}

/** A target's pending alerts, oldest first (at most `limit`). */
export const pendingFor = (ex: Executor, channel: string, target: string, limit: number) =>
  ex
    .selectFrom('notifications')
    .select(['id', 'event', 'title', 'body', 'shop_id', 'attempts'])
    .where('channel', '=', channel)
    .where('target', '=', target)
    .where('status', '=', 'pending')
    .orderBy('id')
    .limit(limit)
    .execute();

/** A message about to be sent for these alerts: written (sending) and the alerts tied to it; its id. */
export async function startBatch(
  ex: Executor,
  b: { channel: string; target: string; kind: string; title: string; body: string; itemIds: number[] },
  now: number,
): Promise<number> {
  const batch = await ex
    .insertInto('notification_batches')
    .values({
      channel: b.channel,
      target: b.target,
      kind: b.kind,
      title: b.title,
      body: b.body,
      item_count: b.itemIds.length,
      status: 'sending',
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ex.updateTable('notifications').set({ status: 'sending', batch_id: batch.id }).where('id', 'in', b.itemIds).execute();
  return batch.id;
}

/** A message's title and body. */
export const batchText = (ex: Executor, batchId: number) =>
  ex.selectFrom('notification_batches').select(['title', 'body']).where('id', '=', batchId).executeTakeFirstOrThrow();

/** The message went out, and with it its alerts. */
export async function batchSent(ex: Executor, batchId: number, itemIds: number[], at: number): Promise<void> {
  await ex.updateTable('notification_batches').set({ status: 'sent', sent_at: at }).where('id', '=', batchId).execute();
  await ex.updateTable('notifications').set({ status: 'sent', sent_at: at, last_error: null }).where('id', 'in', itemIds).execute();
}

/** The message failed: its alerts wait for another try, or are kept as failed when given up. */
export async function batchFailed(
  ex: Executor,
  batchId: number,
  itemIds: number[],
  r: { error: string; attempts: number; giveUp: boolean },
): Promise<void> {
  await ex.updateTable('notification_batches').set({ status: 'failed', last_error: r.error }).where('id', '=', batchId).execute();
  await ex
    .updateTable('notifications')
    .set({ status: r.giveUp ? 'failed' : 'pending', batch_id: null, attempts: r.attempts, last_error: r.error })
    .where('id', 'in', itemIds)
    .execute();
}

/** Every failed alert waits again (attempts from zero); the targets they were for, and how many. */
export async function requeueFailed(ex: Executor): Promise<{ targets: { channel: string; target: string }[]; count: number }> {
  const targets = await ex
    .selectFrom('notifications')
    .select(['channel', 'target'])
    .where('status', '=', 'failed')
    .groupBy(['channel', 'target'])
    .execute();
  const r = await ex.updateTable('notifications').set({ status: 'pending', attempts: 0 }).where('status', '=', 'failed').executeTakeFirst();
  return { targets, count: Number(r.numUpdatedRows) };
}

/** A shop's alerts folded during quiet hours, oldest first (the next digest carries them). */
export const foldedOf = (ex: Executor, shopId: number) =>
  ex
    .selectFrom('notifications')
    .select(['id', 'event', 'title', 'data'])
    .where('shop_id', '=', shopId)
    .where('status', '=', 'folded')
    .orderBy('id')
    .execute();

/** Folded alerts carried by a digest. */
export async function markDigested(ex: Executor, ids: number[], now: number): Promise<void> {
  if (!ids.length) return;
  await ex.updateTable('notifications').set({ status: 'digested', sent_at: now }).where('id', 'in', ids).execute();
}

/** A shop's orders received since `since`, counted per state (the daily digest). */
export const ordersByStateSince = (ex: Executor, shopId: number, since: number) =>
  ex
    .selectFrom('shop_orders')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('shop_id', '=', shopId)
    .where('created_at', '>=', since)
    .groupBy('state')
    .execute();
