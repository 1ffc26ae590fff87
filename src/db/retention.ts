import type { Db } from './dialect.js';

/**
 * Retention: what arrives from outside is kept only as long as it is useful. Raw webhook bodies (WeChat pushes,
 * 1688 messages) serve deduplication and debugging for days, not years: older than `eventsDays` they go (the orders
 * keep their own history). The decode log — who saw a buyer's address, when, why, where it was sent — is kept
 * `decodeLogDays` (a year by default) and then goes too; the plaintext itself is never stored. Expired sessions and
 * day-old login attempts are swept with them. Runs hourly in every worker process; deleting twice is harmless.
 */
export async function pruneRetention(
  db: Db,
  now: number,
  days: { eventsDays: number; decodeLogDays: number },
): Promise<Record<string, number>> {
  const k = db.kysely;
  const dayMs = 86_400_000;
  const n = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  return {
    inbound_events: n(
      await k
        .deleteFrom('inbound_events')
        .where('received_at', '<', now - days.eventsDays * dayMs)
        .executeTakeFirst(),
    ),
    decode_log: n(
      await k
        .deleteFrom('decode_log')
        .where('created_at', '<', now - days.decodeLogDays * dayMs)
        .executeTakeFirst(),
    ),
    sessions: n(await k.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst()),
    login_failures: n(
      await k
        .deleteFrom('login_failures')
        .where('at', '<', now - dayMs)
        .executeTakeFirst(),
    ),
  };
}
