import type { Logger } from 'pino';
import { digestJob, flushJob, keyOf } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { enqueue, isScheduled, type Executor, type JobQueue } from '../jobs/queue.js';
import {
  batchFailed,
  batchSent,
  batchText,
  foldedOf,
  insertNotification,
  lockTarget,
  markDigested,
  ordersByStateSince,
  pendingFor,
  recentBatches,
  requeueFailed,
  startBatch,
  unlockTarget,
} from '../db/repositories/alerts.js';
import { shopIds } from '../db/lookups.js';
import type { JobContext } from '../jobs/worker.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import type { Channel, Sender } from './senders.js';
import type { SecretBox } from '../security/secrets.js';
import { cnDate, digestTime, inQuietHours, loadSettings, nextCnTime, routeFor, type AlertEvent, type AlertSettings } from './settings.js';
import { maskPhones, render, renderSummary, type AlertData } from './templates.js';

export interface Alert {
  event: AlertEvent;
  shopId: number | null;
  /** One alert per subject per reason (e.g. the order id). */
  subject: string;
  data: AlertData;
}

/** Per-target limits of each channel (WeCom robot 20/min; Tencent SMS per-number defaults; SMTP courtesy). */
export const CHANNEL_LIMITS: Record<Channel, { windowMs: number; max: number }[]> = {
  wecom: [{ windowMs: 60_000, max: 20 }],
  sms: [
    { windowMs: 30_000, max: 1 },
    { windowMs: 3_600_000, max: 5 },
    { windowMs: 86_400_000, max: 10 },
  ],
  email: [{ windowMs: 60_000, max: 30 }],
  log: [],
};

const MAX_SEND_ATTEMPTS = 5;
const WINDOW_MARGIN_MS = 1_500;
const MAX_ITEMS_PER_MESSAGE = 500;

/** A new alert waits this long before its target is flushed, so a burst becomes one summary, not many messages. */
export const COALESCE_MS: Record<Channel, number> = { wecom: 2_000, sms: 5_000, email: 5_000, log: 0 };

export interface NotifierOptions {
  /** Opens the recipients sealed in alert settings. */
  box: SecretBox;
  /** Targets used when a shop's settings name none (e.g. the sandbox WeCom twin). */
  defaultTargets?: Partial<Record<Channel, string[]>>;
  coalesceMs?: Partial<Record<Channel, number>>;
}

/**
 * Merchant alerts. `raise` (inside the caller's transaction) writes one row per channel × target — deduplicated
 * by event + subject + channel + target — and a per-target flush job. Flushing sends what is pending for one
 * target as one message (or one summary of many), never faster than the channel allows. Alerts raised in
 * quiet hours are folded into the next digest. Failed sends are retried, then kept as failed — never dropped.
 */
export class Notifier {
  private readonly senders: Map<Channel, Sender>;

  constructor(
    private readonly db: Db,
    private readonly queue: JobQueue,
    senders: Sender[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: NotifierOptions,
  ) {
    this.senders = new Map(senders.map((s) => [s.channel, s]));
  }

  targets(s: AlertSettings, channel: Channel): string[] {
    const configured =
      channel === 'wecom'
        ? s.wecom
          ? [s.wecom.webhookUrl]
          : []
        : channel === 'sms'
          ? (s.sms?.phones ?? [])
          : channel === 'email'
            ? (s.email?.to ?? [])
            : ['log'];
    const list = configured.length ? configured : (this.opts.defaultTargets?.[channel] ?? []);
    return this.senders.has(channel) ? list : [];
  }

  async raise(trx: Executor, alert: Alert): Promise<number> {
    const now = this.clock.now();
    const settings = await loadSettings(trx, this.opts.box, alert.shopId);
    const msg = render(alert.event, alert.data, settings.language);
    const quiet = alert.event !== 'daily_digest' && inQuietHours(settings, now);
    let created = 0;
    for (const channel of routeFor(settings, alert.event)) {
      for (const target of this.targets(settings, channel)) {
        const [row] = (
          await insertNotification(trx, {
            shop_id: alert.shopId,
            event: alert.event,
            channel,
            target,
            dedup_key: `${alert.event}:${alert.subject}:${channel}:${target}`,
            status: quiet && channel !== 'log' ? 'folded' : 'pending',
            title: maskPhones(msg.title),
            body: maskPhones(msg.body),
            data: JSON.stringify(alert.data),
            attempts: 0,
            created_at: now,
          })
        ).rows;
        if (!row) continue;
        created++;
        if (row.status === 'pending')
          await enqueue(trx, flushJob(channel, target, this.opts.coalesceMs?.[channel] ?? COALESCE_MS[channel]), now);
      }
    }
    if (quiet && alert.shopId !== null) await this.scheduleDigest(trx, alert.shopId, settings);
    return created;
  }

  /** Raise outside any transaction (e.g. from the worker when a job dies). */
  async raiseNow(alert: Alert): Promise<void> {
    await this.db.kysely.transaction().execute((trx) => this.raise(trx, alert));
    this.queue.notify();
  }

  // ---- flushing --------------------------------------------------------------------------------------

  /** How long until the target may receive another message (0 = now). */
  async waitMs(channel: Channel, target: string, now: number): Promise<number> {
    let wait = 0;
    for (const { windowMs, max } of CHANNEL_LIMITS[channel]) {
      // The provider counts at receipt, which is later than our claim: measure from when the send finished
      // (or started, if it has not) and keep a margin for network and clock skew.
      const span = windowMs + WINDOW_MARGIN_MS;
      const recent = await recentBatches(this.db.kysely, channel, target, now - span - 60_000, max);
      const times = recent
        .map((r) => r.sent_at ?? r.created_at)
        .filter((t) => t > now - span)
        .sort((a, b) => b - a);
      if (times.length >= max) wait = Math.max(wait, times[max - 1]! + span - now + 1);
    }
    return wait;
  }

  /** A per-target mutex shared by every worker process: compare-and-set on a lock row. */
  private async lock(key: string, now: number): Promise<boolean> {
    return lockTarget(this.db.kysely, key, now, now + 60_000);
  }

  private async unlock(key: string): Promise<void> {
    await unlockTarget(this.db.kysely, key);
  }

  flushHandler = async (payload: { channel: Channel; target: string }, _ctx?: JobContext): Promise<void> => {
    const { channel, target } = payload;
    const key = `${channel}:${target}`;
    const now = this.clock.now();
    if (!(await this.lock(key, now))) {
      // Another worker is sending to this recipient right now: look again in a second (a pending flush already
      // queued for it does as well). Not a failure — it used to be logged as one on every burst.
      await this.queue.add(flushJob(channel, target, 1_000));
      return;
    }
    let more = false;
    try {
      const wait = await this.waitMs(channel, target, now);
      if (wait > 0) {
        await this.queue.add(flushJob(channel, target, wait));
        return;
      }
      const claimed = await this.claim(channel, target, now);
      if (!claimed) return;
      more = claimed.more;
      await this.deliver(channel, target, claimed.batchId, claimed.items);
    } finally {
      await this.unlock(key);
    }
    if (more) await this.queue.add(flushJob(channel, target));
  };

  private async claim(channel: Channel, target: string, now: number) {
    return this.db.kysely.transaction().execute(async (trx) => {
      const items = await pendingFor(trx, channel, target, MAX_ITEMS_PER_MESSAGE + 1);
      if (items.length === 0) return undefined;
      const more = items.length > MAX_ITEMS_PER_MESSAGE;
      const batchItems = items.slice(0, MAX_ITEMS_PER_MESSAGE);
      const settings = await loadSettings(trx, this.opts.box, batchItems[0]!.shop_id);
      const msg =
        batchItems.length === 1 ? { title: batchItems[0]!.title, body: batchItems[0]!.body } : renderSummary(batchItems, settings.language);
      const batchId = await startBatch(
        trx,
        {
          channel,
          target,
          kind: batchItems.length === 1 ? 'single' : batchItems[0]!.event === 'daily_digest' ? 'digest' : 'summary',
          title: msg.title,
          body: msg.body,
          itemIds: batchItems.map((i) => i.id),
        },
        now,
      );
      return { batchId, items: batchItems, message: msg, more };
    });
  }

  private async deliver(channel: Channel, target: string, batchId: number, items: { id: number; attempts: number }[]): Promise<void> {
    const batch = await batchText(this.db.kysely, batchId);
    const ids = items.map((i) => i.id);
    try {
      const sender = this.senders.get(channel);
      if (!sender) throw new DaifaError('CONFIG', `提醒渠道 ${channel} 未配置 / channel not configured`, { retryable: false });
      await sender.send(target, batch);
      const t = this.clock.now();
      await this.db.kysely.transaction().execute((trx) => batchSent(trx, batchId, ids, t));
    } catch (err) {
      const message = (err as Error).message.slice(0, 500);
      const permanent = err instanceof DaifaError && !err.retryable;
      const attempts = (items[0]?.attempts ?? 0) + 1;
      const giveUp = permanent || attempts >= MAX_SEND_ATTEMPTS;
      await this.db.kysely.transaction().execute((trx) => batchFailed(trx, batchId, ids, { error: message, attempts, giveUp }));
      if (giveUp) {
        this.log.error({ channel, notifications: ids.length, err: message }, 'alert delivery failed; kept as failed');
        return;
      }
      throw err;
    }
  }

  /** Operator action: failed alerts go back to pending and their targets are flushed. */
  async retryFailed(): Promise<number> {
    const { targets, count } = await requeueFailed(this.db.kysely);
    for (const t of targets) await this.queue.add(flushJob(t.channel as Channel, t.target));
    return count;
  }

  // ---- digests ---------------------------------------------------------------------------------------

  async scheduleDigest(trx: Executor, shopId: number, settings: AlertSettings): Promise<void> {
    const at = digestTime(settings);
    if (!at) return;
    const now = this.clock.now();
    await enqueue(trx, digestJob(shopId, nextCnTime(at, now) - now), now);
  }

  /** Make sure every shop with a digest time has its next digest scheduled. */
  async ensureDigestsScheduled(): Promise<void> {
    for (const id of await shopIds(this.db.kysely)) {
      if (!(await isScheduled(this.db.kysely, keyOf('notify.digest', { shopId: id }))))
        await this.scheduleDigest(this.db.kysely, id, await loadSettings(this.db.kysely, this.opts.box, id));
    }
  }

  digestHandler = async (payload: { shopId: number }): Promise<void> => {
    const now = this.clock.now();
    const date = cnDate(now);
    await this.db.kysely.transaction().execute(async (trx) => {
      const folded = await foldedOf(trx, payload.shopId);
      const foldedCounts: Record<string, number> = {};
      const seen = new Set<string>();
      const lines: string[] = [];
      for (const f of folded) {
        // One alert is folded once per channel and recipient; count it once.
        const key = `${f.event}:${f.data}`;
        if (seen.has(key)) continue;
        seen.add(key);
        foldedCounts[f.event] = (foldedCounts[f.event] ?? 0) + 1;
        lines.push(f.title);
      }
      const dayStart = now - ((now + 8 * 3_600_000) % 86_400_000);
      const stats = await ordersByStateSince(trx, payload.shopId, dayStart);
      await this.raise(trx, {
        event: 'daily_digest',
        shopId: payload.shopId,
        subject: `${date}:${now}`,
        data: {
          date,
          stats: Object.fromEntries(stats.map((s) => [s.state, Number(s.n)])),
          folded: foldedCounts,
          foldedLines: lines.slice(0, 10),
        },
      });
      await markDigested(
        trx,
        folded.map((f) => f.id),
        now,
      );
      const settings = await loadSettings(trx, this.opts.box, payload.shopId);
      const at = digestTime(settings);
      if (at) await enqueue(trx, digestJob(payload.shopId, nextCnTime(at, now + 60_000) - now), now);
    });
    this.queue.notify();
  };
}
