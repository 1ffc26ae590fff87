import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simTime } from '../../sandbox/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { createUser, issueToken } from '../../src/security/accounts.js';
import { run, type Running } from '../../src/runtime/run.js';
import { waitFor } from '../helpers/harness.js';
import { freePort, freePortPair } from '../helpers/ports.js';

/**
 * 沙箱时间 (issue 25, point 10): in `npm start`'s sandbox, Daifa and the simulated platforms share one clock that a
 * merchant speeds up or moves ahead, so a late seller shows as a ship-by risk in seconds — and nothing breaks:
 * pushes and 1688 messages signed in sandbox time are accepted, new orders carry sandbox time.
 */
describe('sandbox time', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  async function start(dir = mkdtempSync(join(tmpdir(), 'daifa-clock-'))) {
    const config = loadConfig({
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DAIFA_DATA_DIR: dir,
      DAIFA_SANDBOX: '1',
      DAIFA_SANDBOX_PORT: String(await freePortPair()),
      DAIFA_SANDBOX_ORDERS_PER_MINUTE: '0',
      LOG_LEVEL: 'silent',
    });
    running = await run(config, { http: true, worker: true });
    const now = Date.now();
    const token = await issueToken(
      running.app.db,
      await createUser(running.app.db, { username: `op${now}`, password: 'operator-pass-1', role: 'operator' }, now),
      't',
      now,
    );
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${running!.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    return { dir, call };
  }

  it('fast-forward: a seller who has not shipped becomes a ship-by risk; orders, pushes and messages keep flowing in sandbox time', async () => {
    const { dir, call } = await start();
    const sb = running!.sandbox!;
    // Sellers never ship here: the order waits on its supplier until its ship-by deadline comes close.
    Object.assign(sb.alibaba.knobs, { autoShipAfterMs: null, lateRate: 0 });
    const appId = [...sb.wechat.shops.keys()][0]!;
    const [o] = sb.wechat.generate(appId, { count: 1, requestRate: 0, multiLineRate: 0, virtualNumberRate: 0 });
    const db = running!.app.db.kysely;
    const row = await waitFor(
      async () => {
        const r = await db.selectFrom('shop_orders').select(['id', 'state']).where('wx_order_id', '=', o!.orderId).executeTakeFirst();
        return r && ['Purchasing', 'Fulfilling'].includes(r.state) ? r : undefined;
      },
      { what: 'the order bought from 1688', timeoutMs: 30_000 },
    );
    const risks = () =>
      db.selectFrom('cases').select('id').where('kind', '=', 'DEADLINE_AT_RISK').where('shop_order_id', '=', row.id).execute();
    expect(await risks()).toHaveLength(0);

    expect((await call('PUT', '/api/sandbox/clock', { advanceHours: 0 })).status).toBe(400);
    expect((await call('PUT', '/api/sandbox/clock', {})).status).toBe(400);
    expect((await call('PUT', '/api/sandbox/clock', { rate: 5000 })).status).toBe(400);
    const before = Date.now();
    const moved = await call('PUT', '/api/sandbox/clock', { advanceHours: 46 });
    expect(moved.status).toBe(200);
    expect(moved.body.offsetMs).toBeGreaterThanOrEqual(46 * 3_600_000 - 1_000);
    expect(moved.body.now).toBeGreaterThanOrEqual(before + 46 * 3_600_000);
    expect(running!.app.clock.now() - Date.now()).toBeGreaterThan(45 * 3_600_000);
    expect(simTime.clock.now() - Date.now()).toBeGreaterThan(45 * 3_600_000);

    // The tracking sweep falls due at once in sandbox time and sees 2 hours left with nothing shipped.
    await waitFor(async () => (await risks()).length > 0, { what: 'a ship-by risk for the late seller', timeoutMs: 90_000 });

    // A new order after the jump carries sandbox time and arrives by push (its signed timestamp is sandbox time too).
    const [o2] = sb.wechat.generate(appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    expect((o2!.payTime ?? 0) * 1000).toBeGreaterThan(Date.now() + 45 * 3_600_000);
    const r2 = await waitFor(
      async () => db.selectFrom('shop_orders').select(['pay_time_s']).where('wx_order_id', '=', o2!.orderId).executeTakeFirst(),
      { what: 'the new order', timeoutMs: 20_000 },
    );
    expect(r2.pay_time_s).toBe(o2!.payTime);
    // Every push was taken at the first try: none refused as stale (Daifa checks the signed timestamp against its clock).
    expect(sb.wechat.push.stats.failedAttempts).toBe(0);
    expect(sb.wechat.push.stats.acked).toBe(sb.wechat.push.stats.attempts);

    // Faster: ×60, sandbox time runs an hour per real minute; saved for a restart.
    const fast = await call('PUT', '/api/sandbox/clock', { rate: 60 });
    expect(fast.body.rate).toBe(60);
    const t0 = running!.app.clock.now();
    await new Promise((r) => setTimeout(r, 500));
    expect(running!.app.clock.now() - t0).toBeGreaterThanOrEqual(25_000);
    const info = await call('GET', '/api/sandbox');
    expect(info.body.clock.rate).toBe(60);
    const saved = JSON.parse(readFileSync(join(dir, 'sandbox-clock.json'), 'utf8'));
    expect(saved.rate).toBe(60);
    expect(saved.offsetMs).toBeGreaterThan(46 * 3_600_000 - 1_000);
  }, 150_000);

  it('a restart keeps sandbox time where it was (time never runs backwards for the saved orders)', async () => {
    const first = await start();
    await first.call('PUT', '/api/sandbox/clock', { advanceHours: 10 });
    const at = running!.app.clock.now();
    await running!.stop();
    running = undefined;
    await start(first.dir);
    expect(running!.app.clock.now()).toBeGreaterThanOrEqual(at);
    expect(running!.app.clock.now() - Date.now()).toBeGreaterThan(9.9 * 3_600_000);
  }, 60_000);
});
