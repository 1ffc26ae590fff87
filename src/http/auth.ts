import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/dialect.js';
import { DaifaError } from '../lib/errors.js';
import { sessionPrincipal } from './session.js';
import { bearerToken, ROLE_RANK, tokenPrincipal, type Principal, type Role } from '../security/accounts.js';

export type { Principal, Role };

/** Anything but GET and HEAD may change something: it needs the CSRF token, and a read-only token cannot make it. */
export const changes = (req: { method: string }): boolean => !['GET', 'HEAD'].includes(req.method);

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * Every /api route needs a bearer token (API token of a user, for the CLI and scripts) or a dashboard session
 * cookie; with the cookie, every change (anything but GET/HEAD) must carry the session's CSRF token.
 * Roles are checked per route.
 */
export function authenticate(db: Db, now: () => number) {
  return async (req: FastifyRequest) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      const s = await sessionPrincipal(db, req, now());
      if (!s) throw new DaifaError('UNAUTHENTICATED', '需要登录：请提供 Authorization: Bearer <token> 或登录 / authentication required');
      if (changes(req) && !s.csrfOk) throw new DaifaError('FORBIDDEN', 'CSRF 校验失败，请刷新页面 / CSRF check failed, reload the page');
      req.principal = s.principal;
      return;
    }
    req.principal = await tokenPrincipal(db, token, now(), changes(req));
  };
}

export function requireRole(min: Role) {
  const check = async (req: FastifyRequest, _reply: FastifyReply) => {
    const p = req.principal;
    if (!p) throw new DaifaError('UNAUTHENTICATED');
    if (ROLE_RANK[p.role] < ROLE_RANK[min]) throw new DaifaError('FORBIDDEN', `需要 ${min} 角色 / requires role ${min}`);
  };
  // The route table (docs/API.md's check) reads the role from here.
  return Object.assign(check, { requiredRole: min });
}
