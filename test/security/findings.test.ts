import { statSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHttp } from '../../src/http/server.js';
import { createUser, setPassword } from '../../src/security/accounts.js';
import { loadConfig } from '../../src/config/config.js';
import { msgSignature } from '../../src/channels/wechat-shop/crypto.js';
import { encryptMessage, aesKeyFromEncodingAesKey } from '../../src/channels/wechat-shop/crypto.js';
import { pruneRetention } from '../../src/db/retention.js';
import { ensureFirstUser } from '../../src/runtime/run.js';
import { SecretBox } from '../../src/security/secrets.js';
import { openDatabase } from '../../src/db/dialect.js';
import { callApi, count, enableSourcing, onlySupplier, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';
import { hit, sessionFor } from './helpers.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** A one-entry zip whose entry inflates to `size` bytes of zeros (a "zip bomb" when size is large). */
function zipOf(name: string, size: number): Buffer {
  const data = deflateRawSync(Buffer.alloc(size));
  const nameBuf = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(nameBuf.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(1000, 24); // the directory lies about the size: the guard must not trust it
  central.writeUInt16LE(nameBuf.length, 28);
  const dirOffset = 30 + nameBuf.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + nameBuf.length, 12);
  eocd.writeUInt32LE(dirOffset, 16);
  return Buffer.concat([local, nameBuf, data, central, nameBuf, eocd]);
}

/** The findings of the security and fault review (issue 24), each with the test that failed before its fix. */
describe('security review findings', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('1. /api/auth/login shares the login limit with the session (counted before the hash); tokens expire, can be read-only, and die with a password change', async () => {
    h = await startHarness({ worker: false });
    await createUser(h.app.db, { username: 'boss', password: 'right-password-1', role: 'owner' }, Date.now());
    const login = (password: string, extra: object = {}) =>
      hit(h!, 'POST', '/api/auth/login', { body: { username: 'boss', password, ...extra } });
    for (let i = 0; i < 5; i++)
      expect((await hit(h, 'POST', '/api/session', { body: { username: 'boss', password: 'wrong' } })).status).toBe(401);
    // Locked on the session login → locked on the token login too, even with the right password.
    expect((await login('right-password-1')).status).toBe(429);
    await h.app.db.kysely.deleteFrom('login_failures').execute();
    for (let i = 0; i < 5; i++) expect((await login('wrong')).status).toBe(401);
    expect((await login('wrong')).status).toBe(429);
    expect((await login('right-password-1')).status).toBe(429);
    await h.app.db.kysely.deleteFrom('login_failures').execute();
    const full = await login('right-password-1', { expiresInDays: 7 });
    expect(full.body.expiresAt - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(full.body.expiresAt - Date.now()).toBeLessThan(7.1 * 86_400_000);
    const read = (await login('right-password-1', { scope: 'read' })).body.token as string;
    expect((await hit(h, 'GET', '/api/me', { token: read })).status).toBe(200);
    expect((await hit(h, 'POST', '/api/jobs/retry-dead', { token: read, body: {} })).status).toBe(403);
    expect((await login('right-password-1', { expiresInDays: 1000 })).status).toBe(400);
    // An expired token is refused.
    await h.app.db.kysely
      .updateTable('api_tokens')
      .set({ expires_at: Date.now() - 1 })
      .where('name', '=', 'login')
      .where('scope', '=', 'full')
      .execute();
    expect((await hit(h, 'GET', '/api/me', { token: full.body.token })).status).toBe(401);
    // A password change revokes every token of the user.
    const fresh = (await login('right-password-1')).body.token as string;
    await setPassword(h.app.db, 'boss', 'new-password-22');
    expect((await hit(h, 'GET', '/api/me', { token: fresh })).status).toBe(401);
    expect((await hit(h, 'GET', '/api/me', { token: read })).status).toBe(401);
  });

  it('2–3. ledger corrections: amounts outside ±¥10,000,000 or not safe integers are refused; a key is required, and 20 parallel submits with one key book once', async () => {
    h = await startHarness();
    await enableSourcing(h);
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0 });
    const order = await waitFor(() => h!.app.db.kysely.selectFrom('shop_orders').select('id').executeTakeFirst(), { what: 'order' });
    const post = (amount: unknown, headers: Record<string, string> = {}, ref?: string) =>
      hit(h!, 'POST', `/api/orders/${order.id}/ledger`, {
        token: owner,
        body: { kind: 'correction', amount, note: '更正', ...(ref ? { ref } : {}) },
        headers,
      });
    for (const bad of [1e20, 2 ** 53 + 1, -1e300, 1_000_000_001, 12.5, '100'])
      expect((await post(bad, { 'idempotency-key': `bad-${String(bad)}` })).status).toBe(400);
    // Manual entries only (the order goes on in the background: its own entries are booked meanwhile).
    const manual = async () =>
      (await h!.app.db.kysely.selectFrom('ledger_entries').select('id').where('ref', 'like', 'manual:%').execute()).length;
    const before = await manual();
    // No key: refused (it would be booked once per click).
    const noKey = await Promise.all(Array.from({ length: 20 }, () => post(500)));
    expect(noKey.map((r) => r.status)).toEqual(Array(20).fill(400));
    const same = await Promise.all(Array.from({ length: 20 }, () => post(500, { 'idempotency-key': 'fix-2026-12-07-0001' })));
    expect(same.every((r) => r.status === 200)).toBe(true);
    expect(same.filter((r) => r.body.created)).toHaveLength(1);
    expect(await manual()).toBe(before + 1);
    expect((await post(1_000_000_000, { 'idempotency-key': 'max-amount-0001' })).status).toBe(200);
  });

  it('4. imports: an .xlsx that unpacks to 40 MB is refused before the spreadsheet library reads it, a CSV over the row cap is refused whole, and a refused file changes nothing', async () => {
    h = await startHarness({ worker: false });
    await enableSourcing(h);
    const owner = await tokenFor(h, 'operator');
    const before = await count(h.app, 'sku_mappings');
    const bomb = zipOf('xl/worksheets/sheet1.xml', 40 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(100_000);
    const rss = process.memoryUsage().rss;
    const r = await fetch(`${h.url}/api/shops/${h.shop.id}/mappings?format=xlsx`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
      body: bomb,
    });
    const body = (await r.json()) as { imported: number; errors: { message: string }[] };
    expect(body.imported).toBe(0);
    expect(body.errors[0]!.message).toMatch(/解压后超过|unpacks/);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
    const header = '微信商品ID product_id,微信SKU ID sku_id,供应商 supplier,1688商品ID offer_id';
    const rows = Array.from({ length: 5_001 }, (_, i) => `1${i},2${i},b2b-2200000001,610000000001`);
    const csv = await fetch(`${h.url}/api/shops/${h.shop.id}/mappings?format=csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'text/csv' },
      body: [header, ...rows].join('\n'),
    });
    const csvBody = (await csv.json()) as { imported: number; errors: { message: string }[] };
    expect(csvBody.imported).toBe(0);
    expect(csvBody.errors[0]!.message).toContain('5000');
    expect(await count(h.app, 'sku_mappings')).toBe(before);
  });

  it('5–6. alert robots: only https to an allowed host (never loopback, private or file:); recipients are sealed at rest and masked for every reader, and saving them back masked keeps them', async () => {
    h = await startHarness({ worker: false, env: { DAIFA_ALLOW_PRIVATE_OUTBOUND: '0' } });
    const owner = await tokenFor(h, 'owner');
    const viewer = await tokenFor(h, 'viewer');
    const put = (url: string, extra: object = {}) =>
      hit(h!, 'PUT', `/api/shops/${h!.shop.id}/alerts`, { token: owner, body: { wecom: { webhookUrl: url }, ...extra } });
    for (const bad of [
      'http://127.0.0.1:8090/cgi-bin/webhook/send?key=x',
      'https://10.0.0.5/hook',
      'https://localhost/hook',
      'file:///etc/passwd',
      'https://evil.example.com/hook',
      'http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x',
      'https://user:pw@qyapi.weixin.qq.com/x',
      'https://[::1]/x',
      'https://169.254.169.254/latest',
    ]) {
      const r = await put(bad);
      expect(r.status, bad).toBe(400);
    }
    const key = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
    const ok = await put(`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${key}`, {
      sms: { phones: ['13812345678'] },
      email: { to: ['boss@example.com'] },
    });
    expect(ok.status).toBe(200);
    const stored = await h.app.db.kysely
      .selectFrom('alert_settings')
      .select('settings')
      .where('shop_id', '=', h.shop.id)
      .executeTakeFirstOrThrow();
    for (const secret of [key, '13812345678', 'boss@example.com']) expect(stored.settings).not.toContain(secret);
    const seen = (await hit(h, 'GET', `/api/shops/${h.shop.id}/alerts`, { token: viewer })).body;
    expect(JSON.stringify(seen)).not.toContain(key);
    expect(seen.wecom.webhookUrl).toMatch(/key=\*\*\*\*7890$/);
    expect(seen.sms.phones).toEqual(['138****5678']);
    expect(seen.email.to).toEqual(['b***@example.com']);
    // The settings form saves back what it loaded (masked): the real recipients stay.
    expect((await hit(h, 'PUT', `/api/shops/${h.shop.id}/alerts`, { token: owner, body: { ...seen, language: 'en' } })).status).toBe(200);
    const { loadSettings } = await import('../../src/notify/settings.js');
    const real = await loadSettings(h.app.db.kysely, h.app.box, h.shop.id);
    expect(real).toMatchObject({
      language: 'en',
      wecom: { webhookUrl: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${key}` },
      sms: { phones: ['13812345678'] },
      email: { to: ['boss@example.com'] },
    });
  });

  it('7. twenty parallel wrong passwords on /api/session: at most five are checked (401), the rest refused (429)', async () => {
    h = await startHarness({ worker: false });
    await createUser(h.app.db, { username: 'target', password: 'target-password-1', role: 'viewer' }, Date.now());
    const all = await Promise.all(
      Array.from({ length: 20 }, () => hit(h!, 'POST', '/api/session', { body: { username: 'target', password: 'guess' } })),
    );
    const statuses = all.map((r) => r.status);
    // Counted before checking: never more than five guesses are checked, however many arrive at once (with
    // concurrent commits a few more may be refused early — the safe side).
    const checked = statuses.filter((s) => s === 401).length;
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - checked);
  });

  it('8, 12, 15. manual payment: paidAt far away refused; a voucher named .html that is a PNG is kept as .png; at most 20 vouchers a payment', async () => {
    h = await startHarness({ appOptions: (sb) => ({ smtpUrl: sb.smtpUrl }) });
    await onlySupplier(h, 'direct');
    const owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const pay = await waitFor(() => h!.app.db.kysely.selectFrom('payments').select(['id', 'amount']).executeTakeFirst(), {
      what: 'a payment for the e-mailed purchase order',
    });
    const up = (bytes: Buffer, name: string) =>
      fetch(`${h!.url}/api/payments/${pay.id}/vouchers?fileName=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner}`, 'content-type': 'image/png' },
        body: bytes,
      });
    const v = (await (await up(PNG, 'receipt.html')).json()) as { id: number };
    const dl = await fetch(`${h.url}/api/vouchers/${v.id}`, { headers: { authorization: `Bearer ${owner}` } });
    expect(dl.headers.get('content-disposition')).toContain('receipt.png');
    expect(dl.headers.get('content-type')).toBe('image/png');
    for (let i = 1; i < 20; i++) expect((await up(Buffer.concat([PNG, Buffer.from([i])]), `r${i}.png`)).status).toBe(201);
    expect((await up(Buffer.concat([PNG, Buffer.from([99])]), 'r99.png')).status).toBe(409);
    const rec = (paidAt: unknown) =>
      hit(h!, 'POST', `/api/payments/${pay.id}/record`, { token: owner, body: { amount: pay.amount, paidAt, reference: 'BANK-0001' } });
    for (const bad of [1e20, Date.now() + 7 * 86_400_000, Date.now() - 500 * 86_400_000]) expect((await rec(bad)).status).toBe(400);
  });

  it('10. a WeChat push with a stale signed timestamp is refused; old webhook bodies and decode records are pruned after their days', async () => {
    h = await startHarness({ worker: false });
    const key = aesKeyFromEncodingAesKey(h.creds.encodingAesKey);
    const push = async (ts: number) => {
      const encrypt = encryptMessage(
        key,
        JSON.stringify({
          ToUserName: 'gh_x',
          FromUserName: 'o',
          CreateTime: ts,
          MsgType: 'event',
          Event: 'channels_ec_order_pay',
          order_info: { order_id: '3700000000000000001', pay_time: ts },
        }),
        h!.creds.appId,
      );
      const q = new URLSearchParams({
        timestamp: String(ts),
        nonce: '123',
        msg_signature: msgSignature(h!.creds.pushToken, String(ts), '123', encrypt),
        encrypt_type: 'aes',
      });
      return fetch(`${h!.url}${h!.shop.webhookPath}?${q}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ToUserName: 'gh_x', Encrypt: encrypt }),
      });
    };
    const now = Math.floor(Date.now() / 1000);
    expect((await push(now - 2 * 3600)).status).toBe(401);
    expect((await push(now + 2 * 3600)).status).toBe(401);
    expect((await push(now)).status).toBe(200);
    expect(await count(h.app, 'inbound_events')).toBe(1);
    const day = 86_400_000;
    await h.app.db.kysely
      .insertInto('decode_log')
      .values({ shop_id: h.shop.id, wx_order_id: '1', actor: 'a', purpose: 'p', destination: 'd', created_at: Date.now() - 400 * day })
      .execute();
    await h.app.db.kysely
      .updateTable('inbound_events')
      .set({ received_at: Date.now() - 31 * day })
      .execute();
    const pruned = await pruneRetention(h.app.db, Date.now(), h.app.config.retention);
    expect(pruned).toMatchObject({ inbound_events: 1, decode_log: 1 });
    expect(await count(h.app, 'inbound_events')).toBe(0);
  });

  it('11. the mappings CSV export writes formula-like text as text (a leading apostrophe), numbers stay numbers, and the file imports back', async () => {
    h = await startHarness({ worker: false });
    await enableSourcing(h);
    // A supplier known by its name (no member id): the name is what the export writes.
    await h.app.db.kysely
      .updateTable('suppliers')
      .set({ name: '=HYPERLINK("http://evil.example","点我")', member_id: null })
      .where('member_id', '=', 'b2b-2200000001')
      .execute();
    await h.app.db.kysely.updateTable('sku_mappings').set({ priority: -5 }).execute();
    const op = await tokenFor(h, 'operator');
    const csv = await (
      await fetch(`${h.url}/api/shops/${h.shop.id}/mappings?format=csv`, { headers: { authorization: `Bearer ${op}` } })
    ).text();
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""点我"")"`);
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
    expect(csv).toMatch(/,-5,/);
    const back = await fetch(`${h.url}/api/shops/${h.shop.id}/mappings?format=csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${op}`, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(((await back.json()) as { errors: unknown[] }).errors).toEqual([]);
  });

  it('13. security headers: no-store on the API (the decoded address included), CSP and nosniff on the dashboard', async () => {
    h = await startHarness({ worker: false });
    const viewer = await tokenFor(h, 'viewer');
    const api = await hit(h, 'GET', '/api/stats', { token: viewer });
    expect(api.headers.get('cache-control')).toBe('no-store');
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    const page = await fetch(`${h.url}/orders`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
  });

  it('14. safe defaults: loopback bind, the SQLite file readable by its owner only, the first-run password never in the log stream', async () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    h = await startHarness({ worker: false });
    if (h.app.db.dialect === 'sqlite') {
      const file = h.t.env.DATABASE_URL!.replace(/^sqlite:/, '');
      const db = openDatabase(`sqlite:${file}`);
      await db.close();
      expect(statSync(file).mode & 0o077).toBe(0);
    }
    const lines: string[] = [];
    const app = { ...h.app, log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }) } as typeof h.app;
    await h.app.db.kysely.deleteFrom('api_tokens').execute();
    await h.app.db.kysely.deleteFrom('sessions').execute();
    await h.app.db.kysely.deleteFrom('users').execute();
    const writes: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await ensureFirstUser(app);
    } finally {
      process.stdout.write = orig;
    }
    const { readFileSync } = await import('node:fs');
    const file = `${h.app.config.dataDir}/first-run-password.txt`;
    const text = readFileSync(file, 'utf8');
    const password = /初始密码 \/ password:\s+(\S+)/.exec(text)![1]!;
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(lines.join('')).not.toContain(password);
    expect(lines.join('')).toContain('first-run-password.txt');
    expect(writes.join('')).not.toContain(password);
  });

  it('15. a sealed secret with a cut tag is refused; live-update streams are capped per user; a NUL in a note is a 400 (not a 500 on PostgreSQL); in the sandbox a viewer does not see the address in supplier e-mails', async () => {
    const box = SecretBox.fromKey(Buffer.alloc(32, 1));
    const sealed = box.seal('app-secret');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    expect(() => box.open(`v1:${raw.subarray(0, 20).toString('base64')}`)).toThrow();
    expect(box.open(sealed)).toBe('app-secret');
    h = await startHarness();
    await enableSourcing(h);
    const viewer = await tokenFor(h, 'viewer');
    const op = await tokenFor(h, 'operator');
    // Streams held open (each a page left open in a browser tab).
    const open: AbortController[] = [];
    const stream = async (token: string) => {
      const ctl = new AbortController();
      open.push(ctl);
      return (await fetch(`${h!.url}/api/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal })).status;
    };
    try {
      for (let i = 0; i < 8; i++) expect(await stream(viewer)).toBe(200);
      expect(await stream(viewer)).toBe(429);
      expect(await stream(op)).toBe(200);
    } finally {
      for (const c of open) c.abort();
    }
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0 });
    const order = await waitFor(() => h!.app.db.kysely.selectFrom('shop_orders').select('id').executeTakeFirst(), { what: 'order' });
    const nul = await callApi(h, 'POST', `/api/orders/${order.id}/review`, op, { decision: 'confirm', note: 'ok\u0000drop table' });
    expect(nul.status).toBe(400);
    // The sandbox page: e-mail bodies (with the decoded address) for owners only.
    const http = await buildHttp(h.app, {
      sandbox: {
        info: async () => ({
          emails: [{ to: ['f@example.com'], subject: '采购单', text: '收货人：王小明 13800000000 杭州市西湖区文三路 1 号' }],
        }),
        generator: () => undefined,
        knobs1688: {},
      },
    });
    await http.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(http.server.address() as { port: number }).port}`;
      const owner = await tokenFor(h, 'owner');
      const get = async (t: string) =>
        (await (await fetch(`${url}/api/sandbox`, { headers: { authorization: `Bearer ${t}` } })).json()) as { emails: { text: string }[] };
      expect((await get(viewer)).emails[0]!.text).not.toContain('王小明');
      expect((await get(op)).emails[0]!.text).not.toContain('13800000000');
      expect((await get(owner)).emails[0]!.text).toContain('王小明');
    } finally {
      await http.close();
    }
  });

  it('sessions and login_failures are found by the sessionFor helper (sanity of the suite)', async () => {
    h = await startHarness({ worker: false });
    await createUser(h.app.db, { username: 'u1', password: 'password-u1', role: 'viewer' }, Date.now());
    const s = await sessionFor(h, 'u1', 'password-u1');
    expect((await hit(h, 'GET', '/api/me', { cookie: s.cookie })).body).toMatchObject({ username: 'u1' });
  });
});
