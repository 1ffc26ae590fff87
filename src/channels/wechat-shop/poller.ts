import type { Logger } from 'pino';
import { keyOf, pollJob, syncJob } from '../../jobs/catalogue.js';
import type { Db } from '../../db/dialect.js';
import { enqueue, isScheduled, type JobQueue } from '../../jobs/queue.js';
import type { Clock } from '../../lib/clock.js';
import type { ShopService } from '../../shops/shops.js';
import type { WeChatClients } from './client.js';

const WINDOW_S = 7 * 86400;

export interface PollerOptions {
  intervalSeconds: number;
  /** Re-read this much before the cursor: update_time granularity and clock skew must not hide an order. */
  overlapSeconds?: number;
  /** How far back the very first poll of a shop looks. */
  initialLookbackSeconds?: number;
}

/**
 * The safety net under pushes: per shop, order/list/get by update_time from a persisted cursor (with overlap),
 * every changed order becomes the same idempotent sync job a push would create. Each run schedules the next
 * as a delayed job, so the schedule survives restarts.
 */
export class OrderPoller {
  constructor(
    private readonly db: Db,
    private readonly queue: JobQueue,
    private readonly clients: WeChatClients,
    private readonly shops: ShopService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: PollerOptions,
  ) {}

  handler = async (payload: { shopId: number }): Promise<void> => {
    await this.poll(payload.shopId);
    await this.queue.add(pollJob(payload.shopId, this.opts.intervalSeconds * 1000));
  };

  /** Make sure every shop has its poll scheduled (after a restart, a new shop, or a dead poll job). */
  async ensureScheduled(): Promise<void> {
    for (const shopId of await this.shops.ids())
      if (!(await isScheduled(this.db.kysely, keyOf('wechat.poll', { shopId })))) await this.queue.add(pollJob(shopId));
  }

  async poll(shopId: number): Promise<{ found: number }> {
    const client = await this.clients.forShop(this.shops, shopId);
    const cursor = await this.shops.pollCursor(shopId);
    const nowS = Math.floor(this.clock.now() / 1000);
    const overlap = this.opts.overlapSeconds ?? 120;
    let start = cursor !== null ? cursor - overlap : nowS - (this.opts.initialLookbackSeconds ?? 86400);
    let found = 0;
    while (start < nowS) {
      const end = Math.min(start + WINDOW_S, nowS);
      let nextKey: string | undefined;
      do {
        const page = await client.listOrders({ updateTimeRange: [start, end], pageSize: 100, nextKey });
        if (page.orderIds.length) {
          const t = this.clock.now();
          await this.db.kysely.transaction().execute(async (trx) => {
            for (const id of page.orderIds) await enqueue(trx, syncJob({ shopId, orderId: id, source: 'poll' }), t);
          });
          this.queue.notify();
          found += page.orderIds.length;
        }
        nextKey = page.hasMore ? page.nextKey : undefined;
      } while (nextKey);
      start = end;
    }
    await this.shops.savePollCursor(shopId, nowS);
    if (found) this.log.info({ shopId, found }, 'poll found changed orders');
    return { found };
  }
}
