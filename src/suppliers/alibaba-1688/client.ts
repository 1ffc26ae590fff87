import type { AdaptiveRateLimiter } from '../../lib/rate-limiter.js';
import { postText, type PostResult } from '../../lib/http-post.js';
import type { Logger } from 'pino';
import { DaifaError } from '../../lib/errors.js';
import { bareInt, parseJsonLossless, stringifyLossless } from '../../lib/lossless-json.js';
import { aopSignature } from './signing.js';

export interface Alibaba1688Credentials {
  appKey: string;
  appSecret: string;
  accessToken: string;
}

export interface Alibaba1688Options {
  /** Gateway base, e.g. https://gw.open.1688.com (the sandbox points it at the simulator). */
  baseUrl: string;
  log: Logger;
  timeoutMs?: number;
  now?: () => number;
  /** Called once when 1688 answers 401: returns a fresh access token (refresh_token grant), or throws. */
  onUnauthorized?: () => Promise<string>;
  /** Shared pacing for this app's calls (slows down on gw.QosAppFrequencyLimit). */
  limiter?: AdaptiveRateLimiter;
  /** Sees every parsed answer (api, body) — for `daifa doctor --deep` and the contract tests; never logged. */
  onAnswer?: (api: string, body: ApiBody) => void;
}

/** The outcome of a call whose request may have reached 1688 although no answer came back. */
export class UnknownOutcomeError extends DaifaError {
  constructor(message: string, cause?: unknown) {
    super('UPSTREAM_UNAVAILABLE', message, { cause });
    this.name = 'UnknownOutcomeError';
  }
}

export type ApiBody = Record<string, any>;

/**
 * 1688's answers for an order the authorised buyer account cannot see: another member's order (the shop was
 * re-authorised with a different 1688 account) or one that no longer exists. Not a passing failure: retrying
 * cannot help until a person acts.
 */
const ORDER_MISSING_CODES = new Set(['order.nopermission.buyer', 'ORDER_NOT_EXIST']);
export const orderMissingCode = (body: ApiBody): string | undefined =>
  (body.success === false || body.success === 'false') && ORDER_MISSING_CODES.has(String(body.errorCode))
    ? String(body.errorCode)
    : undefined;

/** The order is not visible to this buyer account (see orderMissingCode). */
export class OrderMissingError extends DaifaError {
  constructor(
    readonly orderId: string,
    readonly upstreamCode: string,
  ) {
    super('NOT_FOUND', `1688 订单 ${orderId} 不存在或当前授权账号无权查看（${upstreamCode}）`);
    this.name = 'OrderMissingError';
  }
}

/**
 * 1688 Open Platform client: form-encoded POST to param2/1/{ns}/{api}/{appKey}, JSON-valued params sent as
 * strings, access_token signed with the rest, lossless JSON (order ids exceed 2^53). Envelopes differ per API;
 * callers read their own shape. Gateway errors map to: 401 → token expired, gw.QosAppFrequencyLimit → retry
 * later, gw.SignatureInvalid / gw.APIACLDecline → configuration (permanent).
 */
export class Alibaba1688Client {
  constructor(
    private readonly creds: Alibaba1688Credentials,
    private readonly opts: Alibaba1688Options,
  ) {}

  /**
   * Wait for a slot of this app's request rate and take it, for a call the caller is about to make with
   * `{ reserved: true }`: a caller that records an attempt before the call (a payment) waits here first, so that
   * a crash while waiting for the slot does not cost it an attempt that never reached 1688.
   */
  async reserve(): Promise<void> {
    await this.opts.limiter?.take();
  }

  async call(
    namespace: string,
    api: string,
    params: Record<string, unknown>,
    opts: { idempotent?: boolean; reserved?: boolean } = {},
  ): Promise<ApiBody> {
    try {
      // Throttled before the API ran (gw.Qos…): slow down, wait, and try again (twice at most).
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0 || !opts.reserved) await this.opts.limiter?.take();
        try {
          const body = await this.callOnce(namespace, api, params, opts);
          this.opts.limiter?.onSuccess();
          return body;
        } catch (err) {
          const gw = err instanceof DaifaError ? (err.details as { gw?: string } | undefined)?.gw : undefined;
          if (!gw?.startsWith('gw.Qos') || attempt >= 2) throw err;
          this.opts.limiter?.onThrottled(Date.now() + 1_000);
        }
      }
    } catch (err) {
      // Access token expired (10 h): refresh once and retry once. A 401 is answered before the API runs,
      // so retrying even a create call is safe.
      if (err instanceof DaifaError && (err.details as { gw?: string } | undefined)?.gw === '401' && this.opts.onUnauthorized) {
        this.creds.accessToken = await this.opts.onUnauthorized();
        return this.callOnce(namespace, api, params, opts);
      }
      throw err;
    }
  }

  private async callOnce(
    namespace: string,
    api: string,
    params: Record<string, unknown>,
    opts: { idempotent?: boolean },
  ): Promise<ApiBody> {
    const urlPath = `param2/1/${namespace}/${api}/${this.creds.appKey}`;
    const form: Record<string, string> = { access_token: this.creds.accessToken, _aop_timestamp: String((this.opts.now ?? Date.now)()) };
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null) continue;
      // Complex params travel as JSON text; sign and send the very same string.
      form[k] = typeof v === 'object' ? stringifyLossless(v) : String(v);
    }
    form._aop_signature = aopSignature(urlPath, form, this.creds.appSecret);
    let res: PostResult;
    try {
      res = await postText(`${this.opts.baseUrl}/openapi/${urlPath}`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: new URLSearchParams(form).toString(),
        timeoutMs: this.opts.timeoutMs ?? 15_000,
        idempotent: opts.idempotent === true,
      });
    } catch (err) {
      // A request that may have been sent: for non-idempotent calls the outcome is unknown, not failed.
      if (!opts.idempotent) throw new UnknownOutcomeError(`1688 ${api}: no response (${(err as Error).message})`, err);
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 ${api}: ${(err as Error).message}`);
    }
    const text = res.text;
    let body: ApiBody = {};
    try {
      body = text ? (parseJsonLossless(text) as ApiBody) : {};
    } catch {
      if (res.status >= 500 && !opts.idempotent) throw new UnknownOutcomeError(`1688 ${api}: HTTP ${res.status}, unreadable body`);
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 ${api}: HTTP ${res.status}, unreadable body`);
    }
    this.opts.onAnswer?.(api, body);
    const gw = body.error_code !== undefined ? String(body.error_code) : undefined;
    if (res.status === 401 || gw === '401')
      throw new DaifaError('UPSTREAM_UNAVAILABLE', '1688 授权已失效，请重新授权 / 1688 access token expired', {
        details: { gw: '401' },
        retryable: false,
      });
    if (gw === 'gw.QosAppFrequencyLimit' || gw === 'gw.QosRequestLimit')
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 限流 ${gw}`, { retryAfterMs: 2_000, details: { gw } });
    if (gw)
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 网关错误 ${gw}: ${body.error_message ?? ''}`, {
        retryable: false,
        details: { gw },
      });
    if (res.status >= 500) {
      if (!opts.idempotent) throw new UnknownOutcomeError(`1688 ${api}: HTTP ${res.status}`);
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 ${api}: HTTP ${res.status}`);
    }
    return body;
  }

  // ---- endpoints (reference §2–§4) ---------------------------------------------------------------------

  /**
   * createOrder.preview. Without `flow`, 1688 compares the flows open to this buyer and answers the best one in
   * `flowFlag` [V-doc preview]. An encrypted order sends the same `encryptOutOrderInfo` as its create.
   */
  async preview(input: {
    address: AddressParam;
    cargo: CargoParam[];
    flow?: PurchaseFlow;
    encryptOutOrderInfo?: EncryptOutOrderInfo;
  }): Promise<ApiBody> {
    return this.call(
      'com.alibaba.trade',
      'alibaba.createOrder.preview',
      { addressParam: input.address, cargoParamList: input.cargo, flow: input.flow, encryptOutOrderInfo: input.encryptOutOrderInfo },
      { idempotent: true },
    );
  }

  async fastCreateOrder(input: {
    address: AddressParam;
    cargo: CargoParam[];
    outOrderId: string;
    message?: string;
    flow: PurchaseFlow;
    encryptOutOrderInfo?: EncryptOutOrderInfo;
  }): Promise<ApiBody> {
    // Last line of defence: a masked value may only travel inside an encrypted-order envelope.
    const masked = Object.entries(input.address).find(([, v]) => typeof v === 'string' && /[*＊]/.test(v));
    if (masked && input.encryptOutOrderInfo?.encryptOrder !== true)
      throw new DaifaError('VALIDATION', `收货信息 ${masked[0]} 是脱敏数据，拒绝下单 / masked ${masked[0]} refused`, { retryable: false });
    // Ciphertext fields carry the downstream platform's encrypted data, never display-masked text (1688 §10).
    const fake = (['encryptReceiverName', 'encryptReceiverMobile', 'encryptReceiverAddress'] as const).find((k) =>
      /[*＊]/.test(String(input.encryptOutOrderInfo?.[k] ?? '')),
    );
    if (fake) throw new DaifaError('VALIDATION', `${fake} 不能是脱敏文本 / masked text is not ciphertext`, { retryable: false });
    return this.call('com.alibaba.trade', 'alibaba.trade.fastCreateOrder', {
      flow: input.flow,
      addressParam: input.address,
      cargoParamList: input.cargo,
      outOrderId: input.outOrderId,
      message: input.message,
      fenxiaoChannel: 'weixin',
      encryptOutOrderInfo: input.encryptOutOrderInfo,
    });
  }

  async buyerView(orderId: string): Promise<ApiBody> {
    return this.call('com.alibaba.trade', 'alibaba.trade.get.buyerView', { webSite: '1688', orderId }, { idempotent: true });
  }

  async findByOutOrderId(outOrderId: string): Promise<ApiBody[]> {
    return this.buyerOrders({ outOrderId, pageSize: 20 });
  }

  /** One page of the buyer's orders (alibaba.trade.getBuyerOrderList, 1688 §6), optionally those with one outOrderId. */
  async buyerOrders(query: { outOrderId?: string; page?: number; pageSize: number }): Promise<ApiBody[]> {
    const r = await this.call(
      'com.alibaba.trade',
      'alibaba.trade.getBuyerOrderList',
      { ...(query.outOrderId ? { outOrderId: query.outOrderId } : {}), page: query.page ?? 1, pageSize: query.pageSize, isHis: 'false' },
      { idempotent: true },
    );
    return Array.isArray(r.result) ? r.result : [];
  }

  /** Password-free pay is possible when some channel's agreement is both signed and bound ("true" strings). */
  async protocolPayOpen(): Promise<boolean> {
    // A signed agreement stays signed: asked once per 10 minutes (an unsigned one is asked again every time).
    if (this.protocolOpenUntil > Date.now()) return true;
    const r = await this.call('com.alibaba.trade', 'alibaba.trade.pay.protocolPay.isopen', {}, { idempotent: true });
    const list: any[] = r.result?.result?.paymentAgreements ?? [];
    const open = list.some((a) => String(a.signedStatus) === 'true' && String(a.bindingStatus) === 'true');
    if (open) this.protocolOpenUntil = Date.now() + 10 * 60_000;
    return open;
  }
  private protocolOpenUntil = 0;

  /** Withhold the exact amount (fen). The answer is never proof either way: always re-read the order. */
  /** Password-free pay. `reserved`: the caller took this call's rate slot already (see reserve()). */
  async preparePay(
    orderId: string,
    payAmount: number,
    opRequestId: string,
    opts: { reserved?: boolean } = {},
  ): Promise<{ success: boolean; paySuccess: boolean; code?: string; message?: string }> {
    const r = await this.call(
      'com.alibaba.trade',
      'alibaba.trade.pay.protocolPay.preparePay',
      { tradeWithholdPreparePayParam: { orderId: bareInt(orderId), payAmount, opRequestId } },
      { reserved: opts.reserved },
    );
    const inner = r.result ?? {};
    return {
      success: inner.success === true || inner.success === 'true',
      paySuccess: inner.result?.paySuccess === true,
      code: inner.code ?? undefined,
      message: inner.message ?? undefined,
    };
  }

  /** A cashier link for up to 100 unpaid orders; a person pays in the browser (logged in on 1688). */
  async payUrl(orderIds: string[]): Promise<{ payUrl?: string; failed: string[]; error?: string }> {
    if (orderIds.length === 0 || orderIds.length > 100)
      throw new DaifaError('VALIDATION', '支付链接一次 1–100 个 1688 订单 / 1 to 100 orders per link');
    const r = await this.call(
      'com.alibaba.trade',
      'alibaba.alipay.url.get',
      { orderIdList: orderIds.map((id) => bareInt(id)) },
      { idempotent: true },
    );
    const failed = (Array.isArray(r.payFailureOrderList) ? r.payFailureOrderList : []).map(String);
    const ok = r.success === true || r.success === 'true';
    return {
      payUrl: ok ? String(r.payUrl) : undefined,
      failed,
      error: ok ? undefined : String(r.erroMsg ?? r.errorMsg ?? r.errorCode ?? 'unknown'),
    };
  }

  /** What 1688 will accept as payment for an order, and the amount due in fen. */
  async payWay(orderId: string): Promise<{ payFee?: number; channels: { code: number; name: string }[]; timeout?: string }> {
    const r = await this.call('com.alibaba.trade', 'alibaba.trade.payWay.query', { orderId }, { idempotent: true });
    const l = r.resultList ?? {};
    return {
      payFee: l.payFee === undefined ? undefined : Number(l.payFee),
      channels: Array.isArray(l.channels)
        ? l.channels.map((c: { code: unknown; name: unknown }) => ({ code: Number(c.code), name: String(c.name) }))
        : [],
      timeout: l.timeout,
    };
  }

  /** Parcels of an order (none yet: `500_2` 订单尚未发货 is an empty list, not an error). */
  async logisticsInfos(orderId: string): Promise<ApiBody[]> {
    const r = await this.call(
      'com.alibaba.logistics',
      'alibaba.trade.getLogisticsInfos.buyerView',
      { orderId, webSite: '1688' },
      { idempotent: true },
    );
    if (r.success === false || r.success === 'false') {
      if (String(r.errorCode) === '500_2') return [];
      const missing = orderMissingCode(r);
      if (missing) throw new OrderMissingError(orderId, missing);
      throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 物流信息读取失败：${r.errorCode} ${r.errorMessage ?? ''}`);
    }
    return Array.isArray(r.result) ? r.result : [];
  }

  async logisticsTrace(orderId: string, logisticsId?: string): Promise<ApiBody[]> {
    const r = await this.call(
      'com.alibaba.logistics',
      'alibaba.trade.getLogisticsTraceInfo.buyerView',
      { orderId, webSite: '1688', logisticsId },
      { idempotent: true },
    );
    return Array.isArray(r.logisticsTrace) ? r.logisticsTrace : [];
  }

  /** 催发货: before shipment, at most once per 24 h. */
  async urge(orderId: string): Promise<{ ok: boolean; code?: string; message?: string }> {
    const r = await this.call('com.alibaba.logistics', 'logistics.delivery.urge', { orderId }, { idempotent: true });
    const inner = r.result ?? {};
    return { ok: inner.success === true || inner.success === 'true', code: inner.code ?? undefined, message: inner.message ?? undefined };
  }

  /**
   * The refund reasons 1688 offers for these lines of this order in this goods status (getRefundReasonList): the
   * only valid `applyReasonId`s — they differ by order and status, so never hard-coded (1688 §8, §10).
   */
  async refundReasons(orderId: string, entryIds: string[], goodsStatus: string): Promise<RefundReason[]> {
    const r = await this.call(
      'com.alibaba.trade',
      'alibaba.trade.getRefundReasonList',
      { orderId: bareInt(orderId), orderEntryIds: entryIds.map((id) => bareInt(id)), goodsStatus },
      { idempotent: true },
    );
    const inner = r.result ?? {};
    if (!(inner.success === true || inner.success === 'true'))
      throw new RefundRefusedError(String(inner.code ?? r.errorCode ?? ''), String(inner.message ?? r.errorMessage ?? ''));
    const list: any[] = inner.result?.reasons ?? [];
    return list.map((x) => ({
      id: String(x.id),
      name: String(x.name ?? ''),
      needVoucher: x.needVoucher === true || x.needVoucher === 'true',
      noRefundCarriage: x.noRefundCarriage === true || x.noRefundCarriage === 'true',
    }));
  }

  /**
   * Ask the seller for a refund: `goods` (fen, before shipment the goods' paid amount without freight) and `carriage`
   * (fen, the freight). Not idempotent: look before retrying. A refusal comes back as `code`/`message`.
   */
  async createRefund(input: {
    orderId: string;
    entryIds: string[];
    goods: number;
    carriage: number;
    reasonId: string;
    description: string;
    goodsStatus: string;
  }): Promise<{ refundId?: string; code?: string; message?: string }> {
    const r = await this.call('com.alibaba.trade', 'alibaba.trade.createRefund', {
      orderId: bareInt(input.orderId),
      orderEntryIds: input.entryIds.map((id) => bareInt(id)),
      disputeRequest: 'refund',
      applyPayment: input.goods,
      applyCarriage: input.carriage,
      applyReasonId: bareInt(input.reasonId),
      description: input.description,
      goodsStatus: input.goodsStatus,
    });
    const inner = r.result ?? {};
    const ok = inner.success === true || inner.success === 'true';
    return ok
      ? { refundId: String(inner.result?.refundId ?? '') }
      : { code: String(inner.code ?? r.errorCode ?? ''), message: inner.message ?? r.errorMessage ?? undefined };
  }

  /** Messages the push missed (auto-confirmed by 1688 as they are returned; call until empty). */
  async pullMessages(quantity = 200): Promise<ApiBody[]> {
    const r = await this.call('cn.alibaba.open', 'push.cursor.messageList', { quantity }, { idempotent: true });
    return Array.isArray(r.pushMessageList) ? r.pushMessageList : [];
  }

  async cancel(orderId: string, reason: 'buyerCancel' | 'sellerGoodsLack' | 'other', remark: string): Promise<ApiBody> {
    return this.call(
      'com.alibaba.trade',
      'alibaba.trade.cancel',
      { webSite: '1688', tradeID: orderId, cancelReason: reason, remark },
      { idempotent: true },
    );
  }
}

export interface AddressParam {
  fullName: string;
  mobile?: string;
  phone?: string;
  postCode?: string;
  provinceText: string;
  cityText: string;
  areaText: string;
  townText?: string;
  address: string;
}

export interface CargoParam {
  offerId: number | string;
  specId?: string;
  quantity: number;
}

/** The order flows Daifa uses (1688 §2.1): wholesale, 代销 (consignment) and 分销 (distribution). */
export const PURCHASE_FLOWS = ['general', 'saleproxy', 'fenxiao'] as const;
export type PurchaseFlow = (typeof PURCHASE_FLOWS)[number];
export const isPurchaseFlow = (x: unknown): x is PurchaseFlow => typeof x === 'string' && (PURCHASE_FLOWS as readonly string[]).includes(x);

/** encryptOutOrderInfo (1688 §2.1); `outPlatformAppkey` is required whenever it is sent. */
export interface EncryptOutOrderInfo {
  encryptOrder: boolean;
  outPlatformCode: string;
  outPlatformAppkey: string;
  outPlatformOrderNo?: string;
  outShopId?: string;
  outShopName?: string;
  outPatformExtraInfo?: string;
  encryptReceiverName?: string;
  encryptReceiverMobile?: string;
  encryptReceiverAddress?: string;
}

export interface RefundReason {
  id: string;
  name: string;
  needVoucher: boolean;
  noRefundCarriage: boolean;
}

/** createRefund/getRefundReasonList answers a retry cannot change (1688 §8: 5001–5006, 5011–5013). */
export const REFUND_PERMANENT_CODES = new Set(['5001', '5002', '5003', '5004', '5005', '5006', '5011', '5012', '5013']);

export class RefundRefusedError extends DaifaError {
  constructor(
    readonly upstreamCode: string,
    readonly upstreamMessage: string,
  ) {
    super('UPSTREAM_UNAVAILABLE', `1688 退款被拒绝（${upstreamCode} ${upstreamMessage}）`, {
      retryable: !REFUND_PERMANENT_CODES.has(upstreamCode),
      retryAfterMs: 60_000,
    });
    this.name = 'RefundRefusedError';
  }
}
