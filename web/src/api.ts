/** The dashboard's one way to the server: same-origin fetch with the session cookie and the CSRF token. */
let csrfToken = '';
export const setCsrf = (t: string) => {
  csrfToken = t;
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: { field: string; message: string }[],
  ) {
    super(message);
  }
}

let onUnauthenticated: () => void = () => undefined;
export const setOnUnauthenticated = (fn: () => void) => {
  onUnauthenticated = fn;
};

export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  opts: { raw?: BodyInit; contentType?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (opts.raw !== undefined) {
    payload = opts.raw;
    headers['content-type'] = opts.contentType ?? 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  const data = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; fields?: { field: string; message: string }[] } } | undefined)?.error;
    if (res.status === 401 && path !== '/api/session') onUnauthenticated();
    const detail = e?.fields?.length ? `：${e.fields.map((f) => `${f.field} ${f.message}`).join('；')}` : '';
    throw new ApiError(res.status, e?.code ?? 'HTTP', `${e?.message ?? res.statusText}${detail}`, e?.fields);
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Money as merchants read it: ¥12,345.60 (thousands separated, two decimals; the sign before the ¥). */
export const yuan = (fen: number | null | undefined): string => {
  if (fen === null || fen === undefined) return '—';
  const v = Number(fen) / 100;
  return `${v < 0 ? '-' : ''}¥${Math.abs(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
};
/** China time as 2026-12-07 09:42:26 (Beijing time, 24 h, zero-padded). */
export const time = (ms: number | null | undefined): string => {
  if (!ms) return '—';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(Number(ms)))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
};
export const timeS = (s: number | null | undefined): string => (s ? time(Number(s) * 1000) : '—');
export function ageText(ms: number, lang: string): string {
  const m = Math.max(0, Math.round((Date.now() - ms) / 60_000));
  if (m < 60) return lang === 'zh' ? `${m} 分钟` : `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return lang === 'zh' ? `${h} 小时` : `${h} h`;
  return lang === 'zh' ? `${Math.round(h / 24)} 天` : `${Math.round(h / 24)} d`;
}
