import type { Db } from '../db/dialect.js';

/** Alerts, newest first (filters: status, event). */
export async function listNotifications(db: Db, q: { status?: string; event?: string; limit?: number }) {
  let query = db.kysely
    .selectFrom('notifications')
    .select(['id', 'shop_id', 'event', 'channel', 'status', 'title', 'body', 'attempts', 'last_error', 'created_at', 'sent_at', 'batch_id'])
    .orderBy('id', 'desc')
    .limit(q.limit ?? 100);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.event) query = query.where('event', '=', q.event);
  return query.execute();
}
