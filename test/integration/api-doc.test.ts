import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { servedRoutes } from '../../src/http/route-table.js';
import { callApi, startHarness, tokenFor, type Harness } from '../helpers/harness.js';

/** docs/API.md's tables: one row per route — | `METHOD` | `/path` | role | … */
function documentedRoutes(): string[] {
  const doc = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE)` \| `([^`]+)` \| (public|viewer|operator|owner) \|/gm)];
  return rows.map((m) => `${m[1]} ${m[2]} ${m[3]}`);
}

// One server per test, stopped after it (both describes below).
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('docs/API.md', () => {
  it('lists every route the server serves, each once, with the role the route really requires', async () => {
    h = await startHarness({ worker: false });
    await h.http.ready();
    const served = servedRoutes(h.http)
      .map((r) => `${r.method} ${r.url} ${r.access}`)
      .sort();
    const documented = documentedRoutes().sort();
    expect(new Set(documented).size).toBe(documented.length);
    expect(documented).toEqual(served);
    // The table is read from the real checks: a viewer is refused an owner route, an operator route, and is let
    // through a viewer one; an unauthenticated call to a signed-in route is refused, a public one is not.
    const viewer = await tokenFor(h, 'viewer');
    expect(served).toContain('GET /api/users owner');
    expect((await callApi(h, 'GET', '/api/users', viewer)).status).toBe(403);
    expect(served).toContain('POST /api/jobs/retry-dead operator');
    expect((await callApi(h, 'POST', '/api/jobs/retry-dead', viewer)).status).toBe(403);
    expect(served).toContain('GET /api/stats viewer');
    expect((await callApi(h, 'GET', '/api/stats', viewer)).status).toBe(200);
    expect((await fetch(`${h.url}/api/stats`)).status).toBe(401);
    expect(served).toContain('GET /health public');
    expect((await fetch(`${h.url}/health`)).status).toBe(200);
  });
});

describe('API tokens', () => {
  it("a user lists their own tokens (never the secret) and revokes one: it stops working at once, the others do not; an owner revokes all of a user's", async () => {
    h = await startHarness({ worker: false });
    const owner = await tokenFor(h, 'owner');
    const res = await callApi(h, 'POST', '/api/users', owner, { username: 'script-op', password: 'long-enough-1', role: 'operator' });
    expect(res.status).toBe(200);
    const loginAs = async (tokenName: string) =>
      (await callApi(h!, 'POST', '/api/auth/login', '', { username: 'script-op', password: 'long-enough-1', tokenName })).body
        .token as string;
    const erp = await loginAs('erp-sync');
    const laptop = await loginAs('laptop');
    const list = (await callApi(h, 'GET', '/api/me/tokens', laptop)).body.tokens;
    expect(list.map((t: any) => [t.name, t.current])).toEqual([
      ['erp-sync', false],
      ['laptop', true],
    ]);
    // Used just now (this very call), the other never: a forgotten script's token shows as such.
    expect(list.map((t: any) => t.lastUsedAt === null)).toEqual([true, false]);
    expect(Math.abs(list[1].lastUsedAt - Date.now())).toBeLessThan(60_000);
    expect(JSON.stringify(list)).not.toMatch(/hash|secret/i);
    expect(JSON.stringify(list)).not.toContain(erp);
    const erpId = list.find((t: any) => t.name === 'erp-sync').id;
    // Another user cannot revoke it (not theirs: not found).
    expect((await callApi(h, 'DELETE', `/api/me/tokens/${erpId}`, owner)).status).toBe(404);
    expect((await callApi(h, 'DELETE', `/api/me/tokens/${erpId}`, laptop)).body).toEqual({ revoked: 1 });
    expect((await callApi(h, 'GET', '/api/me', erp)).status).toBe(401);
    expect((await callApi(h, 'GET', '/api/me', laptop)).status).toBe(200);
    expect((await callApi(h, 'DELETE', `/api/me/tokens/${erpId}`, laptop)).status).toBe(404);
    // The owner revokes everything the operator still holds.
    expect((await callApi(h, 'DELETE', `/api/users/${res.body.id}/tokens`, laptop)).status).toBe(403);
    expect((await callApi(h, 'DELETE', `/api/users/${res.body.id}/tokens`, owner)).body).toEqual({ revoked: 1 });
    expect((await callApi(h, 'GET', '/api/me', laptop)).status).toBe(401);
    expect((await callApi(h, 'DELETE', '/api/users/999999/tokens', owner)).status).toBe(404);
  });
});
