import { acceptRefundJob, addressChangeJob, confirmJob, deliverJob, lineRefundJob, unwindJob } from '../jobs/catalogue.js';
import { createHash } from 'node:crypto';
import { formatYuan } from '../domain/money.js';
import { settleOpenCases } from '../cases/cases.js';
import { post as postLedger, recordCommission } from '../payments/ledger.js';
import { enqueue } from '../jobs/queue.js';
import type { Logger } from 'pino';
import { mapOrder } from '../channels/wechat-shop/mapping.js';
import type { WeChatClients } from '../channels/wechat-shop/client.js';
import type { Db } from '../db/dialect.js';
import { prepared, preparedInsert } from '../db/prepared.js';
import { rowOrThrow } from '../db/lookups.js';
import { isUniqueViolation } from '../db/dialect.js';
import { isCancelledStatus, isPaidStatus, WX_STATUS, type OrderSnapshot } from '../domain/shop-order.js';
import { appendEvent, applyTransition, recordInitialState, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { ShopService } from '../shops/shops.js';

// Every new order: compiled once (see prepared()).
const insertOrder = preparedInsert(
  'shop_orders',
  [
    'shop_id',
    'state',
    'wx_order_id',
    'wx_status',
    'wx_create_time_s',
    'wx_update_time_s',
    'pay_time_s',
    'order_price',
    'product_price',
    'freight',
    'customer_notes',
    'merchant_notes',
    'address',
    'address_hash',
    'search_text',
    'review_reasons',
    'special_requests',
    'created_at',
    'updated_at',
    'version',
  ],
  (q) => q.returning('id'),
);
const knownOrder = prepared((db, shopId: number, wxOrderId: string) =>
  db
    .selectFrom('shop_orders')
    .select(['id', 'state', 'wx_update_time_s', 'wx_status', 'address'])
    .where('shop_id', '=', shopId)
    .where('wx_order_id', '=', wxOrderId),
);

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
        const row = rowOrThrow(
          (
            await insertOrder(trx, {
              shop_id: p.shopId,
              state: 'Received',
              ...snapshotColumns(o),
              review_reasons: JSON.stringify({ reasons: [], notes: [] }),
              special_requests: '{}',
              created_at: now,
              updated_at: now,
              version: 0,
            })
          ).rows[0],
          'shop_orders',
          o.wxOrderId,
        );
        seen.shopOrderId = row.id;
        seen.state = 'Received';
        // An order without lines is still stored: the NO_LINES check sends it to review.
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
        if (o.lines.length)
          await trx
            .insertInto('shop_order_lines')
            .values(o.lines.map((l) => ({ shop_order_id: row.id, ...lineColumns(l) })))
            .execute();
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
      const before = await trx
        .selectFrom('shop_order_lines')
        .select(['line_no', 'on_aftersale_cnt', 'finish_aftersale_cnt', 'withdrawn_cnt', 'delivery_deadline_s'])
        .where('shop_order_id', '=', existing.id)
        .execute();
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
        await trx
          .updateTable('shop_orders')
          .set({ ...snapshotColumns(o), updated_at: now })
          .where('id', '=', existing.id)
          .execute();
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
          await trx
            .updateTable('shop_order_lines')
            .set({
              on_aftersale_cnt: l.onAftersaleCnt,
              finish_aftersale_cnt: l.finishAftersaleCnt,
              delivery_deadline_s: laterDeadline(before.find((x) => x.line_no === l.lineNo)?.delivery_deadline_s, l.deliveryDeadline),
            })
            .where('shop_order_id', '=', existing.id)
            .where('line_no', '=', l.lineNo)
            .execute();
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
          const pos = await trx
            .selectFrom('purchase_orders')
            .select('id')
            .where('shop_order_id', '=', existing.id)
            .where('state', '=', 'Shipped')
            .execute();
          for (const po of pos)
            await transitionIfAllowed(
              trx,
              {
                entity: 'purchase_order',
                id: po.id,
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
          const live = await trx
            .selectFrom('purchase_orders')
            .select('id')
            .where('shop_order_id', '=', existing.id)
            .where('state', 'not in', ['Cancelled', 'Shadowed', 'Completed'])
            .execute();
          for (const po of live) await enqueue(trx, unwindJob(po.id, 'buyer_refund'), now);
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
  const booked = await trx
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.sum<number>('amount').as('s'))
    .where('shop_order_id', '=', shopOrderId)
    .where('kind', '=', 'refund_to_buyer')
    .where('ref', 'like', `buyer-refund-line:%`)
    .executeTakeFirst();
  const amount = -o.orderPrice - Number(booked?.s ?? 0);
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

function snapshotColumns(o: OrderSnapshot) {
  const a = o.address;
  return {
    wx_order_id: o.wxOrderId,
    wx_status: o.status,
    wx_create_time_s: o.createTime,
    wx_update_time_s: o.updateTime,
    pay_time_s: o.payTime ?? null,
    order_price: o.orderPrice,
    product_price: o.productPrice,
    freight: o.freight,
    customer_notes: o.customerNotes,
    merchant_notes: o.merchantNotes,
    // order/get returns the receiver masked; that masked form is all Daifa stores.
    address: JSON.stringify(a),
    address_hash: a.hashCode ?? null,
    search_text: [o.wxOrderId, a.userName, ...o.lines.map((l) => `${l.title} ${l.skuAttrs.map((x) => x.value).join(' ')}`)]
      .join(' ')
      .toLowerCase(),
  };
}

function lineColumns(l: OrderSnapshot['lines'][number]) {
  return {
    line_no: l.lineNo,
    product_id: l.productId,
    sku_id: l.skuId,
    product_unique_id: l.productUniqueId ?? null,
    title: l.title,
    sku_attrs: JSON.stringify(l.skuAttrs),
    quantity: l.quantity,
    unit_price: l.unitPrice,
    paid_amount: l.paidAmount,
    delivery_deadline_s: l.deliveryDeadline ?? null,
    on_aftersale_cnt: l.onAftersaleCnt,
    finish_aftersale_cnt: l.finishAftersaleCnt,
  };
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
