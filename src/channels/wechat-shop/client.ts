import { AdaptiveRateLimiter, type RateShare } from '../../lib/rate-limiter.js';
import type { Logger } from 'pino';
import { DaifaError } from '../../lib/errors.js';
import { bareInt, idString, parseJsonLossless, stringifyLossless } from '../../lib/lossless-json.js';
import { postText, type PostResult } from '../../lib/http-post.js';
import { sleep, type Clock } from '../../lib/clock.js';

/** errcodes that mean "this access token is no longer good": refresh once and retry once (reference §2.3). */
const TOKEN_ERRORS = new Set([40001, 40014, 42001]);

export interface WeChatCredentials {
  shopId: number;
  appId: string;
  appSecret: string;
}

export interface WeChatClientOptions {
  baseUrl: string;
  clock: Clock;
  log: Logger;
  timeoutMs?: number;
  /** Least time between two writes to the same order (100003 订单更新过于频繁 otherwise); default 1000 ms. */
  orderWriteIntervalMs?: number;
  /** Business API calls per minute per shop (paced; slows down when WeChat answers 45011). */
  callsPerMinute?: number;
  /** This process's part of that rate (several Daifa processes share one shop's limit). */
  share?: RateShare;
  /** Sees every parsed answer (path, body) — for `daifa doctor --deep` and the contract tests; never logged. */
  onAnswer?: (path: string, body: ApiResponse) => void;
}

export interface ApiResponse {
  errcode?: number;
  errmsg?: string;
  [key: string]: unknown;
}

/** Counts per endpoint, for `doctor`, the benchmarks and the "no call beyond the minimum" check. */
export const callCounter = new Map<string, number>();

/**
 * WeChat Shop server API client for one shop. Branches on errcode only (errmsg is "仅作参考"), treats every
 * field as optional, and parses bodies losslessly so 19-digit ids stay exact.
 */
export class WeChatShopClient {
  private token?: { value: string; refreshAt: number };
  private tokenInflight?: Promise<string>;
  private deliveryCompanies?: { at: number; list: { deliveryId: string; name: string }[] };

  readonly limiter?: AdaptiveRateLimiter;
  /** When this process last wrote to each order (ms): writes to one order are spaced (see orderWriteIntervalMs). */
  private readonly lastOrderWrite = new Map<string, number>();

  constructor(
    readonly creds: WeChatCredentials,
    private readonly opts: WeChatClientOptions,
  ) {
    if (opts.callsPerMinute) this.limiter = new AdaptiveRateLimiter(opts.callsPerMinute / 60, undefined, opts.share);
  }

  /** Access token via POST /cgi-bin/stable_token, cached, refreshed five minutes before it expires. */
  async accessToken(): Promise<string> {
    const now = this.opts.clock.now();
    if (this.token && now < this.token.refreshAt) return this.token.value;
    this.tokenInflight ??= this.fetchToken().finally(() => (this.tokenInflight = undefined));
    return this.tokenInflight;
  }

  private async fetchToken(): Promise<string> {
    const body = await this.http('/cgi-bin/stable_token', undefined, {
      grant_type: 'client_credential',
      appid: this.creds.appId,
      secret: this.creds.appSecret,
      force_refresh: false,
    });
    const token = typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw this.apiError('/cgi-bin/stable_token', body);
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 7200;
    // Renew ahead of expiry: a stable token is good for ≥ 300 s after it is returned.
    const margin = Math.min(300, Math.floor(expiresIn / 2));
    this.token = { value: token, refreshAt: this.opts.clock.now() + (expiresIn - margin) * 1000 };
    return token;
  }

  /** POST a business API with the token. Token errors: refresh once, retry once. -1: brief backoff. */
  async call(path: string, payload: Record<string, unknown> = {}): Promise<ApiResponse> {
    let tokenRetried = false;
    for (let busy = 0; ;) {
      const token = await this.accessToken();
      await this.limiter?.take();
      const body = await this.http(path, token, payload);
      const code = typeof body.errcode === 'number' ? body.errcode : 0;
      if (code === 0) {
        this.limiter?.onSuccess();
        return body;
      }
      // Minute quota: slow down and wait for the next minute before anyone calls again.
      if (code === 45011) this.limiter?.onThrottled(Date.now() + 60_000 - (Date.now() % 60_000) + 200);
      if (TOKEN_ERRORS.has(code) && !tokenRetried) {
        tokenRetried = true;
        if (this.token?.value === token) this.token = undefined;
        continue;
      }
      if (code === -1 && busy < 3) {
        await sleep(200 * 2 ** busy++);
        continue;
      }
      throw this.apiError(path, body);
    }
  }

  /** Space writes to one order: a second update right after the first is refused with 100003. */
  private async orderWrite<T>(orderId: string, write: () => Promise<T>): Promise<T> {
    const gap = this.opts.orderWriteIntervalMs ?? 1_000;
    const last = this.lastOrderWrite.get(orderId);
    const wait = last === undefined ? 0 : last + gap - Date.now();
    if (wait > 0) await sleep(wait);
    const wrote = () => {
      // From when the write was answered (WeChat counts from its own update).
      this.lastOrderWrite.delete(orderId);
      this.lastOrderWrite.set(orderId, Date.now());
      if (this.lastOrderWrite.size > 10_000) this.lastOrderWrite.delete(this.lastOrderWrite.keys().next().value!);
    };
    try {
      const r = await write();
      wrote();
      return r;
    } catch (err) {
      // A refusal changed nothing; any other failure may have (an answer lost on the way).
      const refused = err instanceof DaifaError && (err.code === 'WECHAT_API' || err.code === 'WECHAT_RATE_LIMITED');
      if (!refused) wrote();
      throw err;
    }
  }

  private apiError(path: string, body: ApiResponse): DaifaError {
    const code = typeof body.errcode === 'number' ? body.errcode : -999;
    const details = { path, errcode: code, errmsg: String(body.errmsg ?? '') };
    if (code === 45011) {
      // Minute quota: retry at the start of the next minute.
      const now = this.opts.clock.now();
      this.opts.log.warn({ shopId: this.creds.shopId, path, errcode: code }, 'WeChat minute quota reached');
      return new DaifaError('WECHAT_RATE_LIMITED', `微信接口每分钟调用次数已达上限 (45011) ${path}`, {
        details,
        retryAfterMs: 60_000 - (now % 60_000) + 500,
      });
    }
    if (code === 45009) {
      this.opts.log.error({ shopId: this.creds.shopId, path, errcode: code }, 'WeChat daily quota reached');
      return new DaifaError('WECHAT_RATE_LIMITED', `微信接口今日调用次数已达上限 (45009) ${path}`, { details, retryAfterMs: 30 * 60_000 });
    }
    if (code === 100003) {
      // 订单更新过于频繁: refused before anything was done (developers report it for a delivery/send right after another
      // update of the same order) — wait and send again; never a duplicate, since nothing was shipped.
      return new DaifaError('WECHAT_RATE_LIMITED', `微信：订单更新过于频繁 (100003) ${path}`, { details, retryAfterMs: 1_500 });
    }
    if (code === -1 || code === 10021044) {
      return new DaifaError('UPSTREAM_UNAVAILABLE', `微信系统繁忙 (${code}) ${path}`, { details, retryAfterMs: 2_000 });
    }
    return new DaifaError('WECHAT_API', `微信接口错误 ${code} ${path}`, { details });
  }

  private async http(path: string, token: string | undefined, payload: unknown): Promise<ApiResponse> {
    const url = `${this.opts.baseUrl}${path}${token ? `?access_token=${encodeURIComponent(token)}` : ''}`;
    callCounter.set(path, (callCounter.get(path) ?? 0) + 1);
    let res: PostResult;
    try {
      res = await postText(url, {
        headers: { 'content-type': 'application/json' },
        body: stringifyLossless(payload),
        timeoutMs: this.opts.timeoutMs ?? 10_000,
      });
    } catch (err) {
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `无法连接微信接口 ${path}: ${(err as Error).message}`, { cause: err });
    }
    const text = res.text;
    if (res.status >= 500) throw new DaifaError('UPSTREAM_UNAVAILABLE', `微信接口 HTTP ${res.status} ${path}`);
    try {
      const body = parseJsonLossless(text);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      this.opts.onAnswer?.(path, body as ApiResponse);
      return body as ApiResponse;
    } catch {
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `微信接口返回无法解析 (HTTP ${res.status}) ${path}`);
    }
  }

  // ---- endpoints -------------------------------------------------------------------------------------

  /** order/list/get: ids of orders updated (or created) in a window of at most 7 days, paged by next_key. */
  async listOrders(q: {
    updateTimeRange?: [number, number];
    createTimeRange?: [number, number];
    status?: number;
    pageSize?: number;
    nextKey?: string;
  }): Promise<{ orderIds: string[]; nextKey?: string; hasMore: boolean }> {
    const body: Record<string, unknown> = { page_size: q.pageSize ?? 100 };
    if (q.updateTimeRange) body.update_time_range = { start_time: q.updateTimeRange[0], end_time: q.updateTimeRange[1] };
    if (q.createTimeRange) body.create_time_range = { start_time: q.createTimeRange[0], end_time: q.createTimeRange[1] };
    if (q.status !== undefined) body.status = q.status;
    if (q.nextKey) body.next_key = q.nextKey;
    const r = await this.call('/channels/ec/order/list/get', body);
    const ids = Array.isArray(r.order_id_list) ? r.order_id_list.map((x) => String(x)) : [];
    return { orderIds: ids, nextKey: typeof r.next_key === 'string' && r.next_key ? r.next_key : undefined, hasMore: r.has_more === true };
  }

  async getOrder(orderId: string): Promise<Record<string, unknown>> {
    const r = await this.call('/channels/ec/order/get', { order_id: orderId });
    if (!r.order || typeof r.order !== 'object') throw new DaifaError('WECHAT_API', `order/get 返回缺少 order 字段 (${orderId})`);
    return r.order as Record<string, unknown>;
  }

  /** Plaintext receiver. Callers go through DecodeService, which enforces the quota and records who/why. */
  async decodeSensitiveInfo(orderId: string): Promise<{ address: Record<string, unknown>; virtualNumber?: Record<string, unknown> }> {
    const r = await this.call('/channels/ec/order/sensitiveinfo/decode', { order_id: orderId });
    return {
      address: (r.address_info ?? {}) as Record<string, unknown>,
      virtualNumber: r.virtual_number_info as Record<string, unknown> | undefined,
    };
  }

  /** deliverycompanylist/new/get, cached for a day (the list rarely changes). */
  async listDeliveryCompanies(): Promise<{ deliveryId: string; name: string }[]> {
    const now = this.opts.clock.now();
    if (this.deliveryCompanies && now - this.deliveryCompanies.at < 86_400_000) return this.deliveryCompanies.list;
    const r = await this.call('/channels/ec/order/deliverycompanylist/new/get', { ewaybill_only: false });
    const list = Array.isArray(r.company_list)
      ? r.company_list
          .map((c: any) => ({ deliveryId: String(c?.delivery_id ?? ''), name: String(c?.delivery_name ?? '') }))
          .filter((c) => c.deliveryId)
      : [];
    this.deliveryCompanies = { at: now, list };
    return list;
  }

  /** Native dropship (代发): assign order lines to a bound supplier; plaintext never leaves the platform. */
  async dropshipAssign(
    orderId: string,
    supplierAppId: string,
    lines: { productId: string; skuId: string; count: number }[],
  ): Promise<void> {
    await this.orderWrite(orderId, () =>
      this.call('/channels/ec/order/dropship/assign', {
        order_id: orderId,
        supplier_appid: supplierAppId,
        dropship_product_list: lines.map((l) => ({ spu_id: l.productId, sku_id: l.skuId, product_cnt: l.count })),
      }),
    );
  }

  /** dropship/get: a 代发单 with its lines and, once the supplier shipped, its packages. */
  async dropshipGet(dsOrderId: string): Promise<Record<string, any>> {
    const r = await this.call('/channels/ec/order/dropship/get', { ds_order_id: dsOrderId });
    return (r.dropship_order ?? {}) as Record<string, any>;
  }

  /** delivery/send: one entry per package, each with exactly the products and quantities it holds. */
  async deliverySend(
    orderId: string,
    packages: { deliveryId: string; waybillId: string; products: { productId: string; skuId: string; count: number }[] }[],
  ): Promise<void> {
    await this.orderWrite(orderId, () =>
      this.call('/channels/ec/order/delivery/send', {
        order_id: orderId,
        delivery_list: packages.map((p) => ({
          delivery_id: p.deliveryId,
          waybill_id: p.waybillId,
          deliver_type: 1,
          product_infos: p.products.map((x) => ({ product_id: x.productId, sku_id: x.skuId, product_cnt: x.count })),
        })),
      }),
    );
  }

  /** deliveryinfo/update, per package (change_infos): a new courier / tracking number for one package. */
  async deliveryInfoUpdate(
    orderId: string,
    change: {
      old: { deliveryId: string; waybillId: string };
      next: { deliveryId: string; waybillId: string };
      products: { productId: string; skuId: string; count: number }[];
    },
  ): Promise<void> {
    const infos = change.products.map((x) => ({ product_id: x.productId, sku_id: x.skuId, product_cnt: x.count }));
    await this.orderWrite(orderId, () =>
      this.call('/channels/ec/order/deliveryinfo/update', {
        order_id: orderId,
        change_infos: [
          {
            old: { delivery_id: change.old.deliveryId, waybill_id: change.old.waybillId, product_infos: infos },
            new: { delivery_id: change.next.deliveryId, waybill_id: change.next.waybillId, product_infos: infos },
          },
        ],
      }),
    );
  }

  /** 发货协商: ask the buyer to accept a later ship time (reason 1–4); at most 3 per order, ≥ 4 h before the deadline. */
  async deliveryNegotiationSubmit(orderId: string, predictDeliveryTime: number, reason: number, remark: string): Promise<void> {
    await this.orderWrite(orderId, () =>
      this.call('/channels/ec/order/deliverynegotiation/submit', {
        order_id: orderId,
        predict_delivery_time: predictDeliveryTime,
        reason,
        remark,
      }),
    );
  }

  /**
   * 发货协商结果: `order_id_list` is a required number array (the official example writes the 19-digit ids as bare
   * JSON numbers — sent losslessly); the answer may hold several orders' negotiations, so only this order's are
   * kept. States 1 waiting, 2 agreed, 3 rejected, 4 timed out; 10 and 11 also occur and are not outcomes.
   * Source: https://developers.weixin.qq.com/doc/store/shop/API/channels-shop-order/api_querydeliverynegotiation
   */
  async deliveryNegotiationResult(orderId: string): Promise<NegotiationResult[]> {
    const r = await this.call('/channels/ec/order/deliverynegotiation/result/get', { order_id_list: [bareInt(orderId)] });
    return mapNegotiations(r, orderId);
  }

  /** acceptapply for a refund (仅退款): the platform refunds the buyer. */
  async acceptAftersale(afterSaleOrderId: string): Promise<void> {
    await this.call('/channels/ec/aftersale/acceptapply', { after_sale_order_id: afterSaleOrderId });
  }

  /**
   * 代用户发起售后 (genaftersaleorder): the merchant refunds the buyer for units not shipped. `requestId` makes a retry
   * answer the same after-sale (WeChat: "失败时可用相同ID进行重试，可避免重复发起售后"). Returns the after-sale id,
   * whatever JSON type it comes as (documented a number, read as a string by one SDK).
   */
  async genAftersaleOrder(r: {
    requestId: string;
    orderId: string;
    productId: string;
    skuId: string;
    count: number;
    amount: number;
    reason: string;
    desc?: string;
  }): Promise<string> {
    const out = await this.orderWrite(r.orderId, () =>
      this.call('/channels/ec/aftersale/genaftersaleorder', {
        request_id: r.requestId,
        order_id: r.orderId,
        product_id: r.productId,
        sku_id: r.skuId,
        count: r.count,
        amount: r.amount,
        reason: r.reason,
        type: 'REFUND',
        ...(r.desc ? { desc: r.desc } : {}),
      }),
    );
    const id = idString(out.aftersale_id ?? out.after_sale_order_id);
    if (!id) throw new DaifaError('WECHAT_API', `genaftersaleorder 返回缺少 aftersale_id (${r.orderId})`);
    return id;
  }

  async getAftersaleOrder(afterSaleOrderId: string): Promise<Record<string, unknown>> {
    const r = await this.call('/channels/ec/aftersale/getaftersaleorder', { after_sale_order_id: afterSaleOrderId });
    return (r.after_sale_order ?? {}) as Record<string, unknown>;
  }
}

export interface NegotiationResult {
  state: number;
  predictDeliveryTime: number;
  updateTime: number;
}

/** The negotiations of one order in a result/get answer (which may list other orders too). */
export function mapNegotiations(r: Record<string, unknown>, orderId: string): NegotiationResult[] {
  const list = Array.isArray(r.negotiation_list) ? (r.negotiation_list as Record<string, unknown>[]) : [];
  return list
    .filter((n) => n && typeof n === 'object' && idString(n.order_id) === orderId)
    .map((n) => ({ state: Number(n.state), predictDeliveryTime: Number(n.predict_delivery_time), updateTime: Number(n.update_time ?? 0) }));
}

/** One client per shop per process, so the token cache is shared (WeChat: "use one central token holder"). */
export class WeChatClients {
  private clients = new Map<number, WeChatShopClient>();
  constructor(private readonly opts: WeChatClientOptions) {}

  /** The client of one shop by its id (credentials unsealed by the shop service). */
  async forShop(
    shops: { credentialsById(id: number): Promise<{ id: number; appId: string; appSecret: string }> },
    shopId: number,
  ): Promise<WeChatShopClient> {
    const c = await shops.credentialsById(shopId);
    return this.for({ shopId: c.id, appId: c.appId, appSecret: c.appSecret });
  }

  for(creds: WeChatCredentials): WeChatShopClient {
    let c = this.clients.get(creds.shopId);
    if (!c || c.creds.appSecret !== creds.appSecret) {
      c = new WeChatShopClient(creds, this.opts);
      this.clients.set(creds.shopId, c);
    }
    return c;
  }
}
