import type { EmailPurchaseRoute } from '../purchasing/email-route.js';
import { moveNegotiation } from './fulfilment-state.js';
import type { NegotiationState } from '../domain/fulfilment.lifecycle.js';
import { routeTraits } from '../domain/purchase-routes.js';
import { cnDate, cnDateTime } from '../lib/cn-time.js';
import type { Logger } from 'pino';
import { openCase, settleOpenCases, settleCase } from '../cases/cases.js';
import type { WeChatClients, WeChatShopClient } from '../channels/wechat-shop/client.js';
import type { Db } from '../db/dialect.js';
import { appendEvent } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import type { Notifier } from '../notify/notifier.js';
import type { ShopService } from '../shops/shops.js';
import type { Alibaba1688Accounts } from '../suppliers/alibaba-1688/accounts.js';
import {
  dateCasesWithParcels,
  hasOrderLevelDeadlineCase,
  leadTimeHours,
  orderLevelDeadlineCasesLeaving,
  poForForecast,
  shipByTimes,
  unplacedDueBy,
  unshippedPurchaseOrders,
  unshippedWithRequestedDate,
} from '../db/repositories/deadlines.js';
import {
  forgetUnsent,
  negotiationInProgress,
  negotiationStates,
  postponeShipBy,
  recordNegotiation,
  sendingNegotiation,
} from '../db/repositories/negotiations.js';
import { poWithSupplier, shopLinesOf } from '../db/repositories/purchase-orders.js';
import { orderHead } from '../db/repositories/shop-orders.js';
import { dispatchTimes, provinceOf, supplierRecords } from '../db/repositories/supplier-history.js';
import { expectedDispatchHours, expectedTransitHours, type SupplierHistory } from '../domain/supplier-scoring.js';
import { describeDate, type SpecialRequests } from '../domain/special-requests.js';
import { shopOrderStateLabels, type ShopOrderState } from '../domain/shop-order.lifecycle.js';

/** WeChat's negotiation states ([U]: not published; the sandbox uses these). */
const NEGOTIATION = { 2: 'Agreed', 3: 'Rejected', 4: 'TimedOut' } as Record<number, NegotiationState>;
const HOUR = 3_600_000;
/** Shop-order states before any supplier order exists (or while none can be placed). */
const UNPLACED: ShopOrderState[] = ['Received', 'Confirmed', 'NeedsReview', 'AwaitingBuyer', 'Sourced'];

export interface Forecast {
  purchaseOrderId: number;
  deadline: number;
  paidAt: number;
  hoursLeft: number;
  /** P(the supplier ships after the deadline | it has not shipped yet), from its own dispatch history. */
  risk: number;
  samples: number;
  basis: 'history' | 'lead_time';
}

/**
 * 发货期限: every unshipped purchase order is checked against its lines' `delivery_deadline`. The risk comes from
 * the supplier's own dispatch times for this merchant (time from payment to first parcel): of the past orders
 * that were still unshipped after as long as this one has waited, the share that shipped after the deadline.
 * Without enough history the offer's lead time stands in. At risk → a case with the remedies (expedite,
 * switch supplier, ask the buyer for a later date) and an alert, before the platform's 4-hour cut-off.
 */
export class DeadlineWatch {
  constructor(
    private readonly db: Db,
    private readonly accounts: Alibaba1688Accounts,
    private readonly shops: ShopService,
    private readonly clients: WeChatClients,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Direct suppliers are urged by e-mail in the purchase order's thread. */
    private readonly email?: EmailPurchaseRoute,
    private readonly opts: { riskThreshold: number; alertHoursLeft: number } = { riskThreshold: 0.5, alertHoursLeft: 12 },
  ) {}

  /** An order not placed yet needs the supplier's whole lead time: it is flagged a day before its deadline. */
  private readonly unplacedAlertHours = 24;

  /** `histories`: suppliers' dispatch times already read (the sweep shares one map: each supplier is read once). */
  async forecast(poId: number, histories = new Map<number, number[]>()): Promise<Forecast | undefined> {
    const k = this.db.kysely;
    const po = await poForForecast(k, poId);
    if (!po) return undefined;
    const lineNos = await shopLinesOf(k, poId);
    if (!lineNos.length) return undefined;
    const lines = await shipByTimes(k, po.shop_order_id, lineNos);
    const deadlines = lines.filter((d): d is number => typeof d === 'number' && d > 0);
    if (!deadlines.length) return undefined;
    const now = this.clock.now();
    const deadline = Math.min(...deadlines) * 1000;
    const paidAt = po.paid_at ?? po.created_at;
    const elapsed = now - paidAt;
    const budget = deadline - paidAt;
    // The supplier's history: time from payment to its first parcel, its latest 200 orders.
    let history = histories.get(po.supplier_id);
    if (!history)
      histories.set(po.supplier_id, (history = (await dispatchTimes(k, { supplierId: po.supplier_id, latest: 200 })).map((d) => d.ms)));
    const h = (await leadTimeHours(k, poId)) * HOUR;
    // A spread around the stated lead time: it stands in until the supplier has a record with this merchant, and
    // after that it stays as a prior for the tail — an order that has waited longer than every past one is not
    // certain to be late while its promised lead time says it may still ship in time.
    const prior = [0.5, 0.75, 1, 1, 1.25, 1.5, 2].map((f) => f * h);
    const basis: Forecast['basis'] = history.length < 5 ? 'lead_time' : 'history';
    const durations = basis === 'history' ? [...history, ...prior] : prior;
    const stillWaiting = durations.filter((d) => d > elapsed);
    const risk = stillWaiting.length ? stillWaiting.filter((d) => d > budget).length / stillWaiting.length : 1;
    return {
      purchaseOrderId: poId,
      deadline,
      paidAt,
      hoursLeft: (deadline - now) / HOUR,
      risk,
      samples: basis === 'history' ? history.length : 0,
      basis,
    };
  }

  /** Called by the tracking sweep: cases and alerts for unshipped purchase orders at risk. */
  async watch(): Promise<number> {
    const k = this.db.kysely;
    const open = await unshippedPurchaseOrders(k);
    let flagged = 0;
    const histories = new Map<number, number[]>();
    for (const po of open) {
      const f = await this.forecast(po.id, histories);
      if (!f || (f.risk < this.opts.riskThreshold && f.hoursLeft > this.opts.alertHoursLeft)) continue;
      const now = this.clock.now();
      const when = cnDateTime(f.deadline);
      const canNegotiate = f.hoursLeft > 4;
      const message = `最晚发货 ${when}（剩 ${Math.max(0, f.hoursLeft).toFixed(1)} 小时），供应商超时概率 ${(f.risk * 100).toFixed(0)}%（${f.basis === 'history' ? `${f.samples} 单历史` : '按承诺时效估计'}）。可选：催发货${canNegotiate ? '、换供应商、与买家发货协商（需在截止前 4 小时提交）' : '；已过协商截止，请尽快处理'}`;
      const opened = await k.transaction().execute(async (trx) => {
        const id = await openCase(
          trx,
          {
            kind: 'DEADLINE_AT_RISK',
            shopOrderId: po.shop_order_id,
            purchaseOrderId: po.id,
            message,
            data: f,
            dedupKey: `DEADLINE_AT_RISK:${po.id}`,
          },
          now,
        );
        if (id)
          await this.notifier.raise(trx, {
            event: 'deadline_at_risk',
            shopId: po.shop_id,
            subject: String(po.id),
            data: { orderId: po.wx_order_id, detail: message },
          });
        return id;
      });
      if (opened) flagged++;
    }
    return flagged + (await this.watchUnplaced()) + (await this.watchRequestedDates());
  }

  /**
   * 买家要求的送达时间: a date the buyer asked for (明天送到, 3天内 …) was met by the supplier's record when it was
   * chosen; a supplier that has not shipped yet may miss it since. Each unshipped purchase order of such an order
   * gets an expected arrival — when the supplier should ship by its record (payment + expected dispatch, or now if
   * that is past) plus its parcels' expected transit — and one later than the date opens a case and an alert while
   * there is still time to urge the supplier or tell the buyer. A date the buyer waived (consent) is not watched.
   */
  private async watchRequestedDates(): Promise<number> {
    const k = this.db.kysely;
    const now = this.clock.now();
    const rows = await unshippedWithRequestedDate(k);
    const records = new Map<number, Map<number, SupplierHistory>>();
    let flagged = 0;
    for (const po of rows) {
      const r = JSON.parse(po.special_requests) as SpecialRequests;
      if (r.deliveryBy === undefined || !r.deliveryDate) continue;
      const by = r.deliveryBy * 1000;
      let shop = records.get(po.shop_id);
      if (!shop) records.set(po.shop_id, (shop = await supplierRecords(k, po.shop_id, now)));
      const history = shop.get(po.supplier_id) ?? { orders: 0, problems: 0 };
      const shipBy = Math.max(now, (po.paid_at ?? po.created_at) + expectedDispatchHours(history, await leadTimeHours(k, po.id)) * HOUR);
      const eta = shipBy + expectedTransitHours(history, provinceOf(po.address) || undefined) * HOUR;
      if (eta <= by) continue;
      const message = `买家要求${describeDate(r.deliveryDate)}送达（${cnDateTime(by)} 前），供应商尚未发货：按其记录预计 ${cnDateTime(eta)} 才能送到。可选：催发货、联系供应商，或告诉买家并记录答复`;
      const opened = await k.transaction().execute(async (trx) => {
        const id = await openCase(
          trx,
          {
            kind: 'DELIVERY_DATE_AT_RISK',
            shopOrderId: po.shop_order_id,
            purchaseOrderId: po.id,
            message,
            data: { deliveryBy: by, eta, supplierId: po.supplier_id },
            dedupKey: `DELIVERY_DATE_AT_RISK:${po.id}`,
          },
          now,
        );
        if (id)
          await this.notifier.raise(trx, {
            event: 'delivery_date_at_risk',
            shopId: po.shop_id,
            subject: String(po.id),
            data: { orderId: po.wx_order_id, detail: message },
          });
        return id;
      });
      if (opened) flagged++;
    }
    // The parcels reached the buyer (every parcel of the purchase order signed for): the case is settled, saying
    // whether it was in time.
    const signed = await dateCasesWithParcels(k);
    for (const c of signed) {
      if (Number(c.parcels) !== Number(c.signedParcels)) continue;
      const at = Number(c.signedAt);
      const by = (JSON.parse(c.data ?? '{}') as { deliveryBy?: number }).deliveryBy ?? Number.POSITIVE_INFINITY;
      const inTime = at <= by;
      await k.transaction().execute((trx) =>
        settleCase(
          trx,
          { id: c.id, shopOrderId: c.shop_order_id! },
          {
            resolution: inTime ? 'delivered_in_time' : 'delivered_late',
            note: `买家已于 ${cnDateTime(at)} 签收${inTime ? '，赶上了要求的时间' : '，晚于要求的时间'}`,
            actor: 'system:deadlines',
          },
          now,
        ),
      );
    }
    return flagged;
  }

  /**
   * Orders with no supplier order yet — waiting for a person (待人工审核), for the buyer's answer (等待买家答复), or
   * stuck — have a ship-by deadline too, and no supplier history can say anything about them: within
   * `unplacedAlertHours` of it, a case and an alert say so (with the negotiation while it is still allowed). The
   * case settles once the order has left those states (its purchase orders are watched from then on).
   */
  private async watchUnplaced(): Promise<number> {
    const k = this.db.kysely;
    const now = this.clock.now();
    const soon = Math.floor(now / 1000) + this.unplacedAlertHours * 3600;
    const waiting = await unplacedDueBy(k, UNPLACED, soon);
    let flagged = 0;
    for (const o of waiting) {
      const deadline = Number(o.deadline) * 1000;
      const hoursLeft = (deadline - now) / HOUR;
      const canNegotiate = hoursLeft > 4;
      const message = `最晚发货 ${cnDateTime(deadline)}（剩 ${Math.max(0, hoursLeft).toFixed(1)} 小时），订单仍${shopOrderStateLabels[o.state as ShopOrderState] ?? o.state}，尚未向供应商下单。请尽快处理${canNegotiate ? '，或与买家发货协商（需在截止前 4 小时提交）' : '；已过协商截止'}`;
      const opened = await k.transaction().execute(async (trx) => {
        // One open case per order at a time; the key carries the time, since an order may come back here later
        // (a supplier that could not fulfil, say) after its first case was settled.
        if (await hasOrderLevelDeadlineCase(trx, o.id)) return undefined;
        const id = await openCase(
          trx,
          {
            kind: 'DEADLINE_AT_RISK',
            shopOrderId: o.id,
            message,
            data: { deadline, hoursLeft, state: o.state },
            dedupKey: `DEADLINE_AT_RISK:order:${o.id}:${now}`,
          },
          now,
        );
        if (id)
          await this.notifier.raise(trx, {
            event: 'deadline_at_risk',
            shopId: o.shop_id,
            subject: `order:${o.id}`,
            data: { orderId: o.wx_order_id, detail: message },
          });
        return id;
      });
      if (opened) flagged++;
    }
    // Placed (or cancelled) since: the order-level case is moot.
    const moot = await orderLevelDeadlineCasesLeaving(k, UNPLACED);
    for (const c of moot) {
      const note = `订单已${shopOrderStateLabels[c.state as ShopOrderState] ?? c.state}`;
      await k
        .transaction()
        .execute((trx) =>
          settleCase(
            trx,
            { id: c.id, shopOrderId: c.shop_order_id! },
            { resolution: c.state === 'Cancelled' ? 'cancelled' : 'placed', note, actor: 'system:deadlines' },
            now,
          ),
        );
    }
    return flagged;
  }

  /**
   * 联系供应商: a person's message to the supplier of a purchase order — by e-mail in its thread for a direct
   * supplier (the reply is recorded with `po reply`); 1688 and WeChat-dropship suppliers are reached on their own
   * platforms (their message APIs are not in the reference), which the answer says.
   */
  async contact(poId: number, body: string, actor: string): Promise<{ sent: boolean; message: string }> {
    const text = body.trim();
    if (!text)
      throw new DaifaError('VALIDATION', '请填写要发给供应商的内容 / message required', {
        details: [{ field: 'body', message: 'required' }],
      });
    const po = await poWithSupplier(this.db.kysely, poId);
    if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${poId} 不存在`);
    if (routeTraits(po.route).reach !== 'email' || !po.email || !this.email) {
      const where = routeTraits(po.route).contactHint(po);
      throw new DaifaError('NOT_APPLICABLE', `${where} / contact this supplier on its own platform`);
    }
    const r = await this.email.sendMessage({
      poId: po.id,
      outOrderId: po.out_order_id,
      supplierName: po.name,
      to: po.email,
      body: text,
      actor,
    });
    const message = r === 'sent' ? '已邮件联系供应商' : '邮件可能已发出，请查看发件箱';
    await this.db.kysely.transaction().execute((trx) =>
      appendEvent(
        trx,
        {
          entity: 'purchase_order',
          id: po.id,
          shopOrderId: po.shop_order_id,
          event: 'po.contacted',
          actor,
          note: `${message}：${text.slice(0, 200)}`,
        },
        this.clock.now(),
      ),
    );
    return { sent: r === 'sent', message };
  }

  /** 催发货: ask the 1688 seller to ship (at most once a day); recorded either way. */
  async expedite(poId: number, actor: string): Promise<{ ok: boolean; message: string }> {
    const po = await poWithSupplier(this.db.kysely, poId);
    if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${poId} 不存在`);
    if (routeTraits(po.route).reach === 'email' && po.email && this.email) {
      // 催发货 by e-mail, once per China day, in the purchase order's thread; the supplier's reply is recorded there.
      const now = this.clock.now();
      const lines = await shipByTimes(this.db.kysely, po.shop_order_id);
      const deadline = Math.min(...lines.map((d) => d ?? Number.POSITIVE_INFINITY));
      const when = Number.isFinite(deadline) ? cnDateTime(deadline * 1000) : '约定时间';
      const r = await this.email.sendExpedite({
        poId: po.id,
        outOrderId: po.out_order_id,
        supplierName: po.name,
        to: po.email,
        deadline: when,
        key: `urge-${cnDate(now)}`,
        actor,
      });
      if (r === 'already') return { ok: false, message: '今天已邮件催过发货，请等待供应商回复 / already urged by e-mail today' };
      const message = r === 'sent' ? '已邮件催发货' : '催发货邮件可能已发出，请查看发件箱';
      await this.db.kysely
        .transaction()
        .execute((trx) =>
          appendEvent(
            trx,
            { entity: 'purchase_order', id: po.id, shopOrderId: po.shop_order_id, event: 'po.expedited', actor, note: message },
            now,
          ),
        );
      return { ok: r === 'sent', message };
    }
    if (routeTraits(po.route).reach !== 'api' || !po.supplier_order_id)
      throw new DaifaError('NOT_APPLICABLE', '只有 1688 采购单可以在线催发货、直供供应商可以邮件催发货；其他请电话联系');
    const r = await (await this.accounts.client()).urge(po.supplier_order_id);
    const message = r.ok ? '已在 1688 催发货' : `1688 催发货未成功：${r.message ?? r.code ?? ''}`;
    await this.db.kysely
      .transaction()
      .execute((trx) =>
        appendEvent(
          trx,
          { entity: 'purchase_order', id: po.id, shopOrderId: po.shop_order_id, event: 'po.expedited', actor, note: message },
          this.clock.now(),
        ),
      );
    return { ok: r.ok, message };
  }

  /**
   * 发货协商: ask the buyer, through WeChat, to accept a later ship time; at most 3 per order, ≥ 4 h before the deadline.
   * The request is recorded (`Sending`) before the call, so that an answer lost on the way (an outage, a crash)
   * cannot leave on WeChat a negotiation Daifa does not know — whose answer, the buyer's consent, would go unrecorded.
   * A request left `Sending` is settled with `result/get`: by the next try, or by the next sync of the order.
   */
  async negotiate(
    shopOrderId: number,
    input: { predictDeliveryTime: number; reason: 1 | 2 | 3 | 4; remark: string; actor: string },
  ): Promise<number> {
    const k = this.db.kysely;
    const order = await orderHead(k, shopOrderId);
    if (!order) throw new DaifaError('NOT_FOUND', `订单 ${shopOrderId} 不存在`);
    const client = await this.clients.forShop(this.shops, order.shop_id);
    await this.settleSending(order, client);
    const past = await negotiationStates(k, shopOrderId);
    if (past.length >= 3) throw new DaifaError('LIMIT_REACHED', '每个订单最多发起 3 次发货协商 / at most 3 negotiations per order');
    if (past.some((p) => p.state === 'Waiting'))
      throw new DaifaError('ALREADY_DONE', '已有待买家答复的发货协商 / one is already waiting for the buyer');
    const lines = await shipByTimes(k, shopOrderId);
    const deadline = Math.min(...lines.map((d) => d ?? Number.POSITIVE_INFINITY));
    const now = this.clock.now();
    if (Number.isFinite(deadline) && deadline * 1000 - now < 4 * HOUR)
      throw new DaifaError('LIMIT_REACHED', '距最晚发货时间不足 4 小时，已不能发起发货协商 / less than 4 h before the deadline');
    if (Number.isFinite(deadline) && input.predictDeliveryTime <= deadline)
      throw new DaifaError('VALIDATION', '新的发货时间应晚于原最晚发货时间 / the new time must be after the deadline');
    const id = await recordNegotiation(
      k,
      { shopOrderId, predictDeliveryS: input.predictDeliveryTime, reason: input.reason, remark: input.remark, requestedBy: input.actor },
      now,
    );
    const sent = {
      id,
      shop_order_id: shopOrderId,
      predict_delivery_s: input.predictDeliveryTime,
      remark: input.remark,
      requested_by: input.actor,
    };
    try {
      await client.deliveryNegotiationSubmit(order.wx_order_id, input.predictDeliveryTime, input.reason, input.remark);
    } catch (err) {
      // Any failure but a refusal leaves the outcome unknown: the request stays Sending until result/get tells.
      const refused = err instanceof DaifaError && (err.code === 'WECHAT_API' || err.code === 'WECHAT_RATE_LIMITED');
      if (!refused)
        throw new DaifaError(
          'UPSTREAM_UNAVAILABLE',
          `发货协商结果未知（${(err as Error).message}）：Daifa 会向微信核对，请稍后刷新或重试 / outcome unknown, Daifa will check with WeChat`,
          { cause: err },
        );
      // Refused by WeChat (or before anything was done): nothing reached the buyer.
      await forgetUnsent(k, id);
      throw err;
    }
    await this.markNegotiationSent(sent);
    return id;
  }

  /** A request left Sending: WeChat lists it → it is waiting for the buyer; WeChat does not → it never got there. */
  private async settleSending(order: { id: number; wx_order_id: string }, client: WeChatShopClient): Promise<void> {
    const k = this.db.kysely;
    const sending = await sendingNegotiation(k, order.id);
    if (!sending) return;
    const listed = (await client.deliveryNegotiationResult(order.wx_order_id)).some(
      (x) => x.predictDeliveryTime === sending.predict_delivery_s,
    );
    if (listed) await this.markNegotiationSent(sending);
    else await forgetUnsent(k, sending.id);
  }

  private async markNegotiationSent(n: {
    id: number;
    shop_order_id: number;
    predict_delivery_s: number;
    remark: string;
    requested_by: string;
  }): Promise<void> {
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      if (!(await moveNegotiation(trx, n.id, 'Sending', 'Waiting'))) return;
      await appendEvent(
        trx,
        {
          entity: 'shop_order',
          id: n.shop_order_id,
          shopOrderId: n.shop_order_id,
          event: 'order.negotiation_sent',
          actor: n.requested_by,
          note: `已向买家发起发货协商：改为 ${cnDateTime(n.predict_delivery_s * 1000)} 前发货（${n.remark}）`,
        },
        now,
      );
    });
  }

  /** After an order sync: if a negotiation waits for the buyer, read its result and record the buyer's answer. */
  async afterSync(p: { shopId: number; orderId: string }): Promise<void> {
    const k = this.db.kysely;
    // Runs after every order sync: one query, and nothing more unless a negotiation waits.
    const waiting = (await negotiationInProgress(k, p.shopId, p.orderId, 'Waiting', 'Sending')).rows[0];
    if (!waiting) return;
    const order = { id: waiting.shopOrderId, wx_order_id: waiting.wx_order_id };
    const results = await (await this.clients.forShop(this.shops, p.shopId)).deliveryNegotiationResult(order.wx_order_id);
    const listed = results.find((x) => x.predictDeliveryTime === waiting.predict_delivery_s);
    // A request whose outcome was unknown and that WeChat lists reached the buyer (an answer may already be there).
    if (waiting.state === 'Sending') {
      if (!listed) return;
      await this.markNegotiationSent({ ...waiting, shop_order_id: waiting.shopOrderId });
    }
    const r = listed && NEGOTIATION[listed.state] ? listed : undefined;
    if (!r) return;
    const state = NEGOTIATION[r.state]!;
    const now = this.clock.now();
    await k.transaction().execute(async (trx) => {
      if (!(await moveNegotiation(trx, waiting.id, 'Waiting', state, { answered_at: now }))) return;
      const note =
        state === 'Agreed'
          ? '买家同意延迟发货（微信发货协商，已记录为买家同意）'
          : state === 'Rejected'
            ? '买家拒绝延迟发货（已记录）：请尽快发货或换供应商'
            : '买家未在时限内答复发货协商（按未同意处理）';
      await appendEvent(
        trx,
        {
          entity: 'shop_order',
          id: order.id,
          shopOrderId: order.id,
          event: `order.negotiation_${state.toLowerCase()}`,
          actor: 'buyer:wechat',
          note,
          data: { negotiationId: waiting.id, predictDeliveryTime: waiting.predict_delivery_s },
        },
        now,
      );
      if (state === 'Agreed') {
        await postponeShipBy(trx, order.id, waiting.predict_delivery_s);
        await settleOpenCases(
          trx,
          { kind: 'DEADLINE_AT_RISK', shopOrderId: order.id },
          { resolution: 'buyer_agreed_later_delivery', note, actor: 'buyer:wechat' },
          now,
        );
      }
    });
    this.log.info({ shopOrderId: order.id, state }, 'delivery negotiation answered');
  }
}
