import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockTarget, unlockTarget } from '../../src/db/repositories/alerts.js';
import { JobQueue } from '../../src/jobs/queue.js';
import { DaifaError } from '../../src/lib/errors.js';
import { Notifier, type Alert } from '../../src/notify/notifier.js';
import type { Channel, OutgoingMessage, Sender } from '../../src/notify/senders.js';
import { inQuietHours, nextCnTime, saveSettings } from '../../src/notify/settings.js';
import { SecretBox } from '../../src/security/secrets.js';

const box = SecretBox.fromKey(Buffer.alloc(32, 7));
const outbound = { hosts: ['qyapi.weixin.qq.com'], allowPrivate: false };
import { createTestDb, type TestDb } from '../helpers/db.js';

class Recorder implements Sender {
  sent: { target: string; m: OutgoingMessage }[] = [];
  failWith?: DaifaError;
  constructor(readonly channel: Channel) {}
  async send(target: string, m: OutgoingMessage) {
    if (this.failWith) throw this.failWith;
    this.sent.push({ target, m });
  }
}

// 2026-11-26 12:00 China time (04:00 UTC).
const NOON_CN = Date.UTC(2026, 10, 26, 4, 0, 0);

describe('alert rules', () => {
  let t: TestDb;
  let clock: { t: number; now(): number };
  let queue: JobQueue;
  let senders: Record<Channel, Recorder>;
  let notifier: Notifier;

  beforeEach(async () => {
    t = await createTestDb();
    clock = {
      t: NOON_CN,
      now() {
        return this.t;
      },
    };
    queue = new JobQueue(t.db, clock);
    senders = { wecom: new Recorder('wecom'), sms: new Recorder('sms'), email: new Recorder('email'), log: new Recorder('log') };
    notifier = new Notifier(t.db, queue, Object.values(senders), clock, pino({ level: 'silent' }), {
      box,
      coalesceMs: { wecom: 0, sms: 0, email: 0 },
    });
    await t.db.kysely
      .insertInto('shops')
      .values(
        [1, 2].map((id) => ({
          id,
          shop_key: `k${id}`,
          name: `s${id}`,
          app_id: 'wx',
          app_secret_enc: 'x',
          push_token_enc: 'x',
          aes_key_enc: 'x',
          mode: 'live',
          is_sandbox: 0,
          poll_cursor_s: null,
          created_at: 0,
          updated_at: 0,
        })),
      )
      .execute();
  });
  afterEach(async () => t.cleanup());

  const raise = (a: Partial<Alert> & Pick<Alert, 'event' | 'subject'>) =>
    t.db.kysely.transaction().execute((trx) =>
      notifier.raise(trx, {
        shopId: 1,
        data: {
          orderId: a.subject,
          amount: 5990,
          items: '保温杯 ×1',
          receiver: '林** 福建省福州市罗源县',
          reasons: ['买家留言需人工确认'],
        },
        ...a,
      }),
    );
  /** Run every due job of the notifier the way the worker would. */
  async function drain() {
    for (let i = 0; i < 50; i++) {
      const jobs = await queue.claim('test', 50, 60_000);
      if (!jobs.length) return;
      for (const j of jobs) {
        const p = JSON.parse(j.payload);
        try {
          if (j.kind === 'notify.flush') await notifier.flushHandler(p);
          if (j.kind === 'notify.digest') await notifier.digestHandler(p);
          await queue.complete(j, 'test');
        } catch (e) {
          await queue.fail(j, 'test', String(e), { retryAfterMs: (e as DaifaError).retryAfterMs });
        }
      }
    }
  }
  const statuses = async () =>
    Object.fromEntries(
      (
        await t.db.kysely
          .selectFrom('notifications')
          .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute()
      ).map((r) => [r.status, Number(r.n)]),
    );

  it('routes each event to the channels and recipients of that shop (defaults elsewhere)', async () => {
    await saveSettings(
      t.db,
      box,
      outbound,
      1,
      {
        wecom: { webhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=A' },
        sms: { phones: ['13800138000'] },
        email: { to: ['boss@example.com'] },
        routes: { new_paid_order: ['wecom'], needs_review: ['wecom', 'sms'] },
      },
      clock.now(),
    );
    // Drained one by one: alerts pending together for one target would be merged into a summary.
    const steps = [
      () => raise({ event: 'new_paid_order', subject: '3701' }),
      () => raise({ event: 'needs_review', subject: '3701' }),
      () => raise({ event: 'dead_job', subject: '77', data: { jobId: 77, jobKind: 'order.sync', error: 'boom' } }),
      () => raise({ event: 'new_paid_order', subject: '3702', shopId: 2 }), // shop 2: defaults, but no WeCom URL → log only
    ];
    for (const step of steps) {
      await step();
      await drain();
    }
    expect(senders.wecom.sent.map((s) => s.target)).toEqual([
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=A',
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=A',
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=A',
    ]);
    expect(senders.sms.sent.map((s) => s.m.title)).toEqual(['订单需人工审核 3701']);
    expect(senders.email.sent.map((s) => s.m.title)).toEqual(['任务失败 #77 order.sync']); // default route of dead_job includes e-mail
    // dead_job keeps its default route (log, WeCom, e-mail); shop 1 routed new orders to WeCom only, shop 2 has defaults.
    expect(senders.log.sent.map((s) => s.m.title)).toEqual(['任务失败 #77 order.sync', '新订单 ¥59.90']);
  });

  it('a recipient another worker is sending to is looked at again a second later — not a failed job — and then sent', async () => {
    await raise({ event: 'new_paid_order', subject: '3801', shopId: 2 }); // shop 2: the log only
    // Another worker holds the recipient's lock (a flush of its own in flight).
    expect(await lockTarget(t.db.kysely, 'log:log', clock.now(), clock.now() + 60_000)).toBe(true);
    const [job] = await queue.claim('test', 10, 60_000);
    expect(job?.kind).toBe('notify.flush');
    await notifier.flushHandler(JSON.parse(job!.payload)); // does not throw
    await queue.complete(job!, 'test');
    const next = await t.db.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'notify.flush')
      .where('status', '=', 'pending')
      .execute();
    expect(next.map((j) => j.run_at)).toEqual([clock.now() + 1_000]);
    expect(next[0]!.last_error).toBeNull();
    expect(senders.log.sent).toEqual([]);
    // The other worker is done: the follow-up sends it.
    await unlockTarget(t.db.kysely, 'log:log');
    clock.t += 1_000;
    await drain();
    expect(senders.log.sent.map((x) => x.m.title)).toEqual(['新订单 ¥59.90']);
    expect(await statuses()).toEqual({ sent: 1 });
  });

  it('one alert per order per reason: raising it again sends nothing more', async () => {
    await saveSettings(
      t.db,
      box,
      outbound,
      1,
      { wecom: { webhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=X' }, routes: { new_paid_order: ['wecom'] } },
      clock.now(),
    );
    expect(await raise({ event: 'new_paid_order', subject: '3701' })).toBe(1);
    expect(await raise({ event: 'new_paid_order', subject: '3701' })).toBe(0);
    await drain();
    expect(await raise({ event: 'new_paid_order', subject: '3701' })).toBe(0);
    await drain();
    expect(senders.wecom.sent).toHaveLength(1);
  });

  it('quiet hours fold alerts into the next digest, sent when quiet hours end, in the shop language', async () => {
    await saveSettings(
      t.db,
      box,
      outbound,
      1,
      {
        language: 'en',
        wecom: { webhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=X' },
        quietHours: { start: '22:00', end: '08:00' },
        routes: { new_paid_order: ['wecom'], daily_digest: ['wecom'] },
      },
      clock.now(),
    );
    clock.t = NOON_CN + 11 * 3_600_000; // 23:00 China time
    expect(inQuietHours({ quietHours: { start: '22:00', end: '08:00' } } as never, clock.t)).toBe(true);
    await raise({ event: 'new_paid_order', subject: '3701' });
    await raise({ event: 'new_paid_order', subject: '3702' });
    await drain();
    expect(senders.wecom.sent).toEqual([]);
    expect(await statuses()).toMatchObject({ folded: 2 });
    const digest = await t.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'notify.digest').executeTakeFirstOrThrow();
    expect(digest.run_at).toBe(nextCnTime('08:00', clock.t));
    clock.t = digest.run_at;
    await drain();
    expect(senders.wecom.sent).toHaveLength(1);
    expect(senders.wecom.sent[0]!.m.title).toBe('Daily digest 2026-11-27');
    expect(senders.wecom.sent[0]!.m.body).toContain('New order 2');
    expect(await statuses()).toMatchObject({ digested: 2, sent: 1 });
    // The next digest is scheduled for the next morning.
    const next = await t.db.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'notify.digest')
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    expect(next.run_at).toBe(digest.run_at + 86_400_000);
  });

  it('a burst for one target becomes one summary; the channel window (SMS 1 per 30 s) is never exceeded', async () => {
    await saveSettings(t.db, box, outbound, 1, { sms: { phones: ['13800138000'] }, routes: { needs_review: ['sms'] } }, clock.now());
    for (let i = 0; i < 40; i++) await raise({ event: 'needs_review', subject: `37${i}` });
    await drain();
    expect(senders.sms.sent).toHaveLength(1);
    expect(senders.sms.sent[0]!.m.title).toBe('Daifa 提醒 40 条（待审核 40）');
    await raise({ event: 'needs_review', subject: 'late' });
    await drain();
    expect(senders.sms.sent).toHaveLength(1); // inside the 30-second window: it waits
    clock.t += 31_501;
    await drain();
    expect(senders.sms.sent).toHaveLength(2);
    expect(await statuses()).toEqual({ sent: 41 });
  });

  it('failed sends are retried, then kept as failed; an operator can retry them', async () => {
    await saveSettings(t.db, box, outbound, 1, { email: { to: ['boss@example.com'] }, routes: { needs_review: ['email'] } }, clock.now());
    senders.email.failWith = new DaifaError('UPSTREAM_UNAVAILABLE', 'smtp down');
    await raise({ event: 'needs_review', subject: '3701' });
    for (let i = 0; i < 8; i++) {
      await drain();
      clock.t += 15 * 60_000;
    }
    expect(await statuses()).toEqual({ failed: 1 });
    const n = await t.db.kysely.selectFrom('notifications').selectAll().executeTakeFirstOrThrow();
    expect(n.attempts).toBe(5);
    expect(n.last_error).toContain('smtp down');
    senders.email.failWith = undefined;
    expect(await notifier.retryFailed()).toBe(1);
    await drain();
    expect(await statuses()).toEqual({ sent: 1 });
  });

  it('a permanent error (bad configuration) fails at once; unmasked phone numbers never leave', async () => {
    await saveSettings(
      t.db,
      box,
      outbound,
      1,
      { wecom: { webhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=X' }, routes: { supplier_delay: ['wecom'] } },
      clock.now(),
    );
    senders.wecom.failWith = new DaifaError('UPSTREAM_UNAVAILABLE', '93000 invalid webhook url', { retryable: false });
    await raise({ event: 'supplier_delay', subject: '1', data: { detail: '供应商电话 13912345678 说明天发' } });
    await drain();
    expect(await statuses()).toEqual({ failed: 1 });
    const n = await t.db.kysely.selectFrom('notifications').select('body').executeTakeFirstOrThrow();
    expect(n.body).toContain('139****5678');
    expect(n.body).not.toContain('13912345678');
  });

  it('settings are validated with field messages', async () => {
    await expect(
      saveSettings(
        t.db,
        box,
        outbound,
        1,
        { sms: { phones: ['123'] }, quietHours: { start: '25:00', end: '08:00' }, routes: { nope: ['wecom'] } },
        0,
      ),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    try {
      await saveSettings(t.db, box, outbound, 1, { sms: { phones: ['123'] } }, 0);
    } catch (e) {
      expect((e as DaifaError).details).toEqual([{ field: 'sms.phones.0', message: '手机号格式不正确 / invalid mobile number' }]);
    }
  });
});
