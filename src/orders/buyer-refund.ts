import type { Logger } from 'pino';
import type { WeChatClients } from '../channels/wechat-shop/client.js';
import { mapOrder } from '../channels/wechat-shop/mapping.js';
import { formatYuan } from '../domain/money.js';
import type { Db } from '../db/dialect.js';
import { appendEvent } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { ShopService } from '../shops/shops.js';

export const ACCEPT_REFUND = 'order.accept-refund';
export const acceptRefundJob = (shopOrderId: number) => ({ kind: ACCEPT_REFUND, payload: { shopOrderId }, singletonKey: `${ACCEPT_REFUND}:${shopOrderId}` });

/** After-sale statuses of a REFUND the merchant (or WeChat for them) has granted. */
const REFUND_GRANTED = new Set(['PLATFORM_REFUNDING', 'MERCHANT_REFUND_SUCCESS']);

/** Events by which a person decided that the buyer gets the money back (the order will not be fulfilled). */
export const REFUND_DECISIONS = ['order.buyer_refused', 'review.cancelled'] as const;

/**
 * 给买家退款: WeChat Shop has no documented merchant-initiated refund, so the buyer applies (仅退款) and the merchant
 * accepts. For an order a person already decided not to fulfil (the buyer refused a substitute or an alternative,
 * or a review cancelled it), Daifa accepts the buyer's refund request at once (`acceptapply`) — only a REFUND still
 * waiting for the merchant, for this order — and records it; the ledger's refund entry follows when WeChat shows the
 * order refunded (status 200). Orders being fulfilled are never refunded automatically.
 */
export class BuyerRefunds {
  constructor(
    private readonly db: Db,
    private readonly shops: ShopService,
    private readonly clients: WeChatClients,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  readonly handler = async (p: { shopOrderId: number }): Promise<void> => {
    await this.accept(p.shopOrderId);
  };

  async accept(shopOrderId: number): Promise<number> {
    const k = this.db.kysely;
    const order = await k.selectFrom('shop_orders').select(['id', 'shop_id', 'wx_order_id', 'state']).where('id', '=', shopOrderId).executeTakeFirst();
    if (!order || order.state !== 'Cancelled') return 0;
    const decision = await k.selectFrom('order_events').select(['event', 'actor']).where('shop_order_id', '=', shopOrderId).where('event', 'in', [...REFUND_DECISIONS]).orderBy('id', 'desc').executeTakeFirst();
    if (!decision) return 0;
    const client = await this.clients.forShop(this.shops, order.shop_id);
    const ids = mapOrder(await client.getOrder(order.wx_order_id)).aftersaleIds ?? [];
    // After-sales this order's audit already shows accepted (a re-run after a lost answer must not record one twice).
    const recorded = new Set((await k.selectFrom('order_events').select('data').where('shop_order_id', '=', shopOrderId).where('event', '=', 'order.refund_accepted').execute())
      .map((e) => String((JSON.parse(e.data ?? '{}') as { afterSaleOrderId?: unknown }).afterSaleOrderId ?? '')));
    let accepted = 0;
    for (const id of ids) {
      if (recorded.has(id)) continue; // nothing to ask WeChat about
      const as = await client.getAftersaleOrder(id);
      if (String(as.order_id ?? '') !== order.wx_order_id || as.type !== 'REFUND') continue;
      const amount = Number((as.refund_info as { amount?: number } | undefined)?.amount ?? 0);
      let note: string;
      if (as.status === 'MERCHANT_PROCESSING') {
        await client.acceptAftersale(id);
        note = `已同意买家退款申请 ${id}（${formatYuan(amount)}；依据 ${decision.event} by ${decision.actor}）`;
      } else if (REFUND_GRANTED.has(String(as.status))) {
        // Accepted already: the answer to Daifa's own acceptapply was lost (the call is tried again and finds it
        // done), or the merchant accepted in the back office, or WeChat refunded at the deadline. Recorded as seen.
        note = `买家退款申请 ${id} 在微信上已同意（${formatYuan(amount)}，状态 ${String(as.status)}；同意请求的应答未收到、商家在后台处理或超时自动退款；依据 ${decision.event} by ${decision.actor}）`;
      } else continue;
      await k.transaction().execute((trx) => appendEvent(trx, { entity: 'shop_order', id: shopOrderId, shopOrderId, event: 'order.refund_accepted', actor: 'system:refunds', note, data: { afterSaleOrderId: id, amount, status: String(as.status) } }, this.clock.now()));
      accepted++;
    }
    if (accepted) this.log.info({ shopOrderId, accepted }, 'buyer refund requests accepted');
    return accepted;
  }
}
