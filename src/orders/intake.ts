import { acceptRefundJob, addressChangeJob, confirmJob, deliverJob, lineRefundJob, unwindJob } from '../jobs/catalogue.js';
import { createHash } from 'node:crypto';
import { formatYuan } from '../domain/money.js';
import { settleOpenCases } from '../cases/cases.js';
import { post as postLedger, recordCommission, refundedToBuyer } from '../payments/ledger.js';
import { enqueue } from '../jobs/queue.js';
import type { Logger } from 'pino';
import { mapOrder } from '../channels/wechat-shop/mapping.js';
import type { WeChatClients } from '../channels/wechat-shop/client.js';
import type { Db } from '../db/dialect.js';
import { openPoIds, poIdsInState } from '../db/repositories/purchase-orders.js';
import { insertOrder, knownOrder, lineCounts, updateLineCounts, updateSnapshot } from '../db/repositories/shop-orders.js';
import { isUniqueViolation } from '../db/dialect.js';
import { isCancelledStatus, isPaidStatus, WX_STATUS, type OrderSnapshot } from '../domain/shop-order.js';
import { appendEvent, applyTransition, recordInitialState, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { ShopService } from '../shops/shops.js';

export interface SyncOrderPayload {
  shopId: number;
  orderId: string;
  /** push | poll | manual — for the history. */
  source: string;
}

export type SyncOutcome = 'created' | 'updated' | 'unchanged' | 'ignored-unpaid' | 'cancelled';

/**
 * The one "sync order" step every push and poll hit becomes. Events carry ids, not truth: re-read the order
 * with order/get and upsert. Creating the row, its Received transition and the confirm job is one transaction,
 * guarded by the (shop_id, wx_order_id) unique key, so ten copies of a push change the order once.
 */
export class OrderIntake {
  constructor(
    private readonly db: Db,
    private readonly clients: WeChatClients,
    private readonly shops: ShopService,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async sync(p: SyncOrderPayload): Promise<SyncOutcome> {
    return (await this.syncOrder(p)).outcome;
  }

  /**
   * Sync, and say which order row it was and its state before this sync. With `confirmNext`, a new order gets no
   * confirm job: the caller checks it right after (the sync job does, one job less per order; a crash in between
   * re-runs the sync job, which finds the order still Received).
   */
  async syncOrder(
    p: SyncOrderPayload,
    opts: { confirmNext?: boolean } = {},
  ): Promise<{ outcome: SyncOutcome; shopOrderId?: number; state?: string }> {
    const client = await this.clients.forShop(this.shops, p.shopId);
    const order = mapOrder(await client.getOrder(p.orderId));
    for (let attempt = 0; ; attempt++) {
      const seen: { shopOrderId?: number; state?: string } = {};
      try {
        const outcome = await this.upsert(p, order, seen, opts.confirmNext === true);
        return { outcome, ...seen };
      } catch (err) {
        // Two workers created the same order at once: the loser re-runs as an update.
        if (isUniqueViolation(err) && attempt === 0) continue;
        throw err;
      }
    }
  }

  private async upsert(
    p: SyncOrderPayload,
    o: OrderSnapshot,
    seen: { shopOrderId?: number; state?: string },
    confirmNext: boolean,
  ): Promise<SyncOutcome> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const existing = (await knownOrder(trx, p.shopId, o.wxOrderId)).rows[0];

      if (!existing) {
        // Unpaid orders are not ours to fulfil yet; the paid push or the poller brings them back.
        if (!isPaidStatus(o.status)) return 'ignored-unpaid';
        const row = { id: await insertOrder(trx, p.shopId, o, now) };
        seen.shopOrderId = row.id;
        seen.state = 'Received';
        // The ledger's first entry: what the buyer paid (append-only; corrections are new entries).
        await postLedger(
          trx,
          {
            shopId: p.shopId,
            shopOrderId: row.id,
            kind: 'buyer_paid',
            amount: o.orderPrice,
            ref: `buyer:${p.shopId}:${o.wxOrderId}`,
            day: new Date((o.payTime ?? o.createTime) * 1000 + 8 * 3_600_000).toISOString().slice(0, 10),
          },
          now,
        );
        await recordInitialState(
          trx,
          {
            entity: 'shop_order',
            id: row.id,
            to: 'Received',
            event: 'order.received',
            actor: `system:${p.source}`,
            data: { wxStatus: o.status },
            jobs: confirmNext ? [] : [confirmJob(row.id)],
          },
          now,
        );
        this.log.info({ shopOrderId: row.id, wxOrderId: o.wxOrderId, source: p.source }, 'order received');
        return 'created';
      }

      seen.shopOrderId = existing.id;
      seen.state = existing.state;
      // Out-of-order pushes: an older snapshot never overwrites a newer one.
      if (o.updateTime < existing.wx_update_time_s) return 'unchanged';
      // An after-sale that started or ended changes what may be shipped (even within the same update second).
      const before = await lineCounts(trx, existing.id);
      const aftersaleMoved = o.lines.some((l) => {
        const b = before.find((x) => x.line_no === l.lineNo);
        return b !== undefined && (b.on_aftersale_cnt !== l.onAftersaleCnt || b.finish_aftersale_cnt !== l.finishAftersaleCnt);
      });
      // The address can change within the update second too (WeChat times are whole seconds).
      const addressMoved = addressKey(o.address) !== addressKey(JSON.parse(existing.address) as OrderSnapshot['address']);
      const changed = o.updateTime > existing.wx_update_time_s || o.status !== existing.wx_status || aftersaleMoved || addressMoved;
      if (changed) {
        // Delivery sync looks again when an after-sale moved.
        if (aftersaleMoved && ['Purchasing', 'Fulfilling', 'PartiallyShipped'].includes(existing.state))
          await enqueue(trx, deliverJob(existing.id), now);
        // Some lines refunded while the order goes on: the ledger and the supplier orders follow (LineRefunds).
        const moreRefunded = o.lines.some(
          (l) => l.finishAftersaleCnt > (before.find((x) => x.line_no === l.lineNo)?.finish_aftersale_cnt ?? 0),
        );
        if (moreRefunded && o.status !== WX_STATUS.CANCELLED_AFTERSALE && existing.state !== 'Cancelled')
          await enqueue(trx, lineRefundJob(existing.id), now);
        await updateSnapshot(trx, existing.id, o, now);
        // The buyer changed the receiving address (ext_info_update 2/16/19): supplier orders already placed must hear of it.
        if (addressMoved) {
          const key = addressKey(o.address);
          const placed = ['Sourced', 'Purchasing', 'Fulfilling', 'PartiallyShipped'].includes(existing.state);
          const a = o.address;
          await appendEvent(
            trx,
            {
              entity: 'shop_order',
              id: existing.id,
              shopOrderId: existing.id,
              event: 'order.address_changed',
              actor: `system:${p.source}`,
              note: `买家修改收货地址：${a.provinceName}${a.cityName}${a.countyName} ${a.userName}`,
              data: { placed },
            },
            now,
          );
          if (placed) await enqueue(trx, addressChangeJob(existing.id, createHash('sha256').update(key).digest('hex').slice(0, 16)), now);
        }
        for (const l of o.lines) {
          await updateLineCounts(trx, existing.id, l.lineNo, {
            onAftersaleCnt: l.onAftersaleCnt,
            finishAftersaleCnt: l.finishAftersaleCnt,
            deliveryDeadlineS: laterDeadline(before.find((x) => x.line_no === l.lineNo)?.delivery_deadline_s, l.deliveryDeadline),
          });
        }
      }
      // Settlement tells the platform's commission: the ledger records it once.
      if (o.commission?.settled)
        await recordCommission(trx, { shopId: p.shopId, shopOrderId: existing.id, wxOrderId: o.wxOrderId, fee: o.commission.settled }, now);
      // Buyer confirmed receipt (status 100): the loop is closed for this order and its purchase orders.
      if (o.status === WX_STATUS.COMPLETED && existing.state === 'Shipped') {
        const r = await applyTransition(
          trx,
          {
            entity: 'shop_order',
            id: existing.id,
            to: 'Completed',
            expectFrom: 'Shipped',
            event: 'order.completed',
            actor: `system:${p.source}`,
            note: o.commission?.settled ? `已结算，技术服务费 ${formatYuan(o.commission.settled)}` : '买家已确认收货',
          },
          now,
        );
        if (r.ok) {
          const pos = await poIdsInState(trx, existing.id, 'Shipped');
          for (const poId of pos)
            await transitionIfAllowed(
              trx,
              {
                entity: 'purchase_order',
                id: poId,
                shopOrderId: existing.id,
                to: 'Completed',
                expectFrom: 'Shipped',
                event: 'po.completed',
                actor: `system:${p.source}`,
              },
              now,
            );
          return 'updated';
        }
      }
      // A person decided not to fulfil it (or some lines): a refund request waiting for the merchant is accepted (see BuyerRefunds) …
      if (o.onAftersaleOrderCnt > 0 && (existing.state === 'Cancelled' || before.some((b) => b.withdrawn_cnt > 0)))
        await enqueue(trx, acceptRefundJob(existing.id), now);
      if (existing.state === 'Cancelled' && o.status === WX_STATUS.CANCELLED_AFTERSALE) {
        // … and once WeChat shows everything refunded, the ledger says so (once: the entry's ref is unique).
        await postBuyerRefund(trx, p.shopId, existing.id, o, now);
        await settleOpenCases(
          trx,
          { kind: 'REFUND_FAILED', shopOrderId: existing.id },
          { resolution: '微信显示已全额退款', note: '买家已收到退款（微信订单状态 200）', actor: `system:${p.source}` },
          now,
        );
      }
      if (isCancelledStatus(o.status) && existing.state !== 'Cancelled' && existing.state !== 'Completed') {
        const r = await applyTransition(
          trx,
          {
            entity: 'shop_order',
            id: existing.id,
            to: 'Cancelled',
            event: 'order.cancelled_on_wechat',
            actor: `system:${p.source}`,
            note: o.status === 200 ? '买家全部退款，订单取消' : '订单已取消',
            data: { wxStatus: o.status },
          },
          now,
        );
        if (r.ok) {
          // The buyer got the money back (status 200: every line refunded): the ledger says so, and every
          // supplier order still alive is cancelled or refunded.
          if (o.status === WX_STATUS.CANCELLED_AFTERSALE) await postBuyerRefund(trx, p.shopId, existing.id, o, now);
          const live = await openPoIds(trx, existing.id);
          for (const poId of live) await enqueue(trx, unwindJob(poId, 'buyer_refund'), now);
          this.log.info({ shopOrderId: existing.id, wxOrderId: o.wxOrderId }, 'order cancelled on WeChat');
          return 'cancelled';
        }
        this.log.warn({ shopOrderId: existing.id, reason: r.reason }, 'cancel transition refused');
      }
      return changed ? 'updated' : 'unchanged';
    });
  }
}

/** The buyer got everything back (WeChat status 200): one ledger entry per order (its ref is unique). */
async function postBuyerRefund(trx: Parameters<typeof postLedger>[0], shopId: number, shopOrderId: number, o: OrderSnapshot, now: number) {
  // Lines refunded earlier are booked already (LineRefunds): the full refund tops up to the order total.
  const booked = await refundedToBuyer(trx, shopOrderId, 'buyer-refund-line:');
  const amount = -o.orderPrice - booked;
  if (amount !== 0)
    await postLedger(
      trx,
      {
        shopId,
        shopOrderId,
        kind: 'refund_to_buyer',
        amount,
        ref: `buyer-refund:${shopId}:${o.wxOrderId}`,
        note: '买家全额退款（微信售后）',
      },
      now,
    );
}

/** What identifies a receiving address in the masked snapshot: WeChat's hash_code, else the masked fields. */
function addressKey(a: OrderSnapshot['address']): string {
  return a.hashCode ?? [a.userName, a.telNumber, a.provinceName, a.cityName, a.countyName, a.detailInfo].join('|');
}

/**
 * The ship-by time to keep: the later of what Daifa holds and what order/get says. After the buyer agrees to a
 * delivery negotiation, order/get's `delivery_deadline` is reported not to change (developer community,
 * https://developers.weixin.qq.com/community/personal/oCJUswx6ZRZrbDbK0ZtE4olQLVvM/question): copying it would undo
 * the agreed date and raise false deadline cases.
 */
export function laterDeadline(stored: number | null | undefined, incoming: number | undefined): number | null {
  const a = typeof stored === 'number' && stored > 0 ? stored : undefined;
  const b = typeof incoming === 'number' && incoming > 0 ? incoming : undefined;
  if (a === undefined) return b ?? null;
  return b === undefined ? a : Math.max(a, b);
}
