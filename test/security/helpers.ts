import { readFileSync } from 'node:fs';
import type { Harness } from '../helpers/harness.js';

/** docs/API.md's rows: method, path and the least role (or public). */
export function documentedRoutes(): { method: string; path: string; role: string }[] {
  const doc = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');
  return [...doc.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE)` \| `([^`]+)` \| (public|viewer|operator|owner) \|/gm)].map((m) => ({
    method: m[1]!,
    path: m[2]!,
    role: m[3]!,
  }));
}

/** A dashboard session (cookie and CSRF token) for a user. */
export async function sessionFor(h: Harness, username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${h.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: body.csrfToken };
}

/** One request with whatever credentials; SSE routes are answered by their status line alone. */
export async function hit(
  h: Harness,
  method: string,
  path: string,
  opts: { token?: string; cookie?: string; csrf?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const ctl = new AbortController();
  const res = await fetch(`${h.url}${path}`, {
    method,
    signal: ctl.signal,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.csrf ? { 'x-csrf-token': opts.csrf } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    ctl.abort();
    return { status: res.status, body: undefined, headers: res.headers };
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

/** A route's path with every parameter filled (ids that exist nowhere: the role check comes before any lookup). */
export const fill = (path: string) => path.replace(/:(\w+)/g, (_m, name: string) => (name === 'lineNo' ? '1' : '999999'));
