import type { Db } from '../db/dialect.js';
import type { Principal, Role } from './accounts.js';
import { hashToken } from './passwords.js';

/** Dashboard sessions: only the token's hash is stored, with the session's CSRF token and when it ends. */
export async function createSession(
  db: Db,
  input: { userId: number; token: string; csrf: string; now: number; ttlMs: number },
): Promise<void> {
  await db.kysely
    .insertInto('sessions')
    .values({
      user_id: input.userId,
      token_hash: hashToken(input.token),
      csrf: input.csrf,
      created_at: input.now,
      expires_at: input.now + input.ttlMs,
    })
    .execute();
  await db.kysely.deleteFrom('sessions').where('expires_at', '<', input.now).execute();
}

/** The user of a live session (not expired, user not disabled), with its CSRF token. */
export async function sessionByToken(db: Db, token: string, now: number): Promise<{ principal: Principal; csrf: string } | undefined> {
  const row = await db.kysely
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['u.id as userId', 'u.username', 'u.role', 'u.disabled', 's.csrf', 's.expires_at'])
    .where('s.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.disabled || Number(row.expires_at) <= now) return undefined;
  return { principal: { userId: row.userId, username: row.username, role: row.role as Role }, csrf: row.csrf };
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.kysely.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}
