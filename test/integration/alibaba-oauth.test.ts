import { afterEach, describe, expect, it } from 'vitest';
import { seedDaifaCatalogue, seedSimulatorOffers } from '../../sandbox/catalogue.js';
import { parse1688Time } from '../../src/suppliers/alibaba-1688/accounts.js';
import { SANDBOX_1688_APP } from '../../src/runtime/sandbox-bootstrap.js';
import { count, startHarness, waitFor, type Harness } from '../helpers/harness.js';

describe('1688 OAuth', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('parses refresh_token_timeout in both forms', () => {
    expect(parse1688Time('20121222222222+0800')).toBe(Date.UTC(2012, 11, 22, 14, 22, 22));
    expect(parse1688Time('20261014200339000+0800')).toBe(Date.UTC(2026, 9, 14, 12, 3, 39));
    expect(parse1688Time('garbage')).toBeUndefined();
  });

  it('connects with an authorization code, refreshes an expired access token on 401 and retries, and alerts before the refresh token lapses', async () => {
    h = await startHarness();
    const sim = h.sandbox.alibaba;
    sim.addApp(SANDBOX_1688_APP.appKey, SANDBOX_1688_APP.appSecret);
    await expect(
      h.app.alibaba.connect({ ...SANDBOX_1688_APP, appSecret: 'wrong', code: 'c', redirectUri: 'https://daifa.example.cn/cb' }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    const id = await h.app.alibaba.connect({ ...SANDBOX_1688_APP, code: 'auth-code-1', redirectUri: 'https://daifa.example.cn/cb' });
    const acct = await h.app.db.kysely.selectFrom('supplier_accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(acct.refresh_expires_at! - Date.now()).toBeGreaterThan(170 * 86_400_000);
    const token = h.app.box.open(acct.access_token_enc!);
    expect(JSON.stringify(acct)).not.toContain(token); // sealed at rest

    // The access token dies on 1688's side (10 h passed); the next call refreshes and succeeds.
    sim.tokens.get(token)!.expiresAt = Date.now() - 1;
    seedSimulatorOffers(sim);
    await seedDaifaCatalogue(h.app.db, h.shop.id, Date.now());
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    await waitFor(async () => (await count(h!.app, 'purchase_orders', ['state', 'in', ['Placed', 'Paying', 'Paid']])) === 1, {
      what: 'placed after refresh',
    });
    const after = await h.app.db.kysely
      .selectFrom('supplier_accounts')
      .select('access_token_enc')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(h.app.box.open(after.access_token_enc!)).not.toBe(token);

    // The refresh token lapses in 3 days: the daily watch alerts the merchant (once per day).
    await h.app.db.kysely
      .updateTable('supplier_accounts')
      .set({ refresh_expires_at: Date.now() + 3 * 86_400_000 })
      .where('id', '=', id)
      .execute();
    await h.app.queue.add({ kind: 'alibaba.token-watch', singletonKey: 'alibaba.token-watch' });
    await waitFor(async () => (await count(h!.app, 'notifications', ['event', '=', 'refresh_token_expiring'])) > 0, {
      what: 'expiry alert',
    });
    const n = await h.app.db.kysely
      .selectFrom('notifications')
      .selectAll()
      .where('event', '=', 'refresh_token_expiring')
      .executeTakeFirstOrThrow();
    expect(n.title).toContain('授权即将过期');
    expect(n.body).toContain('请重新授权');
  });
});
