import { sourceJob } from '../jobs/catalogue.js';
import type { Logger } from 'pino';
import type { Db } from '../db/dialect.js';
import { checkOrder, itemsFingerprint } from '../domain/order-checks.js';
import { describeRequests, hasRequests } from '../domain/special-requests.js';
import { applyTransition } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { Notifier } from '../notify/notifier.js';
import { loadOrder, toSnapshot } from './repository.js';
import { orderLines } from '../db/lookups.js';
import { sameAddressOrders } from '../db/repositories/shop-orders.js';

/**
 * 订单信息确认 (seed step 2): run every check on a Received order; it becomes Confirmed, or NeedsReview with
 * every reason. The merchant is alerted of the new paid order, and again when it needs a person.
 */
export class OrderConfirmation {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly duplicateWindowMs: number,
  ) {}

  /**
   * Check the order. With `sourceNext`, no sourcing job is enqueued: the caller sources the order itself right
   * after (the order job does, so an order costs one job less; a crash in between re-runs that job, which finds
   * the order Confirmed and sources it).
   */
  async confirm(shopOrderId: number, opts: { sourceNext?: boolean } = {}): Promise<string | undefined> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const loaded = await loadOrder(trx, shopOrderId);
      if (!loaded || loaded.row.state !== 'Received') return loaded?.row.state;
      const { row, lines } = loaded;
      const snapshot = toSnapshot(row, lines);

      let possibleDuplicateOf: string | undefined;
      if (row.address_hash && this.duplicateWindowMs > 0) {
        const since = (row.pay_time_s ?? row.wx_create_time_s) * 1000 - this.duplicateWindowMs;
        const { rows: others } = await sameAddressOrders(
          trx,
          row.shop_id,
          row.address_hash,
          row.id,
          Math.floor(since / 1000),
          'Cancelled',
          20,
        );
        const mine = itemsFingerprint(snapshot);
        for (const other of others) {
          const otherLines = await orderLines(trx, other.id);
          if (
            itemsFingerprint({
              lines: otherLines.map((l) => ({ productId: l.product_id, skuId: l.sku_id, quantity: l.quantity })) as never,
            }) === mine
          ) {
            possibleDuplicateOf = other.wx_order_id;
            break;
          }
        }
      }

      const result = checkOrder(snapshot, { possibleDuplicateOf });
      const to = result.reasons.length === 0 ? 'Confirmed' : 'NeedsReview';
      const r = await applyTransition(
        trx,
        {
          entity: 'shop_order',
          id: row.id,
          to,
          expectFrom: 'Received',
          event: to === 'Confirmed' ? 'order.confirmed' : 'order.needs_review',
          actor: 'system:checks',
          note: result.reasons.map((x) => x.message).join('；') || undefined,
          data: { reasons: result.reasons, notes: result.notes },
          patch: {
            review_reasons: JSON.stringify({ reasons: result.reasons, notes: result.notes }),
            special_requests: JSON.stringify(result.requests),
          },
          jobs: to === 'Confirmed' && !opts.sourceNext ? [sourceJob(row.id)] : [],
        },
        now,
      );
      if (!r.ok) {
        this.log.warn({ shopOrderId: row.id, reason: r.reason }, 'confirm transition refused');
        return row.state;
      }

      const a = snapshot.address;
      const items = lines.map((l) => `${l.title} ×${l.quantity}`).join('，');
      await this.notifier.raise(trx, {
        event: 'new_paid_order',
        shopId: row.shop_id,
        subject: row.wx_order_id,
        data: {
          orderId: row.wx_order_id,
          amount: row.order_price,
          items,
          // The stored address is masked (林** 福建省福州市罗源县); alerts never carry plaintext.
          receiver: `${a.userName} ${a.provinceName}${a.cityName}${a.countyName}`,
          requests: hasRequests(result.requests) ? describeRequests(result.requests) : undefined,
        },
      });
      if (to === 'NeedsReview') {
        await this.notifier.raise(trx, {
          event: 'needs_review',
          shopId: row.shop_id,
          subject: row.wx_order_id,
          data: { orderId: row.wx_order_id, reasons: result.reasons.map((x) => x.message) },
        });
      }
      this.log.info(
        { shopOrderId: row.id, wxOrderId: row.wx_order_id, state: to, reasons: result.reasons.map((x) => x.code) },
        'order checked',
      );
      return to;
    });
  }
}
