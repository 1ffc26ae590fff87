import type { Db } from '../db/dialect.js';
import { DaifaError } from '../lib/errors.js';

/**
 * One sign-in policy for every way in (the dashboard's session and the API's token login): each attempt is counted
 * **before** the password is hashed — per user and per client address, in the database, so the limit holds across
 * processes and machines, and parallel guesses are counted before any of them is checked (a burst of 20 gets 5
 * checks, not 20). A success clears the user's count.
 */
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Attempts per user name in the window (the 6th within 15 minutes is refused without checking). */
export const LOGIN_MAX_PER_USER = 5;
/** Attempts per client address in the window (many users may share one office address). */
export const LOGIN_MAX_PER_ADDRESS = 30;

export interface LoginAttempt {
  ids: number[];
  userKey: string;
}

/** Count this attempt, then refuse it (429) when the user or the address is over its limit. */
export async function countAttempt(db: Db, username: string, address: string, now: number): Promise<LoginAttempt> {
  const userKey = `user:${username.trim().toLowerCase()}`;
  const addressKey = `ip:${address}`;
  const ids = await db.kysely.transaction().execute(async (trx) => {
    const rows = await trx
      .insertInto('login_failures')
      .values([
        { key: userKey, at: now },
        { key: addressKey, at: now },
      ])
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  });
  const counts = await db.kysely
    .selectFrom('login_failures')
    .select(['key', (eb) => eb.fn.countAll<number>().as('n')])
    .where('key', 'in', [userKey, addressKey])
    .where('at', '>', now - LOGIN_WINDOW_MS)
    .groupBy('key')
    .execute();
  const n = (key: string) => Number(counts.find((c) => c.key === key)?.n ?? 0);
  if (n(userKey) > LOGIN_MAX_PER_USER || n(addressKey) > LOGIN_MAX_PER_ADDRESS) {
    throw new DaifaError('RATE_LIMITED', '登录失败次数过多，请 15 分钟后再试 / too many sign-in attempts, try again in 15 minutes');
  }
  return { ids, userKey };
}

/** The password was right: this attempt and the user's earlier failures are forgotten. */
export async function attemptSucceeded(db: Db, attempt: LoginAttempt): Promise<void> {
  await db.kysely
    .deleteFrom('login_failures')
    .where((eb) => eb.or([eb('key', '=', attempt.userKey), eb('id', 'in', attempt.ids)]))
    .execute();
}

/** The password was wrong: the attempt stays counted; rows older than a day are pruned. */
export async function attemptFailed(db: Db, now: number): Promise<void> {
  await db.kysely
    .deleteFrom('login_failures')
    .where('at', '<', now - 24 * 3_600_000)
    .execute();
}
