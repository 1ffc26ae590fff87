import type { FastifyInstance, RouteOptions } from 'fastify';
import { type Role } from '../security/accounts.js';

/** Who may call a route: anyone (webhooks, login, health), or a signed-in user with at least this role. */
export type Access = 'public' | Role;

export interface RouteInfo {
  method: string;
  url: string;
  access: Access;
}

/** The role a route's preHandler requires (`requireRole` tags its check with it); none → any signed-in user. */
function roleOf(r: RouteOptions): Role | undefined {
  for (const h of [r.preHandler ?? []].flat()) {
    const role = (h as { requiredRole?: Role }).requiredRole;
    if (role) return role;
  }
  return undefined;
}

/**
 * Records every route as it is added, with who may call it: the list docs/API.md is checked against
 * (test/integration/api-doc.test.ts), so the documented API cannot drift from the served one. The dashboard's
 * built files (served by @fastify/static) are not API and are left out.
 */
export function collectRoutes(http: FastifyInstance) {
  const table = new Map<string, RouteInfo>();
  tables.set(http, table);
  const methods = (r: RouteOptions) => [r.method].flat().filter((m) => m !== 'HEAD');
  http.addHook('onRoute', (r) => {
    if (r.url.startsWith('/api/') || r.url.startsWith('/webhooks/') || r.url === '/health')
      for (const method of methods(r)) table.set(`${method} ${r.url}`, { method, url: r.url, access: 'public' });
  });
  return {
    /** Routes added in this scope (and its children) sit behind the sign-in check. */
    signedIn(scope: FastifyInstance): void {
      scope.addHook('onRoute', (r) => {
        for (const method of methods(r)) {
          const info = table.get(`${method} ${r.url}`);
          if (info) info.access = roleOf(r) ?? 'viewer';
        }
      });
    },
  };
}

const tables = new WeakMap<FastifyInstance, Map<string, RouteInfo>>();

/** The API a built server serves (after `ready()`), with who may call each route. */
export function servedRoutes(http: FastifyInstance): RouteInfo[] {
  return [...(tables.get(http)?.values() ?? [])];
}
