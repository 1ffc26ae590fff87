import { afterEach, describe, expect, it } from 'vitest';
import { count, startHarness, waitFor, type Harness } from '../helpers/harness.js';

describe('dead jobs alert the merchant', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a job that can never succeed becomes dead, and a dead_job alert is sent once', async () => {
    h = await startHarness({ push: { enabled: false } });
    // An order id the platform does not know: order/get answers 100002, a permanent error.
    await h.app.queue.add({ kind: 'order.sync', payload: { shopId: h.shop.id, orderId: '3700000000000000001', source: 'manual' } });
    await waitFor(async () => (await count(h!.app, 'jobs', ['status', '=', 'dead'])) === 1, { what: 'dead job' });
    await waitFor(
      async () =>
        (await h!.app.db.kysely.selectFrom('notifications').select('status').where('event', '=', 'dead_job').executeTakeFirst())?.status ===
        'sent',
      { what: 'dead-job alert sent' },
    );
    expect(await count(h.app, 'notifications', ['event', '=', 'dead_job'])).toBe(1);
    const alert = await h.app.db.kysely.selectFrom('notifications').selectAll().where('event', '=', 'dead_job').executeTakeFirstOrThrow();
    expect(alert.title).toMatch(/^任务失败 #\d+ order\.sync$/);
    expect(alert.body).toContain('100002');
    expect(alert.status).toBe('sent');
  });
});
