import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedRoutes } from '../../src/http/route-table.js';
import { createUser } from '../../src/security/accounts.js';
import { startHarness, tokenFor, type Harness } from '../helpers/harness.js';
import { documentedRoutes, fill, hit, sessionFor } from './helpers.js';

const RANK: Record<string, number> = { viewer: 0, operator: 1, owner: 2 };

/**
 * Every route × {no credentials, viewer, operator} against the role docs/API.md gives it (the route table is read
 * from the server itself, so a new route is covered without touching this file), and CSRF on every change made with a
 * session cookie. No answer may be a 500.
 */
describe('security: route × role matrix and CSRF', () => {
  let h: Harness;
  let routes: { method: string; url: string; role: string }[];
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await h.http.ready();
    const doc = documentedRoutes();
    routes = servedRoutes(h.http).map((r) => ({
      method: r.method,
      url: r.url,
      role: doc.find((d) => d.method === r.method && d.path === r.url)?.role ?? 'undocumented',
    }));
    for (const role of ['viewer', 'operator'] as const) tokens[role] = await tokenFor(h, role);
  });
  afterAll(async () => h.stop());

  it('every served route is documented with a role (the matrix below covers them all)', () => {
    expect(routes.length).toBeGreaterThan(80);
    expect(routes.filter((r) => r.role === 'undocumented')).toEqual([]);
  });

  it('without credentials every signed-in route answers 401', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter((x) => x.role !== 'public')) {
      const res = await hit(h, r.method, fill(r.url), { body: r.method === 'GET' || r.method === 'DELETE' ? undefined : {} });
      if (res.status !== 401) wrong.push(`${r.method} ${r.url} → ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it.each(['viewer', 'operator'])(
    'a %s is refused (403) every route above its role and let through (no 401/403/500) the others',
    async (role) => {
      const wrong: string[] = [];
      for (const r of routes.filter((x) => x.role !== 'public')) {
        const res = await hit(h, r.method, fill(r.url), {
          token: tokens[role],
          body: r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
        });
        const refused = RANK[r.role]! > RANK[role]!;
        if (refused ? res.status !== 403 : [401, 403].includes(res.status) || res.status >= 500)
          wrong.push(`${r.method} ${r.url} (${r.role}) → ${res.status}`);
      }
      expect(wrong).toEqual([]);
    },
  );

  it('with a session cookie, every change without the CSRF token is refused (403) and none is a 500 with it', async () => {
    await createUser(h.app.db, { username: 'csrf-owner', password: 'csrf-owner-pass', role: 'owner' }, Date.now());
    const s = await sessionFor(h, 'csrf-owner', 'csrf-owner-pass');
    const changes = routes.filter((r) => r.role !== 'public' && r.method !== 'GET');
    expect(changes.length).toBeGreaterThan(40);
    const wrong: string[] = [];
    for (const r of changes) {
      const without = await hit(h, r.method, fill(r.url), { cookie: s.cookie, body: r.method === 'DELETE' ? undefined : {} });
      if (without.status !== 403) wrong.push(`${r.method} ${r.url} without CSRF → ${without.status}`);
      // Revoking one's own tokens or session would end this session: the "with" side is checked on the rest.
      if (r.url.includes('/tokens') || r.url === '/api/session') continue;
      const withToken = await hit(h, r.method, fill(r.url), {
        cookie: s.cookie,
        csrf: s.csrf,
        body: r.method === 'DELETE' ? undefined : {},
      });
      if (withToken.status === 403 || withToken.status >= 500) wrong.push(`${r.method} ${r.url} with CSRF → ${withToken.status}`);
    }
    expect(wrong).toEqual([]);
  });
});
