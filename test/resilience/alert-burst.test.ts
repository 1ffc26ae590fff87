import { afterEach, describe, expect, it } from 'vitest';
import { saveSettings } from '../../src/notify/settings.js';
import { count, scale, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/** Acceptance: a burst of 1,000 new orders → every alert delivered or counted in a summary, no channel limit exceeded. */
describe('alert burst', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('1,000 new orders: every alert sent alone or inside a summary; WeCom, SMS and e-mail limits never exceeded', async () => {
    const N = scale(1000);
    h = await startHarness({
      push: { concurrency: 32 },
      concurrency: 16,
      appOptions: (sb) => ({ sms: sb.smsConfig, smtpUrl: sb.smtpUrl }),
    });
    const hook = `${h.sandbox.url}/cgi-bin/webhook/send?key=burst`;
    await saveSettings(
      h.app.db,
      h.app.box,
      h.app.outbound,
      h.shop.id,
      {
        wecom: { webhookUrl: hook },
        sms: { phones: ['13800138000'] },
        email: { to: ['boss@example.com'] },
        routes: { new_paid_order: ['wecom', 'sms', 'email'], needs_review: ['wecom'] },
      },
      Date.now(),
    );
    h.sandbox.wechat.generate(h.creds.appId, { count: N });
    await waitFor(async () => (await count(h!.app, 'shop_orders', ['state', 'in', ['Confirmed', 'NeedsReview']])) === N, {
      timeoutMs: 120_000,
      what: 'orders',
    });
    await waitFor(async () => (await count(h!.app, 'notifications', ['status', 'in', ['pending', 'sending']])) === 0, {
      timeoutMs: 120_000,
      what: 'alerts flushed',
    });

    const notifications = await count(h.app, 'notifications');
    const byStatus = await h.app.db.kysely
      .selectFrom('notifications')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    expect(Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)]))).toEqual({ sent: notifications });
    const newOrderAlerts = await count(h.app, 'notifications', ['event', '=', 'new_paid_order']);
    expect(newOrderAlerts).toBe(N * 3); // one per order per channel
    // Every alert is inside exactly one sent message (alone or in a summary).
    const batches = await h.app.db.kysely.selectFrom('notification_batches').selectAll().where('status', '=', 'sent').execute();
    expect(batches.reduce((s, b) => s + b.item_count, 0)).toBe(notifications);

    // The twins enforce the real limits; none was hit.
    expect(h.sandbox.wecom.rejected.rateLimited).toBe(0);
    expect(Object.keys(h.sandbox.sms.rejected).filter((k) => k.startsWith('LimitExceeded'))).toEqual([]);
    const wecomTimes = h.sandbox.wecom.messages.filter((m) => m.key === 'burst').map((m) => m.at);
    for (const t of wecomTimes) expect(wecomTimes.filter((x) => x >= t && x < t + 60_000).length).toBeLessThanOrEqual(20);
    expect(wecomTimes.length).toBeGreaterThan(0);
    expect(h.sandbox.sms.messages.length).toBeGreaterThan(0);
    expect(h.sandbox.smtp.messages.length).toBeGreaterThan(0);
    const summary = h.sandbox.wecom.messages.find((m) => m.content.includes('Daifa 提醒'));
    expect(summary?.content).toMatch(/Daifa 提醒 \d+ 条（新订单 \d+/);
    console.log(
      `[burst] ${N} orders → ${notifications} alerts in ${batches.length} messages (WeCom ${wecomTimes.length}, SMS ${h.sandbox.sms.messages.length}, e-mail ${h.sandbox.smtp.messages.length})`,
    );
  }, 180_000);
});
