import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createSession, endSession, sessionByToken } from '../security/sessions.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/dialect.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import { signIn, type Principal } from '../security/accounts.js';

/**
 * Browser sessions for the dashboard: an httpOnly, SameSite=Strict cookie holding a random token (only its
 * SHA-256 is stored), and a CSRF token the page sends back in `x-csrf-token` on every change. Sign-in attempts
 * are counted in the database before the password is checked (security/login-policy.ts).
 */
export const SESSION_COOKIE = 'daifa_session';
const SESSION_TTL_MS = 7 * 86_400_000;
export { LOGIN_WINDOW_MS, LOGIN_MAX_PER_USER as LOGIN_MAX_FAILURES } from '../security/login-policy.js';

export interface SessionOptions {
  /** Mark the cookie Secure (behind HTTPS). */
  secureCookie: boolean;
}

function cookieValue(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function setCookie(reply: FastifyReply, value: string, maxAgeS: number, secure: boolean): void {
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`,
  );
}

/** The principal of a valid session cookie, and whether the request carries the matching CSRF token. */
export async function sessionPrincipal(
  db: Db,
  req: FastifyRequest,
  now: number,
): Promise<{ principal: Principal; csrfOk: boolean; csrf: string } | undefined> {
  const token = cookieValue(req);
  if (!token) return undefined;
  const s = await sessionByToken(db, token, now);
  if (!s) return undefined;
  const sent = req.headers['x-csrf-token'];
  const csrfOk = typeof sent === 'string' && sent.length === s.csrf.length && timingSafeEqual(Buffer.from(sent), Buffer.from(s.csrf));
  return { ...s, csrfOk };
}

export function registerSessionRoutes(http: FastifyInstance, db: Db, clock: Clock, opts: SessionOptions): void {
  http.post('/api/session', async (req, reply) => {
    const b = z
      .object({
        username: z.string().trim().min(1, '请输入用户名 / username required').max(64),
        password: z.string().min(1, '请输入密码 / password required').max(200),
      })
      .parse(req.body);
    const now = clock.now();
    // The one login policy: the attempt is counted before the password is checked (see security/login-policy.ts).
    const p: Principal = await signIn(db, { username: b.username, password: b.password, address: req.ip }, now);
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    await createSession(db, { userId: p.userId, token, csrf, now, ttlMs: SESSION_TTL_MS });
    setCookie(reply, token, SESSION_TTL_MS / 1000, opts.secureCookie);
    return { user: { username: p.username, role: p.role }, csrfToken: csrf };
  });

  http.get('/api/session', async (req) => {
    const s = await sessionPrincipal(db, req, clock.now());
    if (!s) throw new DaifaError('UNAUTHENTICATED', '未登录 / not logged in');
    return { user: { username: s.principal.username, role: s.principal.role }, csrfToken: s.csrf };
  });

  http.delete('/api/session', async (req, reply) => {
    const token = cookieValue(req);
    const s = await sessionPrincipal(db, req, clock.now());
    if (token && s) {
      if (!s.csrfOk) throw new DaifaError('FORBIDDEN', 'CSRF 校验失败，请刷新页面 / CSRF check failed, reload the page');
      await endSession(db, token);
    }
    setCookie(reply, '', 0, opts.secureCookie);
    return { ok: true };
  });
}
