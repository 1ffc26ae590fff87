import type { Logger } from 'pino';
import type { Db } from '../db/dialect.js';
import { enqueue, type Executor } from '../jobs/queue.js';
import type { Clock } from '../lib/clock.js';
import type { JobContext } from '../jobs/worker.js';
import { WeComBotClient } from './wecom-bot.client.js';

export const SEND_NOTIFICATION = 'notify.send';

/** Events a merchant can be alerted about. Issue #6 adds the rest (digest, deadlines, …) and per-shop rules. */
export type AlertEvent = 'new_paid_order' | 'needs_review' | 'dead_job';

export interface Alert {
  event: AlertEvent;
  shopId: number | null;
  /** One alert per subject per reason: e.g. the order id. */
  subject: string;
  title: string;
  /** Chinese markdown. Masked values only — never buyer plaintext. */
  body: string;
}

export interface Sink {
  channel: string;
  send(title: string, body: string): Promise<void>;
}

export class LogSink implements Sink {
  channel = 'log';
  constructor(private readonly log: Logger) {}
  async send(title: string): Promise<void> {
    this.log.info({ alert: title }, 'merchant alert');
  }
}

export class WeComSink implements Sink {
  channel = 'wecom';
  private client: WeComBotClient;
  constructor(webhookUrl: string) {
    this.client = new WeComBotClient(webhookUrl);
  }
  async send(title: string, body: string): Promise<void> {
    await this.client.sendMarkdown(`**${title}**\n${body}`);
  }
}

/**
 * Raising an alert writes one notification row per channel (deduplicated by event+subject+channel) and a
 * send job, inside the caller's transaction: an alert exists exactly when the state change that caused it does.
 */
export class Notifier {
  private readonly sinks: Map<string, Sink>;

  constructor(
    private readonly db: Db,
    sinks: Sink[],
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.sinks = new Map(sinks.map((s) => [s.channel, s]));
  }

  channelsFor(_alert: Alert): string[] {
    return [...this.sinks.keys()];
  }

  async raise(trx: Executor, alert: Alert): Promise<void> {
    const now = this.clock.now();
    for (const channel of this.channelsFor(alert)) {
      const row = await trx
        .insertInto('notifications')
        .values({ shop_id: alert.shopId, event: alert.event, channel, dedup_key: `${alert.event}:${alert.subject}:${channel}`, status: 'pending', title: alert.title, body: alert.body, attempts: 0, created_at: now })
        .onConflict((oc) => oc.column('dedup_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (row) await enqueue(trx, { kind: SEND_NOTIFICATION, payload: { notificationId: row.id }, maxAttempts: 6 }, now);
    }
  }

  /** Job handler: deliver one notification; after the last attempt it stays visible as failed. */
  handler = async (payload: { notificationId: number }, ctx: JobContext): Promise<void> => {
    const n = await this.db.kysely.selectFrom('notifications').selectAll().where('id', '=', payload.notificationId).executeTakeFirst();
    if (!n || n.status === 'sent') return;
    const sink = this.sinks.get(n.channel);
    try {
      if (!sink) throw new Error(`channel ${n.channel} is not configured`);
      await sink.send(n.title, n.body);
      await this.db.kysely.updateTable('notifications').set({ status: 'sent', sent_at: this.clock.now(), attempts: n.attempts + 1, last_error: null }).where('id', '=', n.id).execute();
    } catch (err) {
      const last = ctx.job.attempts >= ctx.job.max_attempts;
      await this.db.kysely.updateTable('notifications').set({ status: last ? 'failed' : 'pending', attempts: n.attempts + 1, last_error: (err as Error).message.slice(0, 500) }).where('id', '=', n.id).execute();
      if (last) {
        this.log.error({ notificationId: n.id, channel: n.channel }, 'alert could not be delivered; marked failed');
        return;
      }
      throw err;
    }
  };
}
