import type { Db } from '../db/dialect.js';
import { DaifaError } from '../lib/errors.js';
import { hashPassword, hashToken, newApiToken, verifyPassword } from './passwords.js';
import { attemptFailed, attemptSucceeded, countAttempt } from './login-policy.js';

/**
 * Users and their credentials: accounts, passwords, API tokens, sign-in (counted by the login policy). The HTTP
 * layer (src/http/auth.ts, src/http/session.ts) only reads requests and calls these.
 */
export type Role = 'owner' | 'operator' | 'viewer';
/** Who may do what: a role can do everything the roles below it can. */
export const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, owner: 2 };
const TOKEN_USE_RESOLUTION_MS = 3_600_000;

export interface Principal {
  userId: number;
  username: string;
  role: Role;
}

export async function createUser(db: Db, input: { username: string; password: string; role: Role }, now: number): Promise<number> {
  if (!/^[A-Za-z0-9_.@-]{2,64}$/.test(input.username))
    throw new DaifaError('VALIDATION', '用户名为 2–64 位字母、数字或 _.@- / invalid username', {
      details: [{ field: 'username', message: 'invalid username' }],
    });
  if (input.password.length < 8)
    throw new DaifaError('VALIDATION', '密码至少 8 位 / password must have at least 8 characters', {
      details: [{ field: 'password', message: 'too short' }],
    });
  if (!(input.role in ROLE_RANK))
    throw new DaifaError('VALIDATION', '角色必须是 owner/operator/viewer', { details: [{ field: 'role', message: 'invalid role' }] });
  const exists = await db.kysely.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
  if (exists) throw new DaifaError('ALREADY_DONE', `用户 ${input.username} 已存在 / user exists`);
  const row = await db.kysely
    .insertInto('users')
    .values({ username: input.username, password_hash: await hashPassword(input.password), role: input.role, disabled: 0, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A new password (≥ 8 characters); the user's browser sessions end and API tokens are revoked (a leaked password's tokens with it). */
export async function setPassword(db: Db, username: string, password: string): Promise<void> {
  if (password.length < 8)
    throw new DaifaError('VALIDATION', '密码至少 8 位 / password must have at least 8 characters', {
      details: [{ field: 'password', message: 'too short' }],
    });
  const u = await db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
  if (!u) throw new DaifaError('NOT_FOUND', `用户 ${username} 不存在 / no such user`);
  const hash = await hashPassword(password);
  await db.kysely.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', u.id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', u.id).execute();
    await trx.deleteFrom('api_tokens').where('user_id', '=', u.id).execute();
  });
}

/** API tokens expire (90 days unless asked otherwise, a year at most); a `read` token may only read (GET). */
export const TOKEN_DEFAULT_DAYS = 90;
export const TOKEN_MAX_DAYS = 365;
export type TokenScope = 'full' | 'read';

export async function issueToken(
  db: Db,
  userId: number,
  name: string,
  now: number,
  opts: { expiresInDays?: number; scope?: TokenScope } = {},
): Promise<string> {
  const days = opts.expiresInDays ?? TOKEN_DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > TOKEN_MAX_DAYS)
    throw new DaifaError('VALIDATION', `令牌有效期为 1–${TOKEN_MAX_DAYS} 天 / expiresInDays 1–${TOKEN_MAX_DAYS}`, {
      details: [{ field: 'expiresInDays', message: 'out of range' }],
    });
  const { token, hash } = newApiToken();
  await db.kysely
    .insertInto('api_tokens')
    .values({
      user_id: userId,
      name,
      token_hash: hash,
      created_at: now,
      last_used_at: null,
      expires_at: now + days * 86_400_000,
      scope: opts.scope ?? 'full',
    })
    .execute();
  return token;
}

/** The token of an `Authorization: Bearer …` header, if that is what the request carries. */
export const bearerToken = (header: string | undefined): string | undefined => /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];

/** A user's API tokens (never the token or its hash), with when each was last used (to the hour); `current` marks the one the request came with. */
export async function listTokens(db: Db, userId: number, authorization: string | undefined) {
  const bearer = bearerToken(authorization);
  const current = bearer ? hashToken(bearer) : undefined;
  const rows = await db.kysely
    .selectFrom('api_tokens')
    .select(['id', 'name', 'created_at', 'last_used_at', 'token_hash', 'expires_at', 'scope'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    scope: r.scope,
    current: r.token_hash === current,
  }));
}

/**
 * Revoke API tokens: one of the user's own (a script retired, a token leaked), or all of a user's (an owner, for
 * someone else's). The next call with a revoked token gets 401. Returns how many were revoked.
 */
export async function revokeTokens(db: Db, userId: number, tokenId?: number): Promise<number> {
  let q = db.kysely.deleteFrom('api_tokens').where('user_id', '=', userId);
  if (tokenId !== undefined) q = q.where('id', '=', tokenId);
  const r = await q.executeTakeFirst();
  const n = Number(r.numDeletedRows);
  if (tokenId !== undefined && n === 0) throw new DaifaError('NOT_FOUND', `令牌 ${tokenId} 不存在 / token ${tokenId} not found`);
  return n;
}

/**
 * Sign in through the one login policy (attempts counted before the hash, per user and per address): the dashboard's
 * session and the API's token login both come here.
 */
export async function signIn(db: Db, input: { username: string; password: string; address: string }, now: number): Promise<Principal> {
  const attempt = await countAttempt(db, input.username, input.address, now);
  try {
    const p = await login(db, input.username, input.password);
    await attemptSucceeded(db, attempt);
    return p;
  } catch (err) {
    await attemptFailed(db, now);
    throw err;
  }
}

/** Check a password (no attempt counting: for a signed-in user confirming theirs; sign-ins go through signIn). */
export async function login(db: Db, username: string, password: string): Promise<Principal> {
  const u = await db.kysely.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  // Verify against a dummy hash when the user is unknown, so timing does not reveal which usernames exist.
  const ok = await verifyPassword(
    password,
    u?.password_hash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  );
  if (!u || !ok || u.disabled) throw new DaifaError('UNAUTHENTICATED', '用户名或密码错误 / wrong username or password');
  return { userId: u.id, username: u.username, role: u.role as Role };
}

/**
 * The user an API token belongs to, if the token is valid, unexpired and allowed this kind of request (a read-only
 * token only reads). When it was last used is kept to the hour (one write an hour, not one per call).
 */
export async function tokenPrincipal(db: Db, token: string, now: number, changes: boolean): Promise<Principal> {
  const row = await db.kysely
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'users.id as userId',
      'users.username',
      'users.role',
      'users.disabled',
      'api_tokens.id as tokenId',
      'api_tokens.last_used_at',
      'api_tokens.expires_at',
      'api_tokens.scope',
    ])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.disabled) throw new DaifaError('UNAUTHENTICATED', '令牌无效 / invalid token');
  if (Number(row.expires_at) <= now) throw new DaifaError('UNAUTHENTICATED', '令牌已过期，请重新登录获取 / token expired');
  if (row.scope === 'read' && changes) throw new DaifaError('FORBIDDEN', '只读令牌不能修改数据 / a read-only token cannot change anything');
  if (row.last_used_at === null || now - Number(row.last_used_at) > TOKEN_USE_RESOLUTION_MS)
    await db.kysely.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.tokenId).execute();
  return { userId: row.userId, username: row.username, role: row.role as Role };
}

/** Every user (never a password hash). */
export async function listUsers(db: Db) {
  return db.kysely.selectFrom('users').select(['id', 'username', 'role', 'disabled', 'created_at']).orderBy('id').execute();
}

/** Every user with the API tokens still valid at `now` (names, scope, expiry — never the secret). */
export async function listUsersWithTokens(db: Db, now: number) {
  const users = await listUsers(db);
  const tokens = await db.kysely.selectFrom('api_tokens').select(['user_id', 'name', 'expires_at', 'last_used_at', 'scope']).execute();
  return users.map((u) => ({ ...u, tokens: tokens.filter((t) => t.user_id === u.id && Number(t.expires_at) > now) }));
}

export async function userIdByName(db: Db, username: string): Promise<number> {
  const u = await db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
  if (!u) throw new DaifaError('NOT_FOUND', `用户 ${username} 不存在 / no such user`);
  return u.id;
}

export async function assertUserExists(db: Db, id: number): Promise<void> {
  if (!(await db.kysely.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()))
    throw new DaifaError('NOT_FOUND', `用户 ${id} 不存在 / user ${id} not found`);
}

/** A new role, or disabled (their sessions end at once; their API tokens stop working while disabled). */
export async function updateUser(db: Db, id: number, change: { role?: Role; disabled?: boolean }): Promise<void> {
  const r = await db.kysely
    .updateTable('users')
    .set({ ...(change.role ? { role: change.role } : {}), ...(change.disabled !== undefined ? { disabled: change.disabled ? 1 : 0 } : {}) })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new DaifaError('NOT_FOUND', `用户 ${id} 不存在 / no such user`);
  if (change.disabled) await db.kysely.deleteFrom('sessions').where('user_id', '=', id).execute();
}

export async function hasUsers(db: Db): Promise<boolean> {
  return Boolean(await db.kysely.selectFrom('users').select('id').limit(1).executeTakeFirst());
}
