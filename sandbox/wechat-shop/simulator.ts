import { randomInt } from 'node:crypto';
import { simNow } from '../clock.js';
import type { FastifyInstance } from 'fastify';
import { randomAlnum } from '../../src/lib/random.js';
import { bareInt, parseJsonLossless, idString, stringifyLossless } from '../../src/lib/lossless-json.js';
import {
  BUYER_NOTES_PLAIN,
  BUYER_NOTES_REQUESTS,
  PRODUCTS,
  pick,
  randomDetail,
  randomDivision,
  randomMobile,
  randomName,
} from '../data.js';
import {
  newAftersaleId,
  newOpenid,
  newOrderId,
  rid,
  toWireOrder,
  TERMINAL_AFTERSALE,
  type SimAddress,
  type SimOrder,
  type SimPackage,
} from './model.js';
import { defaultPushKnobs, PushEngine, type PushKnobs, type PushTarget } from './push-engine.js';

/** Couriers the simulator accepts in delivery/send (reference §4.1) — plus OTHER. */
export const SIM_COURIERS: Record<string, string> = {
  ZTO: '中通快递',
  YTO: '圆通速递',
  YUNDA: '韵达快递',
  JTSD: '极兔速递',
  STO: '申通快递',
  SF: '顺丰速运',
  JD: '京东快递',
  EMS: '中国邮政',
  CNSD: '菜鸟速递',
  DBKD: '德邦快递',
  OTHER: '其他',
};

export interface SimShop {
  appId: string;
  secret: string;
  username: string;
  push?: PushTarget;
  token?: { value: string; expiresAt: number };
  previous?: { value: string; expiresAt: number };
  orders: Map<string, SimOrder>;
  decodeUsed: Map<string, number>;
  /** Supplier app ids bound to this shop for native dropship. */
  dropshipSuppliers: Set<string>;
}

export interface WeChatSimState {
  shops: { appId: string; username: string; orders: SimOrder[]; decodeUsed: [string, number][]; dropshipSuppliers: string[] }[];
}

export interface ApiKnobs {
  latencyMs: number;
  /** Probability that a business call answers errcode -1 (system busy). */
  errorRate: number;
  tokenTtlSeconds: number;
  decodeDailyQuota: number;
  deliveryDeadlineHours: number;
  /** Emit channels_ec_order_new and _wait_shipping besides _pay (as WeChat does). */
  allOrderEvents: boolean;
  /** While set, every business call answers this errcode (45011, 45009, 100003 …) — rate-limit and outage drills. */
  forcedErrcode?: number;
  /** sensitiveinfo/decode answers with masked values (a platform fault Daifa must never pass on). */
  decodeMasked?: boolean;
  /** Business calls allowed per shop per minute; beyond it, 45011 (the real numbers are unpublished [U]). */
  callsPerMinute?: number | null;
  /** dropship/get `status` before and after the supplier shipped (the enum is unpublished [U]; 300 was observed). */
  dropshipAssignedStatus: number;
  dropshipShippedStatus: number;
  /** delivery/send is followed by a channels_ec_order_deliver push (a 2024 community report says it is not [U]). */
  deliverPushOnApiSend: boolean;
  /** While set, delivery/send refuses with this errcode (e.g. 606005 invalid waybill) — failed-delivery drills. */
  deliverySendErrcode?: number;
  /**
   * An outage that begins with a call to this path: that call and every business call after it answer -1 (system
   * busy) until the knob is cleared — e.g. a delivery/send whose outcome is unknown, and no order/get to learn it.
   */
  outageFromPath?: string;
  /** The next call to this path is carried out, but its answer is lost (the connection drops): an unknown outcome. */
  loseAnswerOf?: string;
  /**
   * The status of an after-sale the merchant starts for the buyer (genaftersaleorder) before shipment: refunded at
   * once (MERCHANT_REFUND_SUCCESS, refund_reason 3), or waiting for the merchant to accept it like any other
   * (MERCHANT_PROCESSING) — the reference does not say which [U].
   */
  genAftersaleStatus: 'MERCHANT_REFUND_SUCCESS' | 'MERCHANT_PROCESSING';
  /** While set, genaftersaleorder refuses with this errcode (e.g. 10021045 退款失败) — refund-failure drills. */
  genAftersaleErrcode?: number;
  /** After the buyer agrees to a negotiation, order/get's delivery_deadline moves to the agreed time (reported not to: default false). */
  negotiationMovesDeadline: boolean;
  /** deliverynegotiation/result/get accepts ids written as quoted strings ([U]; the official example uses bare numbers: default false). */
  negotiationAcceptsQuotedIds: boolean;
  /** A new negotiation may be submitted while one waits for the buyer ([U]; default false, the stricter reading). */
  negotiationWhileWaiting: boolean;
  /** A submitted negotiation is first reported in state 10 (message sent), not 1 (both occur per the official page; default true). */
  negotiationSentState: boolean;
  /** dropship/get quotes its ids instead of sending numbers (the merchant-side page types them as numbers: default false). */
  dropshipIdsAsStrings: boolean;
  /**
   * delivery/send within this many ms of another update of the same order answers 100003 订单更新过于频繁 (a code
   * developers report; the interval is unpublished [U] — 0 turns the rule off). Default 1000 ms, the stricter reading.
   */
  orderUpdateMinIntervalMs: number;
}

export const defaultApiKnobs = (): ApiKnobs => ({
  latencyMs: 0,
  errorRate: 0,
  tokenTtlSeconds: 7200,
  decodeDailyQuota: 30,
  deliveryDeadlineHours: 48,
  allOrderEvents: false,
  dropshipAssignedStatus: 100,
  dropshipShippedStatus: 300,
  deliverPushOnApiSend: true,
  genAftersaleStatus: 'MERCHANT_REFUND_SUCCESS',
  negotiationMovesDeadline: false,
  negotiationAcceptsQuotedIds: false,
  negotiationWhileWaiting: false,
  negotiationSentState: true,
  dropshipIdsAsStrings: false,
  orderUpdateMinIntervalMs: 1000,
});

/** genaftersaleorder refusals the drills use, with the platform's words. */
const GEN_AFTERSALE_ERRORS: Record<number, string> = {
  10021088: '订单不支持代发起售后',
  10021045: '退款失败',
  10021041: '当前订单状态不支持此操作',
};

/** genaftersaleorder's reason enum (代用户发起售后, 售后原因). */
export const GEN_AFTERSALE_REASONS = [
  '10000014',
  '10000002',
  '10000000',
  '10000001',
  '10000006',
  '10000021',
  '10000007',
  '10000015',
  '10000017',
  '10000008',
];

export interface GenerateOptions {
  count?: number;
  /** Share of orders with buyer notes that carry special requests. */
  requestRate?: number;
  /** Share of orders with more than one line. */
  multiLineRate?: number;
  /** Share of orders that use a privacy (virtual) number. */
  virtualNumberRate?: number;
  /** Share of orders the buyer refunds before shipment, after refundDelayMs. */
  refundRate?: number;
  refundDelayMs?: number;
}

const nowS = (): number => Math.floor(simNow() / 1000);
/** Marks an answer to be written with stringifyLossless (it holds BareInt ids). Not enumerable by JSON. */
const LOSSLESS = Symbol('lossless');
/**
 * Negotiation states (official result page, api_querydeliverynegotiation): 1 waiting for the buyer, 2 agreed,
 * 3 rejected, 4 no answer in time; 10 (message sent) and 11 also occur and are not outcomes.
 */
export const NEGOTIATION_STATE = { waiting: 1, agreed: 2, rejected: 3, timedOut: 4, messageSent: 10 } as const;
const NEGOTIATION_OUTCOMES = new Set<number>([NEGOTIATION_STATE.agreed, NEGOTIATION_STATE.rejected, NEGOTIATION_STATE.timedOut]);
const err = (errcode: number, errmsg: string) => ({ errcode, errmsg: `${errmsg} rid: ${rid()}` });

export class WeChatShopSimulator {
  readonly shops = new Map<string, SimShop>();
  readonly tokens = new Map<string, SimShop>();
  readonly push: PushEngine;
  api: ApiKnobs;
  readonly calls = new Map<string, number>();
  /** An outage begun by `api.outageFromPath` is under way. */
  private outage = false;
  private readonly minuteWindows = new Map<string, { minute: number; n: number }>();
  /** Calls refused with 45011. */
  throttled = 0;
  private refundTimers = new Set<NodeJS.Timeout>();
  /** When each order last changed by a write or a buyer's action (ms), for the 100003 rule (not kept across restarts). */
  private readonly lastUpdateMs = new Map<string, number>();
  private touch(orderId: string): void {
    this.lastUpdateMs.set(orderId, Date.now());
    if (this.lastUpdateMs.size > 50_000) this.lastUpdateMs.delete(this.lastUpdateMs.keys().next().value!);
  }

  constructor(opts: { push?: Partial<PushKnobs>; api?: Partial<ApiKnobs> } = {}) {
    this.push = new PushEngine({ ...defaultPushKnobs(), ...opts.push });
    this.api = { ...defaultApiKnobs(), ...opts.api };
  }

  addShop(s: { appId: string; secret: string; push?: PushTarget }): SimShop {
    const shop: SimShop = {
      appId: s.appId,
      secret: s.secret,
      username: `gh_${randomAlnum(12).toLowerCase()}`,
      push: s.push,
      orders: new Map(),
      decodeUsed: new Map(),
      dropshipSuppliers: new Set(),
    };
    this.shops.set(s.appId, shop);
    return shop;
  }

  /** What a restart must keep (the sandbox of `npm start` saves it to disk): every shop's orders and counters. */
  exportState(): WeChatSimState {
    return {
      shops: [...this.shops.values()].map((s) => ({
        appId: s.appId,
        username: s.username,
        orders: [...s.orders.values()],
        decodeUsed: [...s.decodeUsed],
        dropshipSuppliers: [...s.dropshipSuppliers],
      })),
    };
  }

  /** Puts saved orders back into the shops registered again since the restart; a shop no longer registered is skipped. Returns the orders restored. */
  importState(state: WeChatSimState): number {
    let n = 0;
    for (const saved of state.shops) {
      const shop = this.shops.get(saved.appId);
      if (!shop) continue;
      shop.username = saved.username;
      for (const o of saved.orders) {
        shop.orders.set(o.orderId, o);
        if (o.refundAt !== undefined) this.scheduleRefund(shop, o);
      }
      for (const [day, used] of saved.decodeUsed) shop.decodeUsed.set(day, used);
      for (const id of saved.dropshipSuppliers) shop.dropshipSuppliers.add(id);
      n += saved.orders.length;
    }
    return n;
  }

  allOrders(): SimOrder[] {
    return [...this.shops.values()].flatMap((s) => [...s.orders.values()]);
  }

  stop(): void {
    this.push.stop();
    for (const t of this.refundTimers) clearTimeout(t);
  }

  // ---- order generation ------------------------------------------------------------------------------

  /** Create paid orders from a scenario mix, and push their events. */
  generate(appId: string, o: GenerateOptions = {}): SimOrder[] {
    const shop = this.mustShop(appId);
    const out: SimOrder[] = [];
    for (let i = 0; i < (o.count ?? 1); i++) {
      const order = this.newPaidOrder(shop, o);
      out.push(order);
      if (o.refundRate && Math.random() < o.refundRate) {
        order.refundAt = simNow() + (o.refundDelayMs ?? 30_000);
        this.scheduleRefund(shop, order);
      }
    }
    return out;
  }

  /** The buyer asks for the money back at `refundAt` (after a restart, at that same time, or at once if it passed). */
  private scheduleRefund(shop: SimShop, order: SimOrder): void {
    const t = setTimeout(
      () => {
        this.refundTimers.delete(t);
        order.refundAt = undefined;
        this.refundAll(shop, order.orderId);
      },
      Math.max(1, (order.refundAt ?? 0) - simNow()),
    );
    this.refundTimers.add(t);
  }

  private newPaidOrder(shop: SimShop, o: GenerateOptions): SimOrder {
    const t = nowS();
    const [province, city, county] = randomDivision();
    const orderId = newOrderId();
    const nLines = Math.random() < (o.multiLineRate ?? 0.25) ? 2 + randomInt(2) : 1;
    const products = [...PRODUCTS].sort(() => Math.random() - 0.5).slice(0, nLines);
    const deadline = t + this.api.deliveryDeadlineHours * 3600;
    const order: SimOrder = {
      orderId,
      status: 20,
      createTime: t - randomInt(5, 60),
      updateTime: t,
      payTime: t,
      openid: newOpenid(),
      lines: products.map((p, i) => {
        const sku = pick(p.skus);
        const cnt = 1 + (Math.random() < 0.2 ? randomInt(1, 3) : 0);
        const discount = Math.random() < 0.3 ? 100 * randomInt(1, 5) : 0;
        return {
          productId: p.productId,
          skuId: sku.skuId,
          title: p.title,
          attrs: sku.attrs,
          cnt,
          salePrice: sku.price,
          realPrice: sku.price * cnt - discount,
          deadline,
          onAftersale: 0,
          finishAftersale: 0,
          uniqueId: `${orderId}_${String(i + 1).padStart(3, '0')}`,
          shipped: 0,
        };
      }),
      freight: Math.random() < 0.2 ? 600 : 0,
      address: {
        userName: randomName(),
        tel: randomMobile(),
        province,
        city,
        county,
        detail: randomDetail(),
        postalCode: '000000',
        virtualTel: Math.random() < (o.virtualNumberRate ?? 0.1) ? `${randomMobile()}-${randomInt(1000, 10000)}` : undefined,
      },
      notes: Math.random() < (o.requestRate ?? 0.3) ? pick(BUYER_NOTES_REQUESTS) : pick(BUYER_NOTES_PLAIN),
      merchantNotes: '',
      packages: [],
      deliveryInfoChanges: 0,
      aftersales: [],
    };
    shop.orders.set(orderId, order);
    if (this.api.allOrderEvents) this.emit(shop, order, 'channels_ec_order_new', {});
    this.emit(shop, order, 'channels_ec_order_pay', { pay_time: order.payTime });
    if (this.api.allOrderEvents) this.emit(shop, order, 'channels_ec_order_wait_shipping', {});
    return order;
  }

  /** Buyer refunds every line before shipment: after-sales auto-approved, order → 200, cancel event (type 3). */
  refundAll(shop: SimShop, orderId: string): boolean {
    const order = shop.orders.get(orderId);
    if (!order || (order.status !== 20 && order.status !== 21)) return false;
    const t = nowS();
    for (const l of order.lines) {
      const remaining = l.cnt - l.finishAftersale - l.shipped;
      if (remaining <= 0) continue;
      const as = {
        id: newAftersaleId(),
        orderId,
        productId: l.productId,
        skuId: l.skuId,
        count: remaining,
        amount: l.realPrice,
        status: 'MERCHANT_REFUND_SUCCESS',
        type: 'REFUND' as const,
        createTime: t,
        updateTime: t,
      };
      order.aftersales.push(as);
      l.finishAftersale += remaining;
      this.emit(
        shop,
        order,
        'channels_ec_aftersale_update',
        {},
        { finder_shop_aftersale_status_update: { after_sale_order_id: as.id, status: as.status, order_id: orderId } },
      );
    }
    if (order.lines.every((l) => l.finishAftersale >= l.cnt)) {
      order.status = 200;
      this.emit(shop, order, 'channels_ec_order_cancel', { cancel_type: 3 });
    }
    order.updateTime = t;
    return true;
  }

  /** Start a refund that stays open (MERCHANT_PROCESSING) on one line — shipping it must be refused (108009). */
  openAftersale(shop: SimShop, orderId: string, skuId: string): string | undefined {
    const order = shop.orders.get(orderId);
    const line = order?.lines.find((l) => l.skuId === skuId);
    if (!order || !line) return undefined;
    const t = nowS();
    const as = {
      id: newAftersaleId(),
      orderId,
      productId: line.productId,
      skuId,
      count: line.cnt,
      amount: line.realPrice,
      status: 'MERCHANT_PROCESSING',
      type: 'REFUND' as const,
      createTime: t,
      updateTime: t,
    };
    order.aftersales.push(as);
    line.onAftersale += line.cnt;
    order.updateTime = t;
    this.emit(
      shop,
      order,
      'channels_ec_aftersale_update',
      {},
      { finder_shop_aftersale_status_update: { after_sale_order_id: as.id, status: as.status, order_id: orderId } },
    );
    return as.id;
  }

  /** An open after-sale ends: the buyer cancels it, or the merchant refunds (the line's units leave the order). */
  closeAftersale(appId: string, afterSaleId: string, outcome: 'cancelled' | 'refunded'): boolean {
    const shop = this.mustShop(appId);
    for (const order of shop.orders.values()) {
      const as = order.aftersales.find((x) => x.id === afterSaleId);
      if (!as || TERMINAL_AFTERSALE.has(as.status)) continue;
      const line = order.lines.find((l) => l.skuId === as.skuId)!;
      as.status = outcome === 'cancelled' ? 'USER_CANCELD' : 'MERCHANT_REFUND_SUCCESS';
      as.updateTime = nowS();
      line.onAftersale = Math.max(0, line.onAftersale - as.count);
      if (outcome === 'refunded') line.finishAftersale += as.count;
      if (order.lines.every((l) => l.finishAftersale >= l.cnt)) order.status = 200;
      else if (order.lines.every((l) => l.shipped + l.finishAftersale >= l.cnt) && order.lines.some((l) => l.shipped > 0))
        order.status = 30;
      order.updateTime = nowS();
      this.touch(order.orderId);
      this.emit(
        shop,
        order,
        'channels_ec_aftersale_update',
        {},
        { finder_shop_aftersale_status_update: { after_sale_order_id: as.id, status: as.status, order_id: order.orderId } },
      );
      if (order.status === 200) this.emit(shop, order, 'channels_ec_order_cancel', { cancel_type: 3 });
      return true;
    }
    return false;
  }

  /**
   * 代用户发起售后 (genaftersaleorder), for units not shipped: the same request_id answers the same after-sale; the
   * count may not exceed what is neither shipped nor under an after-sale, nor the amount the line's share of the
   * price. Refunded at once or left for the merchant to accept (knob genAftersaleStatus).
   */
  private genAftersale(shop: SimShop, b: Record<string, any>) {
    const requestId = typeof b.request_id === 'string' ? b.request_id : '';
    const order = shop.orders.get(idString(b.order_id) ?? '');
    if (!requestId || !order) return order ? err(47001, 'request_id missing') : err(100002, '订单不存在');
    // Drills: 10021088 订单不支持代发起售后 (a documented refusal of genaftersaleorder), 10021045 退款失败 …
    if (this.api.genAftersaleErrcode !== undefined)
      return err(this.api.genAftersaleErrcode, GEN_AFTERSALE_ERRORS[this.api.genAftersaleErrcode] ?? '退款失败 (sandbox knob)');
    const again = order.aftersales.find((a) => a.requestId === requestId);
    if (again) return { errcode: 0, errmsg: 'ok', aftersale_id: Number(again.id) };
    const line = order.lines.find((l) => l.productId === idString(b.product_id) && l.skuId === idString(b.sku_id));
    if (!line) return err(40097, 'invalid args, product_id/sku_id');
    if (b.type !== 'REFUND' || !GEN_AFTERSALE_REASONS.includes(String(b.reason))) return err(40097, 'invalid args, type/reason');
    if (order.status !== 20 && order.status !== 21) return err(10021041, '当前订单状态不支持此操作');
    const count = Number(b.count);
    const free = line.cnt - line.shipped - line.finishAftersale - line.onAftersale;
    if (!Number.isInteger(count) || count < 1 || count > free) return err(40097, `invalid args, count（可售后 ${free} 件）`);
    const amount = Number(b.amount);
    if (!Number.isInteger(amount) || amount < 0 || amount > Math.round((line.realPrice * count) / line.cnt))
      return err(40097, 'invalid args, amount 超过可退金额');
    const t = nowS();
    const as = {
      id: newAftersaleId(),
      orderId: order.orderId,
      productId: line.productId,
      skuId: line.skuId,
      count,
      amount,
      status: 'MERCHANT_PROCESSING',
      type: 'REFUND' as const,
      createTime: t,
      updateTime: t,
      refundReason: 3,
      requestId,
      reason: String(b.reason),
      desc: typeof b.desc === 'string' ? b.desc : undefined,
    };
    order.aftersales.push(as);
    line.onAftersale += count;
    order.updateTime = t;
    this.touch(order.orderId);
    this.emit(
      shop,
      order,
      'channels_ec_aftersale_update',
      {},
      { finder_shop_aftersale_status_update: { after_sale_order_id: as.id, status: as.status, order_id: order.orderId } },
    );
    if (this.api.genAftersaleStatus === 'MERCHANT_REFUND_SUCCESS') this.closeAftersale(shop.appId, as.id, 'refunded');
    // The documented answer types aftersale_id as a number (a Go SDK reads a string): sent as a number here.
    return { errcode: 0, errmsg: 'ok', aftersale_id: Number(as.id) };
  }

  /** The buyer answers the open delivery negotiation (or lets it time out): ext_info_update 21 / 22 / 23. */
  answerNegotiation(appId: string, orderId: string, answer: 'agree' | 'reject' | 'timeout'): boolean {
    const shop = this.mustShop(appId);
    const order = shop.orders.get(orderId);
    const n = order?.negotiations?.find((x) => !NEGOTIATION_OUTCOMES.has(x.state));
    if (!order || !n) return false;
    n.state = NEGOTIATION_STATE[answer === 'agree' ? 'agreed' : answer === 'reject' ? 'rejected' : 'timedOut'];
    n.updateTime = nowS();
    this.touch(order.orderId);
    // order/get's delivery_deadline is reported not to change after agreement (developer community question
    // "协商更改发货时间后,delivery_deadline 为什么不会变?"): unchanged by default, moved only by the knob.
    if (answer === 'agree' && this.api.negotiationMovesDeadline) for (const l of order.lines) l.deadline = Math.max(l.deadline, n.predict);
    order.updateTime = nowS();
    this.emit(shop, order, 'channels_ec_order_ext_info_update', { type: answer === 'agree' ? 21 : answer === 'reject' ? 22 : 23 });
    return true;
  }

  /**
   * The buyer changes the receiving address before shipment (ext_info_update 19; 2 when the merchant approved the
   * buyer's request, 16 when the buyer agreed to the merchant's proposal). After shipment the change lapses (20).
   */
  changeAddress(appId: string, orderId: string, address: Partial<SimAddress>, type: 2 | 16 | 19 = 19): boolean {
    const shop = this.mustShop(appId);
    const order = shop.orders.get(orderId);
    if (!order) return false;
    order.updateTime = nowS();
    this.touch(order.orderId);
    if (order.status !== 20) {
      this.emit(shop, order, 'channels_ec_order_ext_info_update', { type: 20 });
      return false;
    }
    order.address = { ...order.address, ...address };
    this.emit(shop, order, 'channels_ec_order_ext_info_update', { type });
    return true;
  }

  /** The bound supplier ships a 代发单 through its own API: the shop order is shipped by the platform. */
  shipDropship(appId: string, dsOrderId: string, parcel: { deliveryId: string; waybillId: string }): boolean {
    const shop = this.mustShop(appId);
    const order = [...shop.orders.values()].find((o) => o.lines.some((l) => l.dropship?.dsOrderId === dsOrderId));
    return order ? this.shipRest(shop, order, (l) => l.dropship?.dsOrderId === dsOrderId, parcel) : false;
  }

  /** The merchant ships the rest of an order by hand in the WeChat Shop back office (not through the API). */
  shipInBackOffice(appId: string, orderId: string, parcel: { deliveryId: string; waybillId: string }): boolean {
    const shop = this.mustShop(appId);
    const order = shop.orders.get(orderId);
    return order ? this.shipRest(shop, order, () => true, parcel) : false;
  }

  private shipRest(
    shop: SimShop,
    order: SimOrder,
    which: (l: SimOrder['lines'][number]) => boolean,
    parcel: { deliveryId: string; waybillId: string },
  ): boolean {
    if (order.status !== 20 && order.status !== 21) return false;
    const lines = order.lines.filter((l) => which(l) && l.cnt - l.shipped - l.finishAftersale > 0);
    if (!lines.length) return false;
    const t = nowS();
    order.packages.push({
      waybill_id: parcel.waybillId,
      delivery_id: parcel.deliveryId,
      delivery_name: SIM_COURIERS[parcel.deliveryId] ?? parcel.deliveryId,
      delivery_time: t,
      deliver_type: 1,
      product_infos: lines.map((l) => ({ product_id: l.productId, sku_id: l.skuId, product_cnt: l.cnt - l.shipped - l.finishAftersale })),
    });
    for (const l of lines) l.shipped = l.cnt - l.finishAftersale;
    const done = order.lines.every((l) => l.shipped + l.finishAftersale >= l.cnt);
    order.status = done ? 30 : 21;
    if (done) order.shipDoneTime = t;
    order.updateTime = t;
    this.touch(order.orderId);
    this.emit(shop, order, 'channels_ec_order_deliver', { finish_delivery: done ? 1 : 0 });
    return true;
  }

  /** The buyer confirms receipt (status 100); settlement follows when `settle` is set (commission becomes final). */
  confirmReceipt(appId: string, orderId: string, opts: { settle?: boolean } = {}): boolean {
    const shop = this.mustShop(appId);
    const order = shop.orders.get(orderId);
    if (!order || order.status !== 30) return false;
    const t = nowS();
    order.status = 100;
    order.updateTime = t;
    this.emit(shop, order, 'channels_ec_order_confirm', { confirm_type: 1 });
    if (opts.settle) {
      order.settleTime = t;
      this.emit(shop, order, 'channels_ec_order_settle', { settle_time: t });
    }
    return true;
  }

  private emit(shop: SimShop, order: SimOrder, event: string, info: Record<string, unknown>, body?: Record<string, unknown>): void {
    if (!shop.push) return;
    const message = {
      ToUserName: shop.username,
      FromUserName: order.openid,
      CreateTime: nowS(),
      MsgType: 'event',
      Event: event,
      ...(body ?? { order_info: { order_id: order.orderId, ...info } }),
    };
    this.push.push(shop.push, message);
  }

  private mustShop(appId: string): SimShop {
    const s = this.shops.get(appId);
    if (!s) throw new Error(`sandbox shop ${appId} not registered`);
    return s;
  }

  // ---- HTTP ------------------------------------------------------------------------------------------

  register(app: FastifyInstance): void {
    // WeChat sends bodies as JSON; parse them losslessly like the real platform would keep ids exact.
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      (_req as unknown as { rawBody?: string }).rawBody = body as string;
      try {
        done(null, body ? parseJsonLossless(body as string) : {});
      } catch {
        done(null, { __malformed: true });
      }
    });

    app.post('/cgi-bin/stable_token', async (req) => this.stableToken((req.body ?? {}) as Record<string, unknown>));
    app.get('/cgi-bin/token', async (req) => {
      const q = req.query as Record<string, string>;
      return this.stableToken({ grant_type: q.grant_type, appid: q.appid, secret: q.secret, force_refresh: true });
    });

    const business = (path: string, handler: (shop: SimShop, body: Record<string, any>, raw: string) => unknown) => {
      app.post(path, async (req, reply) => {
        this.calls.set(path, (this.calls.get(path) ?? 0) + 1);
        if (this.api.latencyMs > 0) await new Promise((r) => setTimeout(r, this.api.latencyMs));
        const token = (req.query as Record<string, string>).access_token;
        if (!token) return err(41001, 'access_token missing');
        const shop = this.tokens.get(token);
        if (!shop) return err(40001, 'invalid credential, access_token is invalid or not latest');
        const t = simNow();
        const valid =
          (shop.token?.value === token && shop.token.expiresAt > t) || (shop.previous?.value === token && shop.previous.expiresAt > t);
        if (!valid) return err(42001, 'access_token expired');
        if (this.api.forcedErrcode !== undefined) return err(this.api.forcedErrcode, 'forced by sandbox knob');
        if (this.api.outageFromPath === undefined) this.outage = false;
        else if ((this.outage ||= path === this.api.outageFromPath)) return err(-1, 'system error (sandbox outage)');
        if (this.api.callsPerMinute) {
          const minute = Math.floor(t / 60_000);
          const w = this.minuteWindows.get(shop.appId);
          const n = w && w.minute === minute ? w.n + 1 : 1;
          this.minuteWindows.set(shop.appId, { minute, n });
          if (n > this.api.callsPerMinute) {
            this.throttled++;
            return err(45011, 'api minute-quota reach limit  mustslower  retry next minute');
          }
        }
        if (this.api.errorRate > 0 && Math.random() < this.api.errorRate) return err(-1, 'system error');
        const body = (req.body ?? {}) as Record<string, any>;
        if (body.__malformed) return err(47001, 'data format error');
        const answer = handler(shop, body, (req as unknown as { rawBody?: string }).rawBody ?? '');
        if (this.api.loseAnswerOf === path) {
          this.api.loseAnswerOf = undefined;
          reply.raw.destroy();
          return reply;
        }
        // An answer with ids as bare 64-bit numbers is written losslessly (Fastify's serialiser would quote or round them).
        if (answer && typeof answer === 'object' && (answer as { [LOSSLESS]?: boolean })[LOSSLESS])
          return reply.type('application/json').send(stringifyLossless(answer));
        return answer;
      });
    };

    business('/channels/ec/order/list/get', (shop, b) => this.listOrders(shop, b));
    business('/channels/ec/order/get', (shop, b) => {
      const order = shop.orders.get(idString(b.order_id) ?? '');
      if (!order) return err(100002, '订单不存在');
      return { errcode: 0, errmsg: 'ok', order: toWireOrder(order, { masked: true }) };
    });
    business('/channels/ec/order/sensitiveinfo/decode', (shop, b) => {
      const order = shop.orders.get(idString(b.order_id) ?? '');
      if (!order) return err(100002, '订单不存在');
      // The day the quota counts: when it starts is not published [U]; China's midnight is assumed (Daifa counts its
      // own quota by China day, so the two agree on when a new day begins).
      const day = new Date(simNow() + 8 * 3_600_000).toISOString().slice(0, 10);
      const used = shop.decodeUsed.get(day) ?? 0;
      // The exhaustion code is not documented [U]; 45009 (daily quota) is the closest documented meaning.
      if (used >= this.api.decodeDailyQuota) return err(45009, 'reach max api daily quota limit');
      shop.decodeUsed.set(day, used + 1);
      const a = order.address;
      const [number, extension] = (a.virtualTel ?? '').split('-');
      return {
        errcode: 0,
        errmsg: 'ok',
        address_info: {
          user_name: this.api.decodeMasked ? `${[...a.userName][0]}**` : a.userName,
          postal_code: a.postalCode,
          province_name: a.province,
          city_name: a.city,
          county_name: a.county,
          detail_info: this.api.decodeMasked ? '****' : a.detail,
          national_code: '',
          tel_number: a.virtualTel ? `${a.tel.slice(0, 3)}****${a.tel.slice(-4)}` : a.tel,
          house_number: '',
          virtual_order_tel_number: '',
        },
        ...(a.virtualTel ? { virtual_number_info: { virtual_number: number, extension, expiration: order.createTime + 30 * 86400 } } : {}),
      };
    });
    business('/channels/ec/order/deliverycompanylist/new/get', () => ({
      errcode: 0,
      errmsg: 'ok',
      company_list: Object.entries(SIM_COURIERS)
        .filter(([id]) => id !== 'OTHER')
        .map(([delivery_id, delivery_name]) => ({ delivery_id, delivery_name })),
    }));
    business('/channels/ec/aftersale/getaftersaleorder', (shop, b) => {
      const id = idString(b.after_sale_order_id);
      const as = [...shop.orders.values()].flatMap((o) => o.aftersales).find((x) => x.id === id);
      if (!as) return err(10020000, '售后单号不存在');
      return {
        errcode: 0,
        errmsg: 'ok',
        after_sale_order: {
          after_sale_order_id: as.id,
          order_id: as.orderId,
          status: as.status,
          type: as.type,
          product_info: { product_id: as.productId, sku_id: as.skuId, count: as.count },
          refund_info: { amount: as.amount, refund_reason: as.refundReason ?? 4 },
          details: { desc: as.desc ?? '' },
          reason: as.reason ?? '',
          create_time: as.createTime,
          update_time: as.updateTime,
        },
      };
    });
    business('/channels/ec/order/delivery/send', (shop, b) => this.deliverySend(shop, b));
    business('/channels/ec/order/deliveryinfo/update', (shop, b) => this.deliveryInfoUpdate(shop, b));
    business('/channels/ec/order/deliverynegotiation/submit', (shop, b) => this.negotiationSubmit(shop, b));
    business('/channels/ec/order/deliverynegotiation/result/get', (shop, b, raw) => this.negotiationResult(shop, b, raw));
    business('/channels/ec/order/dropship/assign', (shop, b) => {
      const order = shop.orders.get(idString(b.order_id) ?? '');
      if (!order) return err(100002, '订单不存在');
      const supplier = String(b.supplier_appid ?? '');
      if (!shop.dropshipSuppliers.has(supplier)) return err(610000, '未绑定代发关系');
      if (order.status !== 20) return err(610001, '订单非待发货状态');
      const list = Array.isArray(b.dropship_product_list) ? b.dropship_product_list : [];
      for (const p of list) {
        const line = order.lines.find((l) => l.productId === idString(p.spu_id) && l.skuId === idString(p.sku_id));
        if (!line || Number(p.product_cnt) !== line.cnt) return err(40097, 'invalid args, dropship_product_list');
        if (line.dropship) return err(610003, '商品已分配代发');
      }
      // One 代发单 per assignment, holding the lines it was given.
      const dsOrderId = `44${randomInt(10 ** 8, 10 ** 9)}${randomInt(10 ** 8, 10 ** 9)}`;
      for (const p of list) {
        const line = order.lines.find((l) => l.productId === idString(p.spu_id) && l.skuId === idString(p.sku_id))!;
        line.dropship = { dsOrderId, supplierAppId: supplier };
      }
      order.updateTime = nowS();
      this.touch(order.orderId);
      this.emit(shop, order, 'channels_ec_order_ext_info_update', { type: 14 });
      return { errcode: 0, errmsg: 'ok' };
    });
    business('/channels/ec/aftersale/genaftersaleorder', (shop, b) => this.genAftersale(shop, b));
    business('/channels/ec/aftersale/acceptapply', (shop, b) => {
      const id = String(b.after_sale_order_id ?? '');
      const as = [...shop.orders.values()].flatMap((o) => o.aftersales).find((x) => x.id === id);
      if (!as) return err(10020000, '售后单号不存在');
      if (as.status !== 'MERCHANT_PROCESSING') return err(10020001, '售后单状态不合法');
      this.closeAftersale(shop.appId, id, 'refunded');
      return { errcode: 0, errmsg: 'ok' };
    });
    business('/channels/ec/order/dropship/get', (shop, b) => {
      const id = idString(b.ds_order_id) ?? '';
      const order = [...shop.orders.values()].find((o) => o.lines.some((l) => l.dropship?.dsOrderId === id));
      if (!order) return err(100002, '代发单不存在');
      const lines = order.lines.filter((l) => l.dropship?.dsOrderId === id);
      const skus = new Set(lines.map((l) => l.skuId));
      const shipped = lines.every((l) => l.shipped + l.finishAftersale >= l.cnt);
      // The merchant-side dropship/get types ds_order_id, order_id, product_id and sku_id as numbers (official
      // page https://developers.weixin.qq.com/doc/store/shop/API/supplier; SKIT's model types them long): sent as
      // bare 64-bit numbers unless `dropshipIdsAsStrings` (the supplier-side sample quotes them).
      const n = (x: string) => (this.api.dropshipIdsAsStrings ? x : bareInt(x));
      return {
        [LOSSLESS]: true,
        errcode: 0,
        errmsg: 'ok',
        dropship_order: {
          ds_order_id: n(id),
          order_id: n(order.orderId),
          // The status enum is not published ([U] in the reference): configurable here, only "shipped or not" matters to Daifa.
          status: shipped ? this.api.dropshipShippedStatus : this.api.dropshipAssignedStatus,
          create_time: order.payTime,
          update_time: order.updateTime,
          supplier_appid: lines[0]!.dropship!.supplierAppId,
          supplier_name: '沙箱代发供货商',
          dropship_order_detail: {
            product_infos: lines.map((l) => ({
              product_id: n(l.productId),
              sku_id: n(l.skuId),
              sku_cnt: l.cnt,
              title: l.title,
              delivery_deadline: l.deadline,
            })),
            delivery_info: { delivery_product_info: order.packages.filter((p) => p.product_infos.some((x) => skus.has(x.sku_id))) },
          },
        },
      };
    });

    this.registerControl(app);
  }

  private stableToken(b: Record<string, unknown>) {
    if (b.grant_type !== 'client_credential') return err(40002, 'invalid grant_type');
    const shop = this.shops.get(String(b.appid ?? ''));
    if (!shop) return err(40013, 'invalid appid');
    if (shop.secret !== b.secret) return err(40001, 'invalid credential, access_token is invalid or not latest');
    const t = simNow();
    const ttl = this.api.tokenTtlSeconds * 1000;
    const overlap = Math.min(300_000, ttl / 2);
    if (b.force_refresh === true || !shop.token || shop.token.expiresAt - t <= overlap) {
      // Rotation: the old token keeps working for its remaining (≤ 5 min) life.
      if (shop.token && shop.token.expiresAt > t && b.force_refresh !== true) shop.previous = shop.token;
      shop.token = { value: randomAlnum(136), expiresAt: t + ttl };
      this.tokens.set(shop.token.value, shop);
    }
    return { access_token: shop.token.value, expires_in: Math.floor((shop.token.expiresAt - t) / 1000) };
  }

  private listOrders(shop: SimShop, b: Record<string, any>) {
    const range = b.update_time_range ?? b.create_time_range;
    const field = b.update_time_range ? 'updateTime' : 'createTime';
    if (!range || typeof range.start_time !== 'number' || typeof range.end_time !== 'number')
      return err(40097, 'invalid args, time range required');
    if (range.end_time - range.start_time > 7 * 86400) return err(40097, 'invalid args, time range exceeds 7 days');
    const pageSize = Math.min(Number(b.page_size ?? 10), 100);
    const all = [...shop.orders.values()]
      .filter((o) => o[field] >= range.start_time && o[field] <= range.end_time && (b.status === undefined || o.status === b.status))
      .sort((x, y) => x[field] - y[field] || (x.orderId < y.orderId ? -1 : 1));
    const offset = b.next_key ? Number(Buffer.from(String(b.next_key), 'base64url').toString()) || 0 : 0;
    const page = all.slice(offset, offset + pageSize);
    const hasMore = offset + pageSize < all.length;
    return {
      errcode: 0,
      errmsg: 'ok',
      order_id_list: page.map((o) => o.orderId),
      next_key: Buffer.from(String(offset + page.length)).toString('base64url'),
      has_more: hasMore,
    };
  }

  /**
   * 发货协商 submit. Rules from the official page
   * (https://developers.weixin.qq.com/doc/store/shop/API/channels-shop-order/api_submitdeliverynegotiation): the order
   * is 待发货 (status 20 only — 21 is partly shipped, not 待发货), at most 3 negotiations per order, submitted at
   * least 4 h before the latest ship time, reason 1–4. The page lists one specific error code, 40097 (invalid
   * parameter), so every refusal answers 40097 with the rule in errmsg. Unverified [U], stricter reading: a second
   * request while one waits for the buyer is refused (knob `negotiationWhileWaiting`).
   */
  private negotiationSubmit(shop: SimShop, b: Record<string, any>) {
    const order = shop.orders.get(idString(b.order_id) ?? '');
    if (!order) return err(100002, '订单不存在');
    if (order.status !== 20) return err(40097, 'invalid args, 订单非待发货状态，不能发起发货协商');
    const list = (order.negotiations ??= []);
    if (list.length >= 3) return err(40097, 'invalid args, 每个订单最多发起 3 次发货协商');
    if (!this.api.negotiationWhileWaiting && list.some((n) => !NEGOTIATION_OUTCOMES.has(n.state)))
      return err(40097, 'invalid args, 已有待买家处理的发货协商');
    const deadline = Math.min(...order.lines.map((l) => l.deadline));
    if (deadline - nowS() < 4 * 3600) return err(40097, 'invalid args, 需在最晚发货时间 4 小时前发起');
    const predict = Number(b.predict_delivery_time);
    if (!(predict > deadline) || ![1, 2, 3, 4].includes(Number(b.reason))) return err(40097, 'invalid args, predict_delivery_time/reason');
    // State 10 (消息已发送) is reported by the platform besides 1–4 and is not an outcome (official result page).
    list.push({
      original: deadline,
      predict,
      reason: Number(b.reason),
      remark: String(b.remark ?? ''),
      state: this.api.negotiationSentState ? NEGOTIATION_STATE.messageSent : NEGOTIATION_STATE.waiting,
      createTime: nowS(),
      updateTime: nowS(),
    });
    return { errcode: 0, errmsg: 'ok' };
  }

  /**
   * 发货协商结果: `order_id_list` is required, a number array; the official example writes the 19-digit ids as
   * bare JSON numbers (https://developers.weixin.qq.com/doc/store/shop/API/channels-shop-order/api_querydeliverynegotiation).
   * Whether a quoted id is accepted is unverified [U]: refused unless `negotiationAcceptsQuotedIds`. The answer lists
   * the negotiations of every order asked for, each with its order_id (a string).
   */
  private negotiationResult(shop: SimShop, b: Record<string, any>, raw: string) {
    const ids = b.order_id_list;
    if (!Array.isArray(ids) || ids.length === 0) return err(40097, 'invalid args, order_id_list 必填');
    if (!this.api.negotiationAcceptsQuotedIds && !/"order_id_list"\s*:\s*\[\s*\d+(\s*,\s*\d+)*\s*\]/.test(raw))
      return err(40097, 'invalid args, order_id_list 应为数字数组');
    const out: Record<string, unknown>[] = [];
    for (const id of ids) {
      const order = shop.orders.get(idString(id) ?? '');
      if (!order) continue;
      for (const n of order.negotiations ?? []) {
        out.push({
          order_id: order.orderId,
          original_delivery_time: n.original,
          predict_delivery_time: n.predict,
          reason: n.reason,
          state: n.state,
          remark: n.remark,
          deadline: n.original,
          create_time: n.createTime,
          update_time: n.updateTime,
        });
      }
    }
    return { errcode: 0, errmsg: 'ok', negotiation_list: out };
  }

  /** delivery/send with its validations in the documented order (reference §11 step 3). */
  private deliverySend(shop: SimShop, b: Record<string, any>) {
    const order = shop.orders.get(idString(b.order_id) ?? '');
    if (!order) return err(100002, '订单不存在');
    if (this.api.deliverySendErrcode) return err(this.api.deliverySendErrcode, '发货失败（模拟）');
    if (order.status === 30 || order.status === 100) return err(109001, '订单已全部发货，不能重复发货');
    if (order.status !== 20 && order.status !== 21) return err(101100, '当前订单状态不允许发货');
    const since = Date.now() - (this.lastUpdateMs.get(order.orderId) ?? 0);
    if (this.api.orderUpdateMinIntervalMs > 0 && since < this.api.orderUpdateMinIntervalMs)
      return err(100003, '订单更新过于频繁，请稍后再试');
    if (order.aftersales.some((s) => !TERMINAL_AFTERSALE.has(s.status))) return err(108009, '订单有未完成的售后，不允许发货');
    const list = Array.isArray(b.delivery_list) ? b.delivery_list : [];
    if (list.length === 0) return err(109002, '请求中没有商品');
    const skuPackages = new Map<string, number>();
    const counts = new Map<string, number>();
    for (const pkg of list) {
      const infos = Array.isArray(pkg.product_infos) ? pkg.product_infos : [];
      if (infos.length === 0) return err(109002, '请求中没有商品');
      for (const p of infos) {
        const line = order.lines.find((l) => l.productId === idString(p.product_id) && l.skuId === idString(p.sku_id));
        if (!line) return err(606031, 'product_id/sku_id 不在订单中');
        const key = line.skuId;
        counts.set(key, (counts.get(key) ?? 0) + Number(p.product_cnt ?? 0));
        skuPackages.set(key, (skuPackages.get(key) ?? 0) + 1);
      }
    }
    for (const [sku, n] of counts) {
      const line = order.lines.find((l) => l.skuId === sku)!;
      if (n <= 0 || n > line.cnt - line.shipped - line.finishAftersale) return err(109000, '发货失败：商品数量不正确或已发货/已退款');
    }
    for (const [sku, n] of skuPackages) {
      const line = order.lines.find((l) => l.skuId === sku)!;
      if (n > 1 || (line.shipped > 0 && counts.get(sku)! < line.cnt - line.finishAftersale))
        return err(606030, '同一个SKU的商品需要在同一个包裹中发出');
    }
    for (const pkg of list) {
      if (!SIM_COURIERS[String(pkg.delivery_id)]) return err(606004, '非法的 delivery_id');
      if (!/^[A-Za-z0-9-]{6,32}$/.test(String(pkg.waybill_id ?? ''))) return err(606005, '非法的 waybill_id');
      if (pkg.deliver_type !== undefined && pkg.deliver_type !== 1) return err(606008, 'deliver_type 与订单发货方式不匹配');
    }
    const t = nowS();
    for (const pkg of list) {
      const infos = pkg.product_infos.map((p: any) => ({
        product_id: String(idString(p.product_id)),
        sku_id: String(idString(p.sku_id)),
        product_cnt: Number(p.product_cnt),
      }));
      const sp: SimPackage = {
        waybill_id: String(pkg.waybill_id),
        delivery_id: String(pkg.delivery_id),
        delivery_name: SIM_COURIERS[String(pkg.delivery_id)]!,
        delivery_time: t,
        deliver_type: 1,
        product_infos: infos,
      };
      order.packages.push(sp);
      for (const p of infos) order.lines.find((l) => l.skuId === p.sku_id)!.shipped += p.product_cnt;
    }
    const done = order.lines.every((l) => l.shipped + l.finishAftersale >= l.cnt);
    order.status = done ? 30 : 21;
    if (done) order.shipDoneTime = t;
    order.updateTime = t;
    this.touch(order.orderId);
    if (this.api.deliverPushOnApiSend) this.emit(shop, order, 'channels_ec_order_deliver', { finish_delivery: done ? 1 : 0 });
    return { errcode: 0, errmsg: 'ok' };
  }

  /** deliveryinfo/update, per-package form (change_infos): at most three changes while the order is not finished. */
  private deliveryInfoUpdate(shop: SimShop, b: Record<string, any>) {
    const order = shop.orders.get(idString(b.order_id) ?? '');
    if (!order) return err(100002, '订单不存在');
    if (order.status !== 21 && order.status !== 30) return err(101100, '当前订单状态不允许修改物流信息');
    const changes = Array.isArray(b.change_infos) ? b.change_infos : [];
    if (!changes.length) return err(40097, 'invalid args, change_infos');
    if (order.deliveryInfoChanges + changes.length > 3) return err(606041, '物流信息修改次数已达上限');
    for (const c of changes) {
      const pkg = order.packages.find((p) => p.waybill_id === String(c.old?.waybill_id) && p.delivery_id === String(c.old?.delivery_id));
      if (!pkg) return err(606042, '商品信息错误：找不到原包裹');
      if (!SIM_COURIERS[String(c.new?.delivery_id)]) return err(606004, '非法的 delivery_id');
      if (!/^[A-Za-z0-9-]{6,32}$/.test(String(c.new?.waybill_id ?? ''))) return err(606005, '非法的 waybill_id');
    }
    for (const c of changes) {
      const pkg = order.packages.find((p) => p.waybill_id === String(c.old.waybill_id))!;
      pkg.waybill_id = String(c.new.waybill_id);
      pkg.delivery_id = String(c.new.delivery_id);
      pkg.delivery_name = SIM_COURIERS[pkg.delivery_id]!;
      order.deliveryInfoChanges++;
    }
    order.updateTime = nowS();
    this.touch(order.orderId);
    return { errcode: 0, errmsg: 'ok' };
  }

  // ---- sandbox control API (rehearsal, tests, the dashboard's 沙箱 page) ---------------------------------

  private registerControl(app: FastifyInstance): void {
    app.post('/sandbox/wechat/shops', async (req) => {
      const b = req.body as Record<string, string>;
      const shop = this.addShop({
        appId: b.appId!,
        secret: b.secret!,
        push: b.pushUrl ? { appId: b.appId!, url: b.pushUrl, token: b.pushToken!, encodingAesKey: b.encodingAesKey! } : undefined,
      });
      return { appId: shop.appId, username: shop.username };
    });
    app.post('/sandbox/wechat/orders', async (req) => {
      const b = (req.body ?? {}) as GenerateOptions & { appId?: string };
      const appId = b.appId ?? [...this.shops.keys()][0];
      if (!appId) return { error: 'no sandbox shop' };
      const orders = this.generate(appId, { ...b, count: Math.min(b.count ?? 1, 10_000) });
      return { orderIds: orders.map((o) => o.orderId) };
    });
    app.post('/sandbox/wechat/orders/:orderId/refund', async (req) => {
      const { orderId } = req.params as { orderId: string };
      const shop = [...this.shops.values()].find((s) => s.orders.has(orderId));
      return { ok: shop ? this.refundAll(shop, orderId) : false };
    });
    app.get('/sandbox/wechat/knobs', async () => ({ push: this.push.knobs, api: this.api }));
    app.patch('/sandbox/wechat/knobs', async (req) => {
      const b = (req.body ?? {}) as { push?: Partial<PushKnobs>; api?: Partial<ApiKnobs> };
      Object.assign(this.push.knobs, b.push ?? {});
      Object.assign(this.api, b.api ?? {});
      return { push: this.push.knobs, api: this.api };
    });
    app.get('/sandbox/wechat/stats', async () => ({
      shops: this.shops.size,
      orders: this.allOrders().length,
      ordersByStatus: this.allOrders().reduce<Record<string, number>>((m, o) => ((m[o.status] = (m[o.status] ?? 0) + 1), m), {}),
      push: { ...this.push.stats, outstanding: this.push.outstanding },
      calls: Object.fromEntries(this.calls),
      throttled: this.throttled,
    }));
    app.get('/sandbox/wechat/acks', async () => ({ acks: this.push.acks }));
  }
}
