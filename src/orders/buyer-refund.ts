import { refundBuyerJob, sourceJob } from '../jobs/catalogue.js';
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { WeChatClients } from '../channels/wechat-shop/client.js';
import { mapOrder, mapShipments } from '../channels/wechat-shop/mapping.js';
import { openCase, openCasesOfOrder, openCasesWithData, settleCase } from '../cases/cases.js';
import { parcelledLines } from '../db/repositories/deliveries.js';
import { heldLines } from '../db/repositories/purchase-orders.js';
import { orderHead, withdrawUnits } from '../db/repositories/shop-orders.js';
import { formatYuan } from '../domain/money.js';
import type { Db } from '../db/dialect.js';
import { orderLines } from '../db/lookups.js';
import type { Database } from '../db/schema.js';
import { enqueue } from '../jobs/queue.js';
import { appendEvent, applyTransition, lastEventInto, lockEntity, orderEvents } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import { idString } from '../lib/lossless-json.js';
import type { Notifier } from '../notify/notifier.js';
import type { ShopService } from '../shops/shops.js';

/** After-sale statuses of a REFUND the merchant (or WeChat for them) has granted. */
const REFUND_GRANTED = new Set(['PLATFORM_REFUNDING', 'MERCHANT_REFUND_SUCCESS']);

/** Events by which a person decided that the buyer gets the money back (the order will not be fulfilled). */
export const REFUND_DECISIONS = ['order.buyer_refused', 'review.cancelled', 'order.refund_decided'] as const;
/** …and the decision to refund some lines while the rest of the order goes on. */
const LINE_REFUND_DECIDED = 'order.line_refund_decided';

/** genaftersaleorder's 售后原因 a person can give (reference: 代用户发起售后). */
export const REFUND_REASONS = {
  '10000001': '缺货',
  '10000014': '双方协商一致退款',
  '10000002': '拍错/多拍',
  '10000000': '不想要了',
  '10000008': '其他',
} as const;
export type RefundReason = keyof typeof REFUND_REASONS;

/** Case kinds about a line that a refund of that line settles. */
const LINE_CASES = ['UNMAPPED', 'OUT_OF_STOCK', 'SPECIAL_REQUEST_CONSENT', 'SUBSTITUTE_CONSENT'];
/** The transitions by which sourcing (or a proposal) held an order that a line refund may let go on. */
const HELD_BY_SOURCING = ['sourcing.blocked', 'order.substitute_proposed'];

/**
 * Mark lines withdrawn (every unit: never sourced from now on) and queue the refund, in the caller's transaction.
 * `reason` is genaftersaleorder's 售后原因, kept on the decision for the request.
 */
export async function withdrawLines(
  trx: Transaction<Database>,
  shopOrderId: number,
  lineNos: number[] | 'all',
  now: number,
): Promise<void> {
  await withdrawUnits(trx, shopOrderId, lineNos);
  await enqueue(trx, refundBuyerJob(shopOrderId), now);
}

/**
 * 退款给买家, decided by a person (a case's 退款 / 取消订单, or the order page): the whole order, or some lines
 * while the rest goes on. Lines a live supplier order holds are refused (cancel or settle that order first); so are
 * shipped orders (their refunds are after-sales on WeChat). The order is cancelled when nothing is left to fulfil;
 * otherwise the lines' cases are settled and an order that sourcing held goes back to sourcing without them.
 * The refund itself is requested by the `order.refund-buyer` job (BuyerRefunds.request).
 */
export async function decideBuyerRefund(
  db: Db,
  clock: Clock,
  input: { shopOrderId: number; lines?: number[]; reason: RefundReason; note: string; actor: string },
): Promise<{ state: string; lines: number[]; whole: boolean }> {
  const note = input.note.trim();
  if (!note)
    throw new DaifaError('VALIDATION', '请填写退款说明 / a note is required', { details: [{ field: 'note', message: 'required' }] });
  const now = clock.now();
  return db.kysely.transaction().execute(async (trx) => {
    await lockEntity(trx, 'shop_order', input.shopOrderId);
    const order = await orderHead(trx, input.shopOrderId);
    if (!order) throw new DaifaError('NOT_FOUND', `订单 ${input.shopOrderId} 不存在`);
    if (['Shipped', 'Completed', 'Cancelled'].includes(order.state))
      throw new DaifaError(
        'WRONG_STATE',
        `订单状态为 ${order.state}，不能在 Daifa 发起退款（已发货的请在微信小店处理售后） / order is ${order.state}`,
      );
    const lines = await orderLines(trx, order.id);
    const open = (l: (typeof lines)[number]) => l.quantity - Math.max(l.finish_aftersale_cnt, l.withdrawn_cnt) > 0;
    const unknown = (input.lines ?? []).filter((n) => !lines.some((l) => l.line_no === n));
    if (unknown.length)
      throw new DaifaError('VALIDATION', `订单没有第 ${unknown.join('、')} 行 / no such line`, {
        details: [{ field: 'lines', message: 'unknown line' }],
      });
    const wanted = lines.filter((l) => (input.lines ? input.lines.includes(l.line_no) : true) && open(l));
    if (!wanted.length) throw new DaifaError('ALREADY_DONE', '这些商品已退款或已决定退款 / already refunded');
    const held = await heldLines(trx, order.id);
    const busy = wanted.filter((l) => held.some((h) => h.shop_order_line_no === l.line_no));
    if (busy.length)
      throw new DaifaError(
        'WRONG_STATE',
        `第 ${busy.map((l) => l.line_no).join('、')} 行已在采购单 ${[...new Set(held.filter((h) => busy.some((l) => l.line_no === h.shop_order_line_no)).map((h) => h.out_order_id))].join('、')} 中：请先换供应商或登记供应商已取消 / a supplier order holds these lines`,
      );
    const lineNos = wanted.map((l) => l.line_no);
    const whole = lines.every((l) => !open(l) || lineNos.includes(l.line_no));
    const what = wanted.map((l) => `第 ${l.line_no} 行“${l.title}”×${l.quantity - l.finish_aftersale_cnt}`).join('；');
    const data = { lines: lineNos, reason: input.reason };
    await withdrawLines(trx, order.id, lineNos, now);
    const settle = (c: { id: number }) =>
      settleCase(trx, { id: c.id, shopOrderId: order.id }, { resolution: `给买家退款：${what}`, note, actor: input.actor }, now);
    const cases = await openCasesOfOrder(trx, order.id);
    if (whole) {
      const t = await applyTransition(
        trx,
        {
          entity: 'shop_order',
          id: order.id,
          to: 'Cancelled',
          event: 'order.refund_decided',
          actor: input.actor,
          note: `给买家退款（${REFUND_REASONS[input.reason]}）：${what}。${note}`,
          data,
        },
        now,
      );
      if (!t.ok) throw new DaifaError('WRONG_STATE', t.reason);
      // Nothing is left to fulfil: every open case of the order is moot.
      for (const c of cases) await settle(c);
      return { state: 'Cancelled', lines: lineNos, whole };
    }
    await appendEvent(
      trx,
      {
        entity: 'shop_order',
        id: order.id,
        event: LINE_REFUND_DECIDED,
        actor: input.actor,
        note: `给买家退款（${REFUND_REASONS[input.reason]}）：${what}；其余商品照常发货。${note}`,
        data,
      },
      now,
    );
    const mine = cases.filter(
      (c) => LINE_CASES.includes(c.kind) && lineNos.includes(Number((JSON.parse(c.data ?? '{}') as { lineNo?: unknown }).lineNo)),
    );
    for (const c of mine) await settle(c);
    // Held by sourcing for these lines only: the rest is sourced again (a hold for another reason stays for a person).
    let state = order.state;
    if ((state === 'NeedsReview' || state === 'AwaitingBuyer') && mine.length === cases.length) {
      const entered = await lastEventInto(trx, 'shop_order', order.id, state);
      if (entered && HELD_BY_SOURCING.includes(entered.event)) {
        const t = await applyTransition(
          trx,
          {
            entity: 'shop_order',
            id: order.id,
            to: 'Confirmed',
            expectFrom: state,
            event: 'order.resumed',
            actor: input.actor,
            note: '退款的商品不再采购，其余商品继续',
            jobs: [sourceJob(order.id)],
          },
          now,
        );
        if (t.ok) state = 'Confirmed';
      }
    }
    return { state, lines: lineNos, whole };
  });
}

/**
 * 给买家退款. WeChat Shop lets the merchant start a refund for the buyer (`genaftersaleorder`, 代用户发起售后):
 * for lines a person withdrew (the whole order after the buyer refused an alternative, a review cancelled it, or
 * a case was settled by refunding), Daifa requests the refund of the units neither shipped nor refunded nor under
 * an after-sale already, each request with an id of its own that a retry repeats (WeChat answers the same
 * after-sale: never two refunds for one decision). A refund WeChat leaves waiting for the merchant — or one the
 * buyer applied for on such a line — is accepted (`acceptapply`). The ledger entries follow when WeChat shows the
 * lines refunded (LineRefunds; intake at status 200). A refusal by WeChat opens a REFUND_FAILED case. Orders being
 * fulfilled are never refunded on Daifa's own initiative.
 */
export class BuyerRefunds {
  constructor(
    private readonly db: Db,
    private readonly shops: ShopService,
    private readonly clients: WeChatClients,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  readonly handler = async (p: { shopOrderId: number }): Promise<void> => {
    await this.accept(p.shopOrderId);
  };

  readonly requestHandler = async (p: { shopOrderId: number }): Promise<void> => {
    await this.request(p.shopOrderId);
  };

  /** Request the refund of every withdrawn unit not yet refunded or under way; returns the requests made. */
  async request(shopOrderId: number): Promise<number> {
    const k = this.db.kysely;
    const order = await orderHead(k, shopOrderId);
    if (!order) return 0;
    const lines = (await orderLines(k, shopOrderId)).filter((l) => l.withdrawn_cnt > 0);
    if (!lines.length) return 0;
    const events = await orderEvents(k, shopOrderId, ['order.refund_requested', LINE_REFUND_DECIDED, ...REFUND_DECISIONS]);
    const decided = events.filter((e) => e.event !== 'order.refund_requested').at(-1);
    const reason = String(
      (JSON.parse(decided?.data ?? '{}') as { reason?: unknown }).reason ??
        (decided?.event === 'order.buyer_refused' ? '10000014' : '10000008'),
    );
    const client = await this.clients.forShop(this.shops, order.shop_id);
    const wire = await client.getOrder(order.wx_order_id);
    const snap = mapOrder(wire);
    // Units WeChat shows shipped, per SKU (a refund is for units not shipped).
    const shipped = new Map<string, number>();
    for (const p of mapShipments(wire).packages) for (const x of p.products) shipped.set(x.skuId, (shipped.get(x.skuId) ?? 0) + x.count);
    // Lines a supplier has already sent parcels for (delivery to WeChat may not have followed yet) are on their way
    // to the buyer: never refunded from here — an after-sale on WeChat handles them.
    const parcelled = new Set(await parcelledLines(k, shopOrderId));
    const requestedNow: string[] = [];
    for (const l of lines) {
      if (parcelled.has(l.line_no)) continue;
      const w =
        snap.lines.find((x) => x.lineNo === l.line_no && x.skuId === l.sku_id) ??
        snap.lines.find((x) => x.skuId === l.sku_id && x.productId === l.product_id);
      if (!w) continue;
      const free = w.quantity - w.finishAftersaleCnt - w.onAftersaleCnt - (shipped.get(l.sku_id) ?? 0);
      const count = Math.min(free, l.withdrawn_cnt - w.finishAftersaleCnt - w.onAftersaleCnt);
      if (count <= 0) continue;
      // The nth request for this line: a retry after a lost answer repeats the id, a later decision gets a new one.
      const attempt =
        1 +
        events.filter(
          (e) => e.event === 'order.refund_requested' && (JSON.parse(e.data ?? '{}') as { lineNo?: number }).lineNo === l.line_no,
        ).length;
      const requestId = `daifa-${order.wx_order_id}-${l.line_no}-${attempt}`;
      const amount = count === w.quantity ? w.paidAmount : Math.round((w.paidAmount * count) / w.quantity);
      const req = {
        requestId,
        orderId: order.wx_order_id,
        productId: w.productId,
        skuId: w.skuId,
        count,
        amount,
        reason,
        desc: `第 ${l.line_no} 行“${l.title}”${REFUND_REASONS[reason as RefundReason] ?? ''}，商家为买家退款`,
      };
      let afterSaleOrderId: string;
      try {
        afterSaleOrderId = await client.genAftersaleOrder(req);
      } catch (err) {
        if (!(err instanceof DaifaError) || err.code !== 'WECHAT_API') throw err; // busy, throttled, no answer: the job retries with the same id
        const d = err.details as { errcode?: unknown; errmsg?: unknown } | undefined;
        const errmsg = d?.errcode !== undefined ? `${String(d.errcode)} ${String(d.errmsg ?? '')}` : err.message;
        await k.transaction().execute(async (trx) => {
          // One open case per line: a refusal again (after 重试) opens a new one only once the last is settled.
          const open = await openCasesWithData(trx, shopOrderId, 'REFUND_FAILED');
          if (open.some((c) => (JSON.parse(c.data ?? '{}') as { lineNo?: number }).lineNo === l.line_no)) return;
          const now = this.clock.now();
          const caseId = await openCase(
            trx,
            {
              kind: 'REFUND_FAILED',
              shopOrderId,
              message: `微信拒绝了给买家的退款申请（第 ${l.line_no} 行“${l.title}”${count} 件 ${formatYuan(amount)}）：${errmsg}。请在微信小店后台为买家退款，或处理后重试`,
              data: { lineNo: l.line_no, count, amount, requestId, errmsg },
              dedupKey: `REFUND_FAILED:${shopOrderId}:${l.line_no}:${now}`,
            },
            now,
          );
          if (caseId)
            await this.notifier.raise(trx, {
              event: 'needs_review',
              shopId: order.shop_id,
              subject: `refund-failed:${caseId}`,
              data: { orderId: order.wx_order_id, detail: `给买家退款失败：${errmsg}` },
            });
        });
        continue;
      }
      await k.transaction().execute((trx) =>
        appendEvent(
          trx,
          {
            entity: 'shop_order',
            id: shopOrderId,
            event: 'order.refund_requested',
            actor: 'system:refunds',
            note: `已为买家发起退款：第 ${l.line_no} 行“${l.title}”${count} 件 ${formatYuan(amount)}（微信售后单 ${afterSaleOrderId}）`,
            data: { lineNo: l.line_no, count, amount, requestId, afterSaleOrderId },
          },
          this.clock.now(),
        ),
      );
      requestedNow.push(afterSaleOrderId);
    }
    if (requestedNow.length) this.log.info({ shopOrderId, requests: requestedNow.length }, 'buyer refunds requested');
    // A refund WeChat leaves for the merchant to accept is accepted now (the after-sales are known: the order as read
    // above, and those just requested — no second order/get).
    await this.accept(shopOrderId, [...new Set([...(snap.aftersaleIds ?? []), ...requestedNow])]);
    return requestedNow.length;
  }

  /** Accept the REFUND after-sales of this order that a person's decision covers: the whole (cancelled) order, or withdrawn lines. */
  async accept(shopOrderId: number, knownAftersaleIds?: string[]): Promise<number> {
    const k = this.db.kysely;
    const order = await orderHead(k, shopOrderId);
    if (!order) return 0;
    const withdrawn = new Set((await orderLines(k, shopOrderId)).filter((l) => l.withdrawn_cnt > 0).map((l) => l.sku_id));
    const decision = (await orderEvents(k, shopOrderId, [...REFUND_DECISIONS, LINE_REFUND_DECIDED])).at(-1);
    if (!decision) return 0;
    const wholeOrder = order.state === 'Cancelled' && decision.event !== LINE_REFUND_DECIDED;
    if (!wholeOrder && !withdrawn.size) return 0;
    const client = await this.clients.forShop(this.shops, order.shop_id);
    const ids = knownAftersaleIds ?? mapOrder(await client.getOrder(order.wx_order_id)).aftersaleIds ?? [];
    // After-sales this order's audit already shows accepted (a re-run after a lost answer must not record one twice).
    const seen = await orderEvents(k, shopOrderId, ['order.refund_accepted', 'order.refund_requested']);
    const idOf = (e: { data: string | null }) =>
      String((JSON.parse(e.data ?? '{}') as { afterSaleOrderId?: unknown }).afterSaleOrderId ?? '');
    const recorded = new Set(seen.filter((e) => e.event === 'order.refund_accepted').map(idOf));
    // Daifa's own requests (recorded when made), told apart in the record of their completion.
    const requested = new Set(seen.filter((e) => e.event === 'order.refund_requested').map(idOf));
    let accepted = 0;
    for (const id of ids) {
      if (recorded.has(id)) continue; // nothing to ask WeChat about
      const as = await client.getAftersaleOrder(id);
      if (String(as.order_id ?? '') !== order.wx_order_id || as.type !== 'REFUND') continue;
      if (!wholeOrder && !withdrawn.has(idString((as.product_info as { sku_id?: unknown } | undefined)?.sku_id) ?? '')) continue;
      const amount = Number((as.refund_info as { amount?: number } | undefined)?.amount ?? 0);
      let note: string;
      if (as.status === 'MERCHANT_PROCESSING') {
        await client.acceptAftersale(id);
        note = `已同意退款 ${id}（${formatYuan(amount)}；依据 ${decision.event} by ${decision.actor}）`;
      } else if (REFUND_GRANTED.has(String(as.status))) {
        // Refunded already: Daifa's own request that WeChat granted at once, the answer to Daifa's acceptapply was
        // lost (the call is tried again and finds it done), the merchant accepted in the back office, or WeChat
        // refunded at the deadline. Recorded once as seen.
        note = requested.has(id)
          ? `Daifa 发起的退款 ${id} 已完成（${formatYuan(amount)}，状态 ${String(as.status)}）`
          : `退款 ${id} 在微信上已同意（${formatYuan(amount)}，状态 ${String(as.status)}；同意请求的应答未收到、商家在后台处理或超时自动退款；依据 ${decision.event} by ${decision.actor}）`;
      } else continue;
      await k.transaction().execute((trx) =>
        appendEvent(
          trx,
          {
            entity: 'shop_order',
            id: shopOrderId,
            shopOrderId,
            event: 'order.refund_accepted',
            actor: 'system:refunds',
            note,
            data: { afterSaleOrderId: id, amount, status: String(as.status) },
          },
          this.clock.now(),
        ),
      );
      accepted++;
    }
    if (accepted) this.log.info({ shopOrderId, accepted }, 'buyer refund requests accepted');
    return accepted;
  }
}
