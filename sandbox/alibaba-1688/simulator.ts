import { postText } from '../../src/lib/http-post.js';
import { simNow } from '../clock.js';
import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomAlnum, randomDigits } from '../../src/lib/random.js';
import { parseJsonLossless } from '../../src/lib/lossless-json.js';
import { aopSignature, pushSignature, signatureMatches } from '../../src/suppliers/alibaba-1688/signing.js';

/** 1688 gateway twin (reference §10): offers, signature and token checks, preview, create, read-back, lookup, cancel. */
export interface SimSku {
  specId: string;
  skuId: string;
  attrs: { name: string; value: string }[];
  /** fen */
  price: number;
  stock: number;
}

export interface SimOffer {
  offerId: string;
  sellerMemberId: string;
  sellerLoginId: string;
  creditLevel: string;
  title: string;
  moq: number;
  /** fen per order */
  freight: number;
  online: boolean;
  /** The seller accepts encrypted downstream orders (prints waybills through the platform). */
  acceptsEncrypted?: boolean;
  /**
   * Dropship relationships this seller has with the buyer: `saleproxy` (代销) and/or `fenxiao` (分销). Without one,
   * only the wholesale flow (`general`) is open, where `moq` and the mixed-batch rules apply (1688 §2.1, §10).
   */
  relationFlows?: ('saleproxy' | 'fenxiao')[];
  /** Courier codes the seller ships with (the first is used unless told otherwise). */
  couriers?: string[];
  skus: SimSku[];
}

export interface Sim1688Order {
  orderId: string;
  outOrderId?: string;
  buyerMemberId: string;
  sellerMemberId: string;
  status: string;
  address: Record<string, string>;
  message: string;
  lines: { offerId: string; specId: string; quantity: number; price: number; title: string; attrs: { name: string; value: string }[] }[];
  postFee: number;
  totalAmount: number;
  createdAt: number;
  encrypted?: Record<string, unknown>;
  /** The order flow it was created on (general / saleproxy / fenxiao). */
  flow?: string;
  /** Every payment taken for this order (must never exceed one). */
  payments: { amount: number; at: number; tradeId: string }[];
  /** Parcels the seller sent: which sub-items (line index) and how many units each holds, and the trace. */
  shipments: SimShipment[];
  /** The seller found it has no stock after payment: it will not ship. */
  sellerStockOut?: boolean;
  /** The seller will not ship by itself (a late seller; the console or a test ships it). */
  sellerLate?: boolean;
  /** Refunds the buyer requested (alibaba.trade.createRefund). */
  refunds: { refundId: string; amount: number; lineIdx: number[]; status: string; at: number }[];
}

export interface SimShipment {
  logisticsId: string;
  companyName: string;
  companyNo: string;
  mailNo: string;
  items: { lineIdx: number; quantity: number }[];
  steps: { at: number; status: string; remark: string }[];
  mailNoChanges: number;
}

export interface Alibaba1688SimState {
  orders: Sim1688Order[];
  msgSeq: number;
  messages: Alibaba1688Simulator['messages'];
}

export interface Knobs1688 {
  latencyMs: number;
  /** Probability that fastCreateOrder creates the order and then the response is lost (connection dropped). */
  lostResponseRate: number;
  /** Probability of a plain HTTP 500 before doing anything. */
  serverErrorRate: number;
  /** Probability of gw.QosAppFrequencyLimit. */
  rateLimitRate: number;
  /** What a second fastCreateOrder with the same outOrderId does ([U] in the reference). */
  duplicateOutOrderId: 'return-existing' | 'create-new' | 'reject';
  /** Price added (fen) to every unit at create time, after preview (a seller raised the price). */
  priceRiseFen: number;
  /** buyerView reports a different receiver name (the seller's system mangled it). */
  readBackMismatch: boolean;
  accessTokenTtlMs: number;
  /** Spec ids that fastCreateOrder leaves out (failedOfferList) while creating the rest: partial creation. */
  failSpecIds: string[];
  /** Password-free pay agreement signed and bound. */
  protocolSigned: boolean;
  /** preparePay takes the money but answers paySuccess:false (the documented timeout case). */
  payAnswerWrongRate: number;
  /** preparePay takes the money and the answer never arrives. */
  payResponseLostRate: number;
  /** Buyer balance in fen (Infinity = unlimited). */
  balance: number;
  /** Sellers ship paid orders by themselves after this many ms (null: only when told, e.g. by a test). */
  autoShipAfterMs: number | null;
  /** Probability that an auto-shipped order goes out in two parcels (a partial shipment first). */
  splitShipRate: number;
  /** Probability that a paid order is never shipped by itself (a late seller). */
  lateRate: number;
  /** Probability that a paid order turns out to be out of stock: the seller does not ship and asks for a refund. */
  stockOutAfterPayRate: number;
  /** Each trace step (picked up, in transit, delivering, signed) follows the previous after this many ms (null: manual). */
  traceStepMs: number | null;
  /** Calls per second allowed per app; beyond it gw.QosAppFrequencyLimit (null: no limit). */
  qps: number | null;
  /** Messages are not pushed (the receiver is down): they wait for push.cursor.messageList. */
  messagesOff: boolean;
  /** Courier name the sellers print (overrides the seller's own; e.g. an unknown local courier). */
  courierNameOverride: string | null;
  /**
   * Long ids inside JSON params (orderIdList, tradeWithholdPreparePayParam.orderId, orderEntryIds) written as quoted
   * strings are accepted. The documented type is java.lang.Long; coercion of quoted strings is unverified [U], so the
   * default refuses them (the stricter reading).
   */
  acceptQuotedLongIds: boolean;
  /** A seller out of stock after payment closes the order and refunds after this many ms (null: it stays silent). */
  stockOutReportMs: number | null;
  /** While set, createRefund refuses with this code (e.g. '5011' 退款金额错误) after its checks pass — refusal drills. */
  refundRefuseCode: string | null;
}

export const defaultKnobs1688 = (): Knobs1688 => ({
  latencyMs: 0,
  lostResponseRate: 0,
  serverErrorRate: 0,
  rateLimitRate: 0,
  duplicateOutOrderId: 'return-existing',
  priceRiseFen: 0,
  readBackMismatch: false,
  accessTokenTtlMs: 10 * 3_600_000,
  failSpecIds: [],
  protocolSigned: true,
  payAnswerWrongRate: 0,
  payResponseLostRate: 0,
  balance: Number.POSITIVE_INFINITY,
  autoShipAfterMs: null,
  splitShipRate: 0,
  lateRate: 0,
  stockOutAfterPayRate: 0,
  traceStepMs: null,
  courierNameOverride: null,
  messagesOff: false,
  qps: null,
  acceptQuotedLongIds: false,
  refundRefuseCode: null,
  stockOutReportMs: 30_000,
});

const yuan = (fen: number) => Math.round(fen) / 100;
const ts1688 = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace(/[-:T]/g, '').replace('Z', '').replace('.', '') + '+0800';
/** Emit big ids as bare JSON numbers, as 1688 does (a naive JSON.parse loses their last digits). */
const bare = (json: string, keys: string[]) => keys.reduce((t, k) => t.replace(new RegExp(`"${k}":"(\\d+)"`, 'g'), `"${k}":$1`), json);

export class Alibaba1688Simulator {
  readonly apps = new Map<string, string>();
  readonly tokens = new Map<string, { memberId: string; expiresAt: number; refreshToken: string }>();
  readonly offers = new Map<string, SimOffer>();
  readonly orders = new Map<string, Sim1688Order>();
  readonly calls = new Map<string, number>();
  private readonly secondWindows = new Map<string, { second: number; n: number }>();
  /** Calls refused with gw.QosAppFrequencyLimit. */
  throttled = 0;
  knobs: Knobs1688;
  /** Base URL of the sandbox (the cashier that payment links open). */
  cashierBase = 'http://127.0.0.1:8090';

  constructor(knobs: Partial<Knobs1688> = {}) {
    this.knobs = { ...defaultKnobs1688(), ...knobs };
  }

  addApp(appKey: string, appSecret: string): void {
    this.apps.set(appKey, appSecret);
  }

  /** Where order messages go (the app's 通道配置 httpCallBack), signed with the app secret. */
  messageTarget?: { url: string; appSecret: string };
  readonly messages: { msgId: number; type: string; delivered: boolean; attempts: number; message: string; pulled: boolean }[] = [];
  private msgSeq = 7_565_094_247;

  /**
   * Push an order message as 1688 does: form POST `message` + `_aop_signature`; HTTP 200 acknowledges; anything
   * else is retried (3 times), and order ids inside are bare numbers beyond 2^53.
   */
  emit(type: string, o: Sim1688Order, currentStatus: string): void {
    this.emitRaw(type, o, {
      buyerMemberId: o.buyerMemberId,
      currentStatus,
      msgSendTime: new Date(simNow() + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19),
      orderId: o.orderId,
      sellerMemberId: o.sellerMemberId,
    });
  }

  /** Every message is kept; one not acknowledged after the retries waits for the pull API (push.cursor.messageList). */
  emitRaw(type: string, o: Sim1688Order, data: Record<string, unknown>): void {
    const msgId = this.msgSeq++;
    const message = bare(JSON.stringify({ bizKey: o.orderId, data, gmtBorn: simNow(), msgId, type, userInfo: o.buyerMemberId }), [
      'orderId',
    ]);
    const record = { msgId, type, delivered: false, attempts: 0, message, pulled: false };
    this.messages.push(record);
    if (!this.messageTarget || this.knobs.messagesOff) return;
    const target = this.messageTarget;
    const attempt = async (): Promise<void> => {
      record.attempts++;
      try {
        // Signed over every parameter of the request, the callback URL's query included (official tuna SDK rule).
        const query = new URL(target.url).searchParams;
        const signature = pushSignature([...query, ['message', message]], target.appSecret);
        const res = await postText(target.url, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ message, _aop_signature: signature }).toString(),
          timeoutMs: 5_000,
        });
        record.delivered = res.status === 200;
      } catch {
        record.delivered = false;
      }
      if (!record.delivered && record.attempts <= 3) {
        const t = setTimeout(() => void attempt(), 200 * record.attempts);
        this.timers.add(t);
      }
    };
    void attempt();
  }

  issueToken(memberId = `b2b-${randomDigits(10)}`): { accessToken: string; refreshToken: string; memberId: string } {
    const accessToken = `${randomAlnum(8)}-${randomAlnum(4)}-${randomAlnum(4)}-${randomAlnum(12)}`.toLowerCase();
    const refreshToken = `${randomAlnum(8)}-${randomAlnum(4)}-${randomAlnum(12)}`.toLowerCase();
    this.tokens.set(accessToken, { memberId, expiresAt: simNow() + this.knobs.accessTokenTtlMs, refreshToken });
    return { accessToken, refreshToken, memberId };
  }

  addOffer(o: SimOffer): void {
    this.offers.set(o.offerId, o);
  }

  /** Orders whose outOrderId appears more than once — must always be empty for Daifa. */
  duplicates(): string[] {
    const seen = new Map<string, number>();
    for (const o of this.orders.values()) if (o.outOrderId) seen.set(o.outOrderId, (seen.get(o.outOrderId) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  }

  register(app: FastifyInstance): void {
    app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
      scope.post('/sandbox/1688/cashier/pay', async (req) => {
        const body = String(req.body ?? '');
        const raw = body.trim().startsWith('{')
          ? (JSON.parse(body) as { orderId?: string }).orderId
          : new URLSearchParams(body).get('orderId');
        return this.payAtCashier(
          String(raw ?? '')
            .split(';')
            .filter(Boolean),
        );
      });
      scope.post('/openapi/:proto/:ver/:ns/:api/:appKey', async (req, reply) =>
        this.handle(req.params as Record<string, string>, String(req.body ?? ''), reply),
      );
    });
    app.get('/sandbox/1688/orders', async () => ({ orders: [...this.orders.values()], duplicates: this.duplicates() }));
    app.get('/sandbox/1688/knobs', async () => this.knobs);
    app.get('/sandbox/1688/calls', async () => ({ ...Object.fromEntries(this.calls), throttled: this.throttled }));
    app.get('/sandbox/1688/cashier', async (req, reply) => {
      const ids = String((req.query as { orderId?: string }).orderId ?? '')
        .split(';')
        .filter(Boolean);
      const rows = ids.map((id) => this.orders.get(id)).filter((o): o is Sim1688Order => Boolean(o));
      const total = rows.filter((o) => o.status === 'waitbuyerpay').reduce((s, o) => s + o.totalAmount, 0);
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><meta charset="utf-8"><title>1688 收银台（沙箱）</title><h1>1688 收银台（沙箱）</h1><p>${rows.length} 个订单，待付 ¥${yuan(total).toFixed(2)}</p><form method="post" action="/sandbox/1688/cashier/pay"><input type="hidden" name="orderId" value="${ids.join(';').replace(/[^0-9;]/g, '')}"><button type="submit">确认付款</button></form>`,
        );
    });

    app.patch('/sandbox/1688/knobs', async (req) => Object.assign(this.knobs, req.body ?? {}));
  }

  private async handle(p: Record<string, string>, raw: string, reply: FastifyReply) {
    const api = p.api!;
    this.calls.set(api, (this.calls.get(api) ?? 0) + 1);
    if (this.knobs.latencyMs) await new Promise((r) => setTimeout(r, this.knobs.latencyMs));
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (p.ns === 'system.oauth2' && api === 'getToken') return this.oauth(p.appKey!, form, reply);
    const secret = this.apps.get(p.appKey!);
    if (!secret)
      return reply.code(400).send({ error_code: 'gw.AppKeyNotFound', error_message: 'AppKey not found', request_id: randomAlnum(12) });
    const path = `param2/${p.ver}/${p.ns}/${api}/${p.appKey}`;
    if (!form._aop_signature || !signatureMatches(aopSignature(path, form, secret), form._aop_signature)) {
      return reply.code(400).send({ error_code: 'gw.SignatureInvalid', error_message: 'Signature invalid', request_id: randomAlnum(12) });
    }
    if (p.ns === 'cn.alibaba.open' && api === 'push.cursor.messageList') {
      // App-level (no user authorisation): returns what was not delivered, and confirms it.
      const list = this.messages
        .filter((m) => !m.delivered && !m.pulled)
        .slice(0, Math.min(200, Math.max(20, Number(form.quantity ?? 20))));
      for (const m of list) m.pulled = true;
      return reply
        .type('application/json')
        .send(
          `{"pushMessageList":[${list.map((m) => m.message.replace(/^\{/, `{"topicGroup":"ORDER","topicName":"${m.type}","appKey":"${p.appKey}",`)).join(',')}],"success":true}`,
        );
    }
    const token = this.tokens.get(form.access_token ?? '');
    if (!token || token.expiresAt < simNow())
      return reply.code(401).send({ error_code: '401', error_message: 'Request need user authorized', request_id: randomAlnum(12) });
    if (this.knobs.qps) {
      const second = Math.floor(Date.now() / 1000);
      const w = this.secondWindows.get(p.appKey!);
      const n = w && w.second === second ? w.n + 1 : 1;
      this.secondWindows.set(p.appKey!, { second, n });
      if (n > this.knobs.qps) {
        this.throttled++;
        return reply.code(200).send({ error_code: 'gw.QosAppFrequencyLimit', error_message: 'App call exceeds limited frequency' });
      }
    }
    if (Math.random() < this.knobs.rateLimitRate)
      return reply.code(200).send({ error_code: 'gw.QosAppFrequencyLimit', error_message: 'App call exceeds limited frequency' });
    if (Math.random() < this.knobs.serverErrorRate) return reply.code(500).send('internal error');
    const json = (o: unknown) => reply.type('application/json').send(bare(JSON.stringify(o), ['orderId', 'id', 'subItemID', 'skuId']));
    switch (api) {
      case 'alibaba.createOrder.preview':
        return json(this.preview(form));
      case 'alibaba.trade.fastCreateOrder': {
        const r = this.create(form, token.memberId);
        if (r.created && Math.random() < this.knobs.lostResponseRate) {
          reply.raw.destroy(); // the order exists, the answer never arrives
          return reply;
        }
        return json(r.body);
      }
      case 'alibaba.trade.get.buyerView': {
        const o = this.orders.get(String(form.orderId));
        if (!o || o.buyerMemberId !== token.memberId)
          return json({ success: 'false', errorCode: 'order.nopermission.buyer', errorMessage: '订单不存在或无权限' });
        return json({ success: 'true', result: this.tradeInfo(o) });
      }
      case 'alibaba.trade.getBuyerOrderList': {
        const list = (form.outOrderId ? this.byOutOrderId(form.outOrderId) : [...this.orders.values()]).filter(
          (o) => o.buyerMemberId === token.memberId,
        );
        return json({ result: list.map((o) => this.tradeInfo(o)), totalRecord: list.length });
      }
      case 'alibaba.trade.cancel': {
        const o = this.orders.get(String(form.tradeID));
        if (!o) return json({ success: false, errorCode: 'ORDER_NOT_EXIST', errorMessage: '订单不存在' });
        if (o.status !== 'waitbuyerpay')
          return json({ success: false, errorCode: 'ORDER_STATUS_ERROR', errorMessage: '只能取消待付款订单' });
        if (simNow() - o.createdAt < 10_000)
          return json({ success: false, errorCode: 'CLOSE_ORDER_TOO_FAST', errorMessage: '订单创建后10秒内不能关闭' });
        o.status = 'cancel';
        this.emit('ORDER_BUYER_VIEW_ORDER_BUYER_CLOSE', o, 'cancel');
        for (const l of o.lines) {
          const sku = this.offers.get(l.offerId)?.skus.find((s) => s.specId === l.specId);
          if (sku) sku.stock += l.quantity;
        }
        return json({ success: true });
      }
      case 'alibaba.trade.pay.protocolPay.isopen':
        return json({
          result: {
            success: true,
            code: null,
            message: null,
            result: {
              paymentAgreements: [
                {
                  payChannel: 'ALIPAY',
                  bindingStatus: String(this.knobs.protocolSigned),
                  signedStatus: String(this.knobs.protocolSigned),
                  ...(this.knobs.protocolSigned ? {} : { signUrl: 'https://mapi.alipay.com/gateway.do?sandbox' }),
                },
              ],
            },
          },
        });
      case 'alibaba.trade.pay.protocolPay.preparePay': {
        let p: { orderId?: string | number; payAmount?: number } = {};
        try {
          p = parseJsonLossless(form.tradeWithholdPreparePayParam ?? '{}') as typeof p;
        } catch {
          return json({ result: { success: false, code: 'PARAM_ILLEGAL', message: 'tradeWithholdPreparePayParam invalid' } });
        }
        if (!this.longIdsBare(form.tradeWithholdPreparePayParam ?? '', 'orderId'))
          return json({ result: { success: false, code: 'PARAM_ILLEGAL', message: 'orderId 应为 Long（数字）' } });
        const o = this.orders.get(String(p.orderId));
        if (!o) return json({ result: { success: false, code: 'ORDER_NOT_EXIST', message: '订单不存在' } });
        if (!this.knobs.protocolSigned)
          return json({ result: { success: false, code: 'PROTOCOL_NOT_SIGNED', message: '未签署免密支付协议' } });
        if (o.status !== 'waitbuyerpay')
          return json({ result: { success: false, code: 'ORDER_STATUS_ERROR', message: '订单状态不是待付款' } });
        if (Number(p.payAmount) !== o.totalAmount)
          return json({ result: { success: false, code: 'PAY_AMOUNT_ERROR', message: '支付金额与订单金额不一致' } });
        if (this.knobs.balance < o.totalAmount)
          return json({ result: { success: false, code: 'ACCOUNT_BALANCE_NOT_ENOUGH', message: '余额不足' } });
        this.takePayment(o);
        if (Math.random() < this.knobs.payResponseLostRate) {
          reply.raw.destroy();
          return reply;
        }
        const wrong = Math.random() < this.knobs.payAnswerWrongRate;
        return json({ result: { success: true, code: null, message: null, result: { payChannel: 'Alipay', paySuccess: !wrong } } });
      }
      case 'alibaba.alipay.url.get': {
        let ids: unknown;
        try {
          ids = parseJsonLossless(form.orderIdList ?? '[]');
        } catch {
          ids = undefined;
        }
        if (Array.isArray(ids) && !this.longArrayBare(form.orderIdList ?? ''))
          return json({ success: false, errorCode: '400', erroMsg: 'orderIdList 应为 Long 数组' });
        if (!Array.isArray(ids) || ids.length === 0) return json({ success: false, errorCode: '400', erroMsg: 'orderIdList 不能为空' });
        if (ids.length > 100) return json({ success: false, errorCode: '400', erroMsg: '一次最多 100 个订单' });
        const payable = ids
          .map(String)
          .filter((id) => this.orders.get(id)?.status === 'waitbuyerpay' && this.orders.get(id)?.buyerMemberId === token.memberId);
        const payFailureOrderList = ids.map(String).filter((id) => !payable.includes(id));
        if (!payable.length)
          return json({ success: false, errorCode: 'ORDER_STATUS_ERROR', erroMsg: '没有可支付的订单', payFailureOrderList });
        return json({
          success: true,
          payUrl: `${this.cashierBase}/sandbox/1688/cashier?orderId=${payable.join(';')}`,
          payFailureOrderList,
        });
      }
      case 'alibaba.trade.payWay.query': {
        const o = this.orders.get(String(form.orderId));
        if (!o || o.buyerMemberId !== token.memberId) return json({ success: false, errorCode: 'ORDER_NOT_EXIST', errorMsg: '订单不存在' });
        return json({
          success: true,
          resultList: {
            channels: [
              { code: 1, name: '支付宝' },
              { code: 15, name: '银行转账' },
            ],
            orderId: o.orderId,
            payFee: o.totalAmount,
            timeout: ts1688(o.createdAt + 43_200_000)
              .slice(0, 14)
              .replace(/(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/, '$1-$2-$3 $4:$5:$6'),
          },
        });
      }
      case 'alibaba.trade.getLogisticsInfos.buyerView': {
        const o = this.orders.get(String(form.orderId));
        if (!o || o.buyerMemberId !== token.memberId)
          return json({ success: false, errorCode: 'order.nopermission.buyer', errorMessage: '订单不存在或无权限' });
        if (!o.shipments.length) return json({ success: false, errorCode: '500_2', errorMessage: '订单尚未发货，暂无物流详情' });
        return json({
          success: true,
          result: o.shipments.map((sh) => ({
            logisticsId: sh.logisticsId,
            logisticsBillNo: sh.mailNo,
            orderEntryIds: sh.items.map((it) => subItemId(o, it.lineIdx)).join(','),
            status: sh.steps.some((x) => x.status === 'SIGN') ? 'SIGN' : sh.steps.length > 1 ? 'TRANSPORT' : 'ACCEPT',
            logisticsCompanyId: String(Object.keys(COURIER_NAMES_1688).indexOf(sh.companyNo) + 1),
            logisticsCompanyName: sh.companyName,
            logisticsCompanyNo: sh.companyNo,
            gmtSystemSend: ts1688(sh.steps[0]!.at),
            sendGoods: sh.items.map((it) => ({ goodName: o.lines[it.lineIdx]!.title, quantity: it.quantity, unit: '件' })),
            logisticsOrderGoods: sh.items.map((it) => ({
              logisticsId: sh.logisticsId,
              tradeOrderId: o.orderId,
              tradeOrderItemId: subItemId(o, it.lineIdx),
              quantity: it.quantity,
              unit: '件',
              description: o.lines[it.lineIdx]!.attrs.map((a) => `${a.name}: ${a.value};`).join(' '),
              productName: o.lines[it.lineIdx]!.title,
            })),
          })),
        });
      }
      case 'alibaba.trade.getLogisticsTraceInfo.buyerView': {
        const o = this.orders.get(String(form.orderId));
        if (!o || o.buyerMemberId !== token.memberId)
          return json({ success: false, errorCode: 'order.nopermission.buyer', errorMessage: '订单不存在或无权限' });
        const parcels = o.shipments.filter((sh) => !form.logisticsId || sh.logisticsId === form.logisticsId);
        if (!parcels.length) return json({ success: false, errorCode: '404', errorMessage: '无法找到相对应的物流单跟踪信息' });
        return json({
          success: true,
          logisticsTrace: parcels.map((sh) => ({
            logisticsId: sh.logisticsId,
            logisticsBillNo: sh.mailNo,
            orderId: o.orderId,
            logisticsSteps: sh.steps.map((x) => ({
              acceptTime: ts1688(x.at).replace(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2}).*$/, '$1-$2-$3 $4:$5:$6'),
              remark: x.remark,
            })),
          })),
        });
      }
      case 'logistics.delivery.urge': {
        const o = this.orders.get(String(form.orderId));
        if (!o) return json({ result: { success: false, code: 'ORDER_NOT_EXIST', message: '订单不存在' } });
        if (o.status !== 'waitsellersend')
          return json({ result: { success: false, code: 'ORDER_STATUS_ERROR', message: '只能在发货前催发货' } });
        const last = (o as Sim1688Order & { urgedAt?: number }).urgedAt;
        if (last && simNow() - last < 86_400_000)
          return json({ result: { success: false, code: 'URGE_TOO_OFTEN', message: '24小时内只能催发货一次' } });
        (o as Sim1688Order & { urgedAt?: number }).urgedAt = simNow();
        return json({ result: { success: true, code: null, message: null, result: true } });
      }
      case 'alibaba.trade.getRefundReasonList': {
        const o = this.orders.get(String(form.orderId));
        if (!o || o.buyerMemberId !== token.memberId) return json({ result: { success: false, code: '5001', message: '订单不存在' } });
        if (!this.longArrayBare(form.orderEntryIds ?? '[]'))
          return json({ result: { success: false, code: '5013', message: 'orderEntryIds 应为 Long 数组' } });
        const reasons = refundReasonsFor(String(form.goodsStatus ?? ''));
        if (!reasons || !goodsStatusFits(o, String(form.goodsStatus)))
          return json({ result: { success: false, code: '5003', message: '货物状态不合法' } });
        return json({ result: { success: true, code: null, message: null, result: { reasons: reasons.map((r) => ({ ...r, tip: '' })) } } });
      }
      case 'alibaba.trade.createRefund':
        return json(this.createRefund(form, token.memberId));
      default:
        return reply.code(400).send({ error_code: 'gw.APIUnsupported', error_message: `API ${api} not supported by the sandbox` });
    }
  }

  /** A Long inside a JSON param written as a bare integer (or a quoted one allowed by the knob). */
  private longIdsBare(json: string, key: string): boolean {
    return this.knobs.acceptQuotedLongIds || new RegExp(`"${key}"\\s*:\\s*\\d+`).test(json);
  }

  private longArrayBare(json: string): boolean {
    return this.knobs.acceptQuotedLongIds || /^\s*\[\s*(\d+(\s*,\s*\d+)*)?\s*\]\s*$/.test(json);
  }

  /**
   * alibaba.trade.createRefund with the documented checks (1688 §8; codes from the official createRefund page): order
   * (5001/5002), goodsStatus fitting the order (5003), a reason id listed by getRefundReasonList for that status
   * (5004), a voucher where the reason needs one (5005), no freight for a reason that refunds none (5006), before
   * shipment applyPayment equal to the goods' paid amount without freight and applyCarriage at most the freight (5011),
   * description 2–150 characters (5012), one open refund at a time (5010).
   */
  private createRefund(form: Record<string, string>, buyer: string) {
    const fail = (code: string, message: string) => ({ result: { success: false, code, message } });
    const o = this.orders.get(String(form.orderId));
    if (!o) return fail('5001', '订单不存在');
    if (o.buyerMemberId !== buyer) return fail('5002', '买家不匹配');
    if (!this.longArrayBare(form.orderEntryIds ?? '[]')) return fail('5013', 'orderEntryIds 应为 Long 数组');
    if (o.status !== 'waitsellersend' && o.status !== 'waitbuyerreceive') return fail('5010', '退款状态错误');
    const goodsStatus = String(form.goodsStatus ?? '');
    if (!goodsStatusFits(o, goodsStatus)) return fail('5003', '货物状态不合法');
    const reason = refundReasonsFor(goodsStatus)!.find((r) => String(r.id) === String(form.applyReasonId));
    if (!reason) return fail('5004', '退款原因不合法');
    if (reason.needVoucher && !form.vouchers) return fail('5005', '该退款原因需要上传凭证');
    const goods = Number(form.applyPayment);
    const carriage = Number(form.applyCarriage ?? 0);
    if (reason.noRefundCarriage && carriage > 0) return fail('5006', '该退款原因运费退款金额须为0');
    const paid = o.payments.reduce((t, x) => t + x.amount, 0);
    if (
      !Number.isInteger(goods) ||
      !Number.isInteger(carriage) ||
      goods <= 0 ||
      carriage < 0 ||
      carriage > o.postFee ||
      goods + carriage > paid
    )
      return fail('5011', '退款金额错误');
    if (o.status === 'waitsellersend' && goods !== paid - o.postFee) return fail('5011', '未发货退款金额须等于货款实付金额（不含运费）');
    const desc = String(form.description ?? '');
    if ([...desc].length < 2 || [...desc].length > 150) return fail('5012', '退款说明长度错误');
    if (o.refunds.some((r) => r.status !== 'refundclose')) return fail('5010', '已有退款申请');
    if (this.knobs.refundRefuseCode) return fail(this.knobs.refundRefuseCode, '退款申请被拒绝（沙箱演练）');
    const amount = goods + carriage;
    const refund = { refundId: `TQ${randomDigits(17)}`, amount, lineIdx: o.lines.map((_l, i) => i), status: 'refundsuccess', at: simNow() };
    o.refunds.push(refund);
    // Before shipment the seller agrees at once (sandbox): the money goes back and the trade closes.
    this.knobs.balance += amount;
    if (o.status === 'waitsellersend') {
      o.status = 'cancel';
      this.emit('ORDER_BUYER_VIEW_ORDER_BUYER_REFUND_IN_SALES', o, 'refundsuccess');
      this.emit('ORDER_BUYER_VIEW_ORDER_SELLER_CLOSE', o, 'cancel');
    }
    return { result: { success: true, result: { refundId: refund.refundId } } };
  }

  /**
   * 改价: the seller changes the price of an unpaid order (a rise is added to the freight, as sellers mostly do; a
   * cut is a discount on the total) and 1688 sends ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY. Returns the new total (fen).
   */
  changePrice(orderId: string, deltaFen: number): number {
    const o = this.orders.get(orderId);
    if (!o) throw new Error(`no 1688 order ${orderId}`);
    if (o.status !== 'waitbuyerpay') throw new Error(`order ${orderId} is ${o.status}: only an unpaid order's price can change`);
    if (o.totalAmount + deltaFen <= 0) throw new Error('the total must stay above zero');
    if (deltaFen > 0 || o.postFee + deltaFen >= 0) o.postFee += deltaFen;
    o.totalAmount += deltaFen;
    this.emit('ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY', o, 'waitbuyerpay');
    return o.totalAmount;
  }

  /** Money leaves the buyer's account once; the order moves on and the pay message goes out. */
  private takePayment(o: Sim1688Order): void {
    this.knobs.balance -= o.totalAmount;
    o.payments.push({ amount: o.totalAmount, at: simNow(), tradeId: `2026${randomDigits(24)}` });
    o.status = 'waitsellersend';
    this.emit('ORDER_BUYER_VIEW_ORDER_PAY', o, 'waitsellersend');
    this.afterPayment(o);
  }

  /** What a seller does once paid: ship (maybe in two parcels), be late, or find it has no stock. */
  private afterPayment(o: Sim1688Order): void {
    const k = this.knobs;
    if (k.autoShipAfterMs === null) return;
    if (Math.random() < k.stockOutAfterPayRate) {
      o.sellerStockOut = true;
      // A real seller says so: after a while it closes the order and refunds the buyer (SELLER_CLOSE with the refund
      // message), which Daifa must notice and act on.
      if (k.stockOutReportMs !== null) {
        const t = setTimeout(() => this.sellerRefundsStockOut(o.orderId), k.stockOutReportMs);
        this.timers.add(t);
      }
      return;
    }
    if (Math.random() < k.lateRate) {
      o.sellerLate = true;
      return;
    }
    this.scheduleShipping(o);
  }

  /** A seller out of stock closes the paid order and refunds it in full (售中退款, seller-initiated). */
  sellerRefundsStockOut(orderId: string): boolean {
    const o = this.orders.get(orderId);
    if (!o || o.status !== 'waitsellersend' || o.shipments.length) return false;
    const amount = o.payments.reduce((t, p) => t + p.amount, 0);
    o.refunds.push({
      refundId: `TQ${randomDigits(17)}`,
      amount,
      lineIdx: o.lines.map((_l, i) => i),
      status: 'refundsuccess',
      at: simNow(),
    });
    this.knobs.balance += amount;
    o.status = 'cancel';
    this.emit('ORDER_BUYER_VIEW_ORDER_BUYER_REFUND_IN_SALES', o, 'refundsuccess');
    this.emit('ORDER_BUYER_VIEW_ORDER_SELLER_CLOSE', o, 'cancel');
    return true;
  }

  /** The seller ships `autoShipAfterMs` after payment (after a restart, at that same time, or at once if it passed). */
  private scheduleShipping(o: Sim1688Order): void {
    const k = this.knobs;
    const paidAt = o.payments[o.payments.length - 1]?.at ?? simNow();
    const timer = setTimeout(
      () => {
        if (o.status !== 'waitsellersend') return;
        const units = o.lines.reduce((s, l) => s + l.quantity, 0);
        if (o.shipments.length === 0 && units > 1 && Math.random() < k.splitShipRate) {
          // First parcel: the first line (or part of it); the rest follows.
          const first =
            o.lines[0]!.quantity > 1 ? [{ lineIdx: 0, quantity: Math.floor(o.lines[0]!.quantity / 2) }] : [{ lineIdx: 0, quantity: 1 }];
          this.ship(o.orderId, first);
          const t2 = setTimeout(() => this.ship(o.orderId), Math.max(1, k.autoShipAfterMs ?? 0));
          this.timers.add(t2);
        } else this.ship(o.orderId);
      },
      Math.max(1, paidAt + (k.autoShipAfterMs ?? 0) - simNow()),
    );
    this.timers.add(timer);
  }

  /** What a restart must keep (the sandbox of `npm start` saves it to disk): orders, and messages not yet delivered or pulled. */
  exportState(): Alibaba1688SimState {
    return { orders: [...this.orders.values()], msgSeq: this.msgSeq, messages: this.messages.filter((m) => !m.delivered && !m.pulled) };
  }

  /**
   * Puts saved orders back and carries on as the sellers would have: a paid order not shipped yet is shipped
   * (unless its seller is out of stock or late), parcels not signed for move on. Message ids continue where they
   * stopped — Daifa drops a message whose id it has seen. Returns the orders restored.
   */
  importState(state: Alibaba1688SimState): number {
    for (const o of state.orders) this.orders.set(o.orderId, o);
    this.msgSeq = Math.max(this.msgSeq, state.msgSeq);
    this.messages.push(...state.messages);
    if (this.knobs.autoShipAfterMs !== null) {
      for (const o of state.orders)
        if (o.status === 'waitsellersend' && o.payments.length && !o.sellerStockOut && !o.sellerLate) this.scheduleShipping(o);
    }
    if (this.knobs.traceStepMs !== null) {
      for (const o of state.orders)
        for (const parcel of o.shipments) if (parcel.steps[parcel.steps.length - 1]?.status !== 'SIGN') this.scheduleTrace(o, parcel);
    }
    return state.orders.length;
  }

  readonly timers = new Set<NodeJS.Timeout>();
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * The seller's console: send (part of) a paid order. Without items, everything not yet shipped goes out.
   * Returns the parcel, or an error string.
   */
  ship(
    orderId: string,
    items?: { lineIdx: number; quantity: number }[],
    opts: { courier?: string; companyName?: string; mailNo?: string } = {},
  ): SimShipment | string {
    const o = this.orders.get(orderId);
    if (!o) return '订单不存在';
    if (o.status !== 'waitsellersend') return `状态 ${o.status} 不能发货`;
    const shippedOf = (i: number) =>
      o.shipments.reduce((s, p) => s + p.items.filter((x) => x.lineIdx === i).reduce((a, x) => a + x.quantity, 0), 0);
    const want = items ?? o.lines.map((l, i) => ({ lineIdx: i, quantity: l.quantity - shippedOf(i) })).filter((x) => x.quantity > 0);
    for (const it of want)
      if (!o.lines[it.lineIdx] || it.quantity <= 0 || shippedOf(it.lineIdx) + it.quantity > o.lines[it.lineIdx]!.quantity)
        return `第 ${it.lineIdx} 行数量不正确`;
    const offer = this.offers.get(o.lines[0]!.offerId);
    const code = opts.courier ?? offer?.couriers?.[0] ?? 'ZTO';
    const known = COURIER_NAMES_1688[code];
    const companyName = opts.companyName ?? this.knobs.courierNameOverride ?? (known ? `${known}(${code})` : code);
    const parcel: SimShipment = {
      logisticsId: `BX${randomDigits(15)}`,
      companyName,
      companyNo: this.knobs.courierNameOverride ? 'LOCAL' : code,
      mailNo: opts.mailNo ?? mailNoFor(code),
      items: want,
      steps: [{ at: simNow(), status: 'CONSIGN', remark: '卖家已发货' }],
      mailNoChanges: 0,
    };
    o.shipments.push(parcel);
    const all = o.lines.every((l, i) => shippedOf(i) >= l.quantity);
    if (all) o.status = 'waitbuyerreceive';
    this.emit(all ? 'ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS' : 'ORDER_BUYER_VIEW_PART_PART_SENDGOODS', o, o.status);
    this.emitLogistics('LOGISTICS_BUYER_VIEW_TRACE', o, parcel, { statusChanged: 'CONSIGN', changeTime: ts1688(simNow()) });
    if (this.knobs.traceStepMs !== null) this.scheduleTrace(o, parcel);
    return parcel;
  }

  private scheduleTrace(o: Sim1688Order, parcel: SimShipment): void {
    const t = setTimeout(() => {
      if (this.advanceTrace(o.orderId, parcel.logisticsId) && this.knobs.traceStepMs !== null) this.scheduleTrace(o, parcel);
    }, this.knobs.traceStepMs ?? 0);
    this.timers.add(t);
  }

  /** Move a parcel one step along picked up → in transit → delivering → signed. Returns false when already signed. */
  advanceTrace(orderId: string, logisticsId?: string): boolean {
    const o = this.orders.get(orderId);
    const parcel = o?.shipments.find((p) => !logisticsId || p.logisticsId === logisticsId);
    if (!o || !parcel) return false;
    const last = parcel.steps[parcel.steps.length - 1]!.status;
    const next = TRACE_STEPS[TRACE_STEPS.findIndex((s) => s.status === last) + 1];
    if (!next) return false;
    parcel.steps.push({ at: simNow(), status: next.status, remark: next.remark });
    this.emitLogistics('LOGISTICS_BUYER_VIEW_TRACE', o, parcel, { statusChanged: next.status, changeTime: ts1688(simNow()) });
    return next.status !== 'SIGN';
  }

  /** The seller re-prints the waybill: a new tracking number (and maybe courier) for a parcel. */
  changeMailNo(orderId: string, logisticsId?: string, courier?: string): SimShipment | undefined {
    const o = this.orders.get(orderId);
    const parcel = o?.shipments.find((p) => !logisticsId || p.logisticsId === logisticsId);
    if (!o || !parcel) return undefined;
    const old = { cpCode: parcel.companyNo, mailNo: parcel.mailNo };
    if (courier) {
      parcel.companyNo = courier;
      parcel.companyName = `${COURIER_NAMES_1688[courier] ?? courier}(${courier})`;
    }
    parcel.mailNo = mailNoFor(parcel.companyNo);
    parcel.mailNoChanges++;
    this.emitLogistics('LOGISTICS_MAIL_NO_CHANGE', o, parcel, {
      oldCpCode: old.cpCode,
      newCpCode: parcel.companyNo,
      oldMailNo: old.mailNo,
      newMailNo: parcel.mailNo,
      eventTime: ts1688(simNow()),
    });
    return parcel;
  }

  /** Logistics messages carry their model under a topic-specific key and list the order entries concerned. */
  private emitLogistics(
    type: 'LOGISTICS_BUYER_VIEW_TRACE' | 'LOGISTICS_MAIL_NO_CHANGE',
    o: Sim1688Order,
    parcel: SimShipment,
    fields: Record<string, string>,
  ): void {
    const model = {
      logisticsId: parcel.logisticsId,
      cpCode: parcel.companyNo,
      mailNo: parcel.mailNo,
      ...fields,
      orderLogsItems: parcel.items.map((it) => ({ orderId: o.orderId, orderEntryId: subItemId(o, it.lineIdx) })),
    };
    this.emitRaw(type, o, type === 'LOGISTICS_MAIL_NO_CHANGE' ? { MailNoChangeModel: model } : { OrderLogisticsTracingModel: model });
  }

  /** The cashier a payment link opens: a person pays every listed order that still waits (what the browser does). */
  payAtCashier(orderIds: string[]): { paid: string[]; refused: { orderId: string; reason: string }[] } {
    const paid: string[] = [];
    const refused: { orderId: string; reason: string }[] = [];
    for (const id of orderIds) {
      const o = this.orders.get(id);
      if (!o || o.status !== 'waitbuyerpay') refused.push({ orderId: id, reason: o ? `状态 ${o.status}` : '订单不存在' });
      else if (this.knobs.balance < o.totalAmount) refused.push({ orderId: id, reason: '余额不足' });
      else {
        this.takePayment(o);
        paid.push(id);
      }
    }
    return { paid, refused };
  }

  private oauth(appKey: string, form: Record<string, string>, reply: FastifyReply) {
    if (this.apps.get(appKey) !== form.client_secret || form.client_id !== appKey)
      return reply.code(400).send({ error: 'invalid_client', error_description: 'client id or secret wrong' });
    const refresh = form.refresh_token ?? form.refreshToken;
    let memberId: string | undefined;
    if (form.grant_type === 'refresh_token') memberId = [...this.tokens.values()].find((t) => t.refreshToken === refresh)?.memberId;
    else if (form.grant_type === 'authorization_code' && form.code) memberId = `b2b-${randomDigits(10)}`;
    if (!memberId) return reply.code(400).send({ error: 'invalid_grant', error_description: 'code or refresh token invalid' });
    const t = this.issueToken(memberId);
    return reply.send({
      aliId: randomDigits(10),
      resource_owner: 'sandbox_buyer',
      memberId,
      expires_in: String(Math.floor(this.knobs.accessTokenTtlMs / 1000)),
      refresh_token: form.grant_type === 'refresh_token' ? refresh : t.refreshToken,
      refresh_token_timeout: ts1688(simNow() + 180 * 86_400_000).slice(0, 14) + '+0800',
      access_token: t.accessToken,
    });
  }

  /**
   * Validation shared by preview and create, in the documented order (1688 §2.2 error table). The order flow decides
   * what applies: `general` (wholesale) checks MOQ (500_005); `saleproxy` needs the 代销 relationship (500_007);
   * `fenxiao` the distribution relationship (its refusal code is not published [U]: 500_007's code with the 分销 text).
   */
  private check(
    cargo: { offerId: string | number; specId?: string; quantity: number }[],
    flow: string,
  ): { code: string; message: string; offerId?: string; specId?: string } | undefined {
    const sellers = new Set<string>();
    for (const c of cargo) {
      const offer = this.offers.get(String(c.offerId));
      if (!offer || !offer.online)
        return { code: '500_001', message: `商品[${c.offerId}]不支持在线交易，无法下单`, offerId: String(c.offerId) };
      sellers.add(offer.sellerMemberId);
      if (offer.skus.length > 1 && !c.specId)
        return { code: '500_002', message: '商品不属于同一卖家或者没有指定specId', offerId: offer.offerId };
      const sku = c.specId ? offer.skus.find((s) => s.specId === c.specId) : offer.skus[0];
      if (!sku) return { code: '500_003', message: `规格[${c.specId}]不属于商品[${c.offerId}]`, offerId: offer.offerId, specId: c.specId };
      if (flow === 'saleproxy' && !offer.relationFlows?.includes('saleproxy'))
        return { code: '500_007', message: '与供应商的代销关系不存在,不能使用saleproxy通道下单', offerId: offer.offerId };
      if (flow === 'fenxiao' && !offer.relationFlows?.includes('fenxiao'))
        return { code: '500_007', message: '与供应商的分销关系不存在,不能使用fenxiao通道下单', offerId: offer.offerId };
      if (sku.stock < c.quantity)
        return {
          code: '500_004',
          message: `商品[${offer.offerId}_${sku.specId}]库存不足，请核实库存后订购`,
          offerId: offer.offerId,
          specId: sku.specId,
        };
      if (flow === 'general' && c.quantity < offer.moq)
        return { code: '500_005', message: '购买数量不满足起批量限制', offerId: offer.offerId, specId: sku.specId };
    }
    if (sellers.size > 1) return { code: '500_002', message: '商品不属于同一卖家或者没有指定specId' };
    return undefined;
  }

  /** The flow asked for; none (preview only): the best one open to this buyer — a dropship relationship first. */
  private flowOf(form: Record<string, string>, cargo: { offerId: string | number }[]): string | { error: string } {
    if (form.flow)
      return ['general', 'saleproxy', 'fenxiao'].includes(form.flow) ? form.flow : { error: `flow ${form.flow} 不支持（沙箱）` };
    const offer = this.offers.get(String(cargo[0]?.offerId));
    return offer?.relationFlows?.[0] ?? 'general';
  }

  /**
   * The receiver and the encrypted-order envelope, checked alike by preview and create (the preview gets the same
   * encryptOutOrderInfo as the create): `outPlatformAppkey` is required (必填, 1688 §10); the encryptReceiver* fields
   * are downstream ciphertext, never display-masked text; a plain order's address may not be masked.
   */
  private checkReceiver(form: Record<string, string>, cargo: { offerId: string | number }[]): string | undefined {
    let address: Record<string, unknown>;
    let encrypted: Record<string, unknown> | undefined;
    try {
      address = JSON.parse(form.addressParam ?? '{}');
      encrypted = form.encryptOutOrderInfo ? JSON.parse(form.encryptOutOrderInfo) : undefined;
    } catch {
      return 'addressParam/encryptOutOrderInfo invalid';
    }
    const masked = (v: unknown) => typeof v === 'string' && /[*＊]/.test(v);
    if (encrypted?.encryptOrder === true) {
      const first = this.offers.get(String(cargo[0]?.offerId));
      if (first && !first.acceptsEncrypted) return '该商家不支持加密订单';
      if (!encrypted.outPlatformAppkey) return 'encryptOutOrderInfo.outPlatformAppkey 必填';
      if (encrypted.outPlatformCode !== 'weixin' || !encrypted.outPlatformOrderNo)
        return 'encryptOutOrderInfo 缺少 outPlatformCode/outPlatformOrderNo';
      const fake = ['encryptReceiverName', 'encryptReceiverMobile', 'encryptReceiverAddress'].find((k) => masked(encrypted![k]));
      if (fake) return `${fake} 不是下游平台密文（脱敏文本）`;
      return undefined;
    }
    // Plain orders need a real address: a masked one would be shipped to nobody.
    if (Object.values(address).some(masked)) return '收货地址包含脱敏字符';
    return undefined;
  }

  private parseCargo(form: Record<string, string>) {
    try {
      return JSON.parse(form.cargoParamList ?? '[]') as { offerId: string | number; specId?: string; quantity: number }[];
    } catch {
      return [];
    }
  }

  private preview(form: Record<string, string>) {
    const cargo = this.parseCargo(form);
    const flow = this.flowOf(form, cargo);
    if (typeof flow !== 'string') return { success: false, errorCode: '400', errorMsg: flow.error };
    const receiver = this.checkReceiver(form, cargo);
    if (receiver) return { success: false, errorCode: '400', errorMsg: receiver };
    const bad = this.check(cargo, flow);
    if (bad) return { success: false, errorCode: bad.code, errorMsg: bad.message };
    const lines = cargo.map((c) => {
      const offer = this.offers.get(String(c.offerId))!;
      const sku = c.specId ? offer.skus.find((s) => s.specId === c.specId)! : offer.skus[0]!;
      return { offer, sku, quantity: c.quantity };
    });
    const freight = lines[0]!.offer.freight;
    const goods = lines.reduce((s, l) => s + l.sku.price * l.quantity, 0);
    return {
      success: true,
      orderPreviewResuslt: [
        {
          status: true,
          flowFlag: flow,
          tradeModeNameList: ['assureTrade'],
          sumPayment: goods + freight,
          sumCarriage: freight,
          sumPaymentNoCarriage: goods,
          discountFee: 0,
          cargoList: lines.map((l) => ({
            offerId: l.offer.offerId,
            specId: l.sku.specId,
            skuId: l.sku.skuId,
            amount: yuan(l.sku.price * l.quantity),
            finalUnitPrice: yuan(l.sku.price),
            cargoPromotionList: [],
          })),
          tradeModelList: [{ tradeType: 'assureTrade', name: '担保交易', opSupport: true }],
        },
      ],
    };
  }

  /** Orders by outOrderId (a create looks for its earlier attempt): rebuilt when orders were added another way. */
  private readonly outIndex = new Map<string, Sim1688Order[]>();
  private outIndexed = 0;
  private byOutOrderId(outOrderId: string): Sim1688Order[] {
    if (this.outIndexed !== this.orders.size) {
      this.outIndex.clear();
      for (const o of this.orders.values()) this.indexOut(o);
      this.outIndexed = this.orders.size;
    }
    return this.outIndex.get(outOrderId) ?? [];
  }

  private indexOut(o: Sim1688Order): void {
    if (!o.outOrderId) return;
    const list = this.outIndex.get(o.outOrderId);
    if (list) list.push(o);
    else this.outIndex.set(o.outOrderId, [o]);
  }

  private addOrder(order: Sim1688Order): void {
    const current = this.outIndexed === this.orders.size;
    this.orders.set(order.orderId, order);
    if (!current) return; // the next lookup rebuilds the index
    this.indexOut(order);
    this.outIndexed = this.orders.size;
  }

  private create(form: Record<string, string>, buyer: string): { created: boolean; body: unknown } {
    const outOrderId = form.outOrderId;
    const existing = outOrderId ? this.byOutOrderId(outOrderId).find((o) => o.buyerMemberId === buyer) : undefined;
    if (existing && this.knobs.duplicateOutOrderId === 'return-existing')
      return {
        created: false,
        body: {
          success: true,
          result: { orderId: existing.orderId, totalSuccessAmount: existing.totalAmount, postFee: existing.postFee, failedOfferList: [] },
        },
      };
    if (existing && this.knobs.duplicateOutOrderId === 'reject')
      return { created: false, body: { success: false, code: '400', message: `outOrderId ${outOrderId} 已存在` } };
    const all = this.parseCargo(form);
    const failedOfferList = all
      .filter((c) => c.specId && this.knobs.failSpecIds.includes(c.specId))
      .map((c) => ({ offerId: c.offerId, specId: c.specId, errorCode: '500_004', errorMessage: '库存不足' }));
    const cargo = all.filter((c) => !(c.specId && this.knobs.failSpecIds.includes(c.specId)));
    if (cargo.length === 0) return { created: false, body: { success: false, code: '500_004', message: '库存不足' } };
    // The create is never left to choose: a missing flow is the wholesale one (fastCreateOrder's default, 1688 §2.3).
    const flow = this.flowOf({ ...form, flow: form.flow || 'general' }, cargo);
    if (typeof flow !== 'string') return { created: false, body: { success: false, code: '400', message: flow.error } };
    const bad = this.check(cargo, flow);
    if (bad) return { created: false, body: { success: false, code: bad.code, message: bad.message } };
    let address: Record<string, string>;
    try {
      address = JSON.parse(form.addressParam ?? '{}');
    } catch {
      return { created: false, body: { success: false, code: '400', message: 'addressParam invalid' } };
    }
    if (!address.fullName || !address.address || !(address.mobile || address.phone))
      return { created: false, body: { success: false, code: '400', message: 'AddressId invalid:收货地址不完整' } };
    const first = this.offers.get(String(cargo[0]!.offerId))!;
    let encrypted: Record<string, unknown> | undefined;
    try {
      encrypted = form.encryptOutOrderInfo ? JSON.parse(form.encryptOutOrderInfo) : undefined;
    } catch {
      return { created: false, body: { success: false, code: '400', message: 'encryptOutOrderInfo invalid' } };
    }
    const receiver = this.checkReceiver(form, cargo);
    if (receiver) return { created: false, body: { success: false, code: '400', message: receiver } };
    const lines = cargo.map((c) => {
      const offer = this.offers.get(String(c.offerId))!;
      const sku = c.specId ? offer.skus.find((s) => s.specId === c.specId)! : offer.skus[0]!;
      sku.stock -= c.quantity;
      return {
        offerId: offer.offerId,
        specId: sku.specId,
        quantity: c.quantity,
        price: sku.price + this.knobs.priceRiseFen,
        title: offer.title,
        attrs: sku.attrs,
      };
    });
    const order: Sim1688Order = {
      orderId: `${randomInt(1, 9)}${randomDigits(17)}`,
      outOrderId,
      buyerMemberId: buyer,
      sellerMemberId: first.sellerMemberId,
      status: 'waitbuyerpay',
      address,
      message: form.message ?? '',
      lines,
      postFee: first.freight,
      totalAmount: lines.reduce((s, l) => s + l.price * l.quantity, 0) + first.freight,
      createdAt: simNow(),
      encrypted,
      flow,
      payments: [],
      shipments: [],
      refunds: [],
    };
    this.addOrder(order);
    this.emit('ORDER_BUYER_VIEW_BUYER_MAKE', order, 'waitbuyerpay');
    return {
      created: true,
      body: {
        success: true,
        result: { orderId: order.orderId, totalSuccessAmount: order.totalAmount, postFee: order.postFee, failedOfferList },
      },
    };
  }

  /** buyerView TradeInfo: amounts in yuan, ids as bare numbers, idOfStr exact. */
  private tradeInfo(o: Sim1688Order) {
    const a = o.address;
    const name = this.knobs.readBackMismatch ? `${a.fullName}x` : a.fullName;
    const seller = [...this.offers.values()].find((x) => x.sellerMemberId === o.sellerMemberId);
    return {
      baseInfo: {
        id: o.orderId,
        idOfStr: String(o.orderId),
        status: o.status,
        outOrderId: o.outOrderId,
        createTime: ts1688(o.createdAt),
        totalAmount: yuan(o.totalAmount),
        sumProductPayment: yuan(o.totalAmount - o.postFee),
        shippingFee: yuan(o.postFee),
        buyerID: o.buyerMemberId,
        sellerID: o.sellerMemberId,
        sellerLoginId: seller?.sellerLoginId,
        sellerCreditLevel: seller?.creditLevel,
        alipayTradeId: o.payments[0]?.tradeId ?? 'UNCREAT',
        tradeTypeCode: 'assureTrade',
        receiverInfo: {
          toFullName: name,
          toMobile: a.mobile ?? '',
          toPhone: a.phone ?? '',
          toPost: a.postCode ?? '',
          toArea: `${a.provinceText} ${a.cityText} ${a.areaText}${a.townText ? ` ${a.townText}` : ''}`,
        },
      },
      nativeLogistics: {
        province: a.provinceText,
        city: a.cityText,
        area: a.areaText,
        town: a.townText ?? '',
        address: a.address,
        contactPerson: name,
        mobile: a.mobile ?? '',
        telephone: a.phone ?? '',
        zip: a.postCode ?? '',
        logisticsItems: [],
      },
      productItems: o.lines.map((l, i) => ({
        productID: Number(l.offerId),
        specId: l.specId,
        skuID: this.offers.get(l.offerId)?.skus.find((s) => s.specId === l.specId)?.skuId,
        subItemID: `${o.orderId.slice(0, -2)}${String(i).padStart(2, '0')}`,
        subItemIDString: `${o.orderId.slice(0, -2)}${String(i).padStart(2, '0')}`,
        name: l.title,
        quantity: l.quantity,
        price: yuan(l.price),
        itemAmount: yuan(l.price * l.quantity),
        skuInfos: l.attrs,
        status: o.status,
        logisticsStatus: o.shipments.some((sh) => sh.items.some((it) => it.lineIdx === i)) ? 2 : 1,
      })),
      tradeTerms: [{ payStatus: o.status === 'waitbuyerpay' ? '1' : '2', phasAmount: yuan(o.totalAmount) }],
      orderBizInfo: { dropshipping: true },
      fromEncryptOrder: Boolean(o.encrypted?.encryptOrder),
    };
  }
}

/** 1688 prints courier names (sometimes with the code in brackets); these are the sandbox sellers' couriers. */
export const COURIER_NAMES_1688: Record<string, string> = {
  ZTO: '中通快递',
  YTO: '圆通速递',
  YUNDA: '韵达快递',
  STO: '申通快递',
  JTSD: '极兔速递',
  SF: '顺丰速运',
  JD: '京东物流',
  EMS: '邮政EMS',
};

const TRACE_STEPS = [
  { status: 'CONSIGN', remark: '卖家已发货' },
  { status: 'ACCEPT', remark: '快递员已揽件' },
  { status: 'TRANSPORT', remark: '快件运输中，已到达转运中心' },
  { status: 'DELIVERING', remark: '快件派送中' },
  { status: 'SIGN', remark: '快件已签收' },
];

/** A plausible tracking number for the courier (SF: SF + 13 digits; JD: JD + 13; others 12–15 digits). */
function mailNoFor(code: string): string {
  if (code === 'SF') return `SF${randomDigits(13)}`;
  if (code === 'JD') return `JD${randomDigits(13)}`;
  if (code === 'JTSD') return `JT${randomDigits(13)}`;
  if (code === 'YTO') return `YT${randomDigits(13)}`;
  return randomDigits(code === 'EMS' ? 13 : 14);
}

const subItemId = (o: Sim1688Order, i: number) => `${o.orderId.slice(0, -2)}${String(i).padStart(2, '0')}`;

/**
 * Refund reasons per goods status, as getRefundReasonList answers them (ids differ by status: the official samples show
 * 20021 and 20028 for 售中 refunds; the rest of the sandbox's list is invented and only its shape matters).
 */
const REFUND_REASONS: Record<string, { id: number; name: string; needVoucher: boolean; noRefundCarriage: boolean }[]> = {
  refundWaitSellerSend: [
    { id: 20021, name: '我不想要了', needVoucher: false, noRefundCarriage: false },
    { id: 20028, name: '缺货', needVoucher: false, noRefundCarriage: false },
    { id: 20030, name: '协商一致退款', needVoucher: false, noRefundCarriage: true },
  ],
  refundWaitBuyerReceive: [
    { id: 20101, name: '不想要了（已发货）', needVoucher: false, noRefundCarriage: true },
    { id: 20102, name: '快递一直未送达', needVoucher: true, noRefundCarriage: false },
  ],
};
const refundReasonsFor = (goodsStatus: string) => REFUND_REASONS[goodsStatus];
/** 售中 goods statuses fit the order's status: not shipped ↔ refundWaitSellerSend, shipped ↔ refundWaitBuyerReceive. */
const goodsStatusFits = (o: Sim1688Order, goodsStatus: string) =>
  o.status === 'waitsellersend'
    ? goodsStatus === 'refundWaitSellerSend'
    : o.status === 'waitbuyerreceive'
      ? goodsStatus === 'refundWaitBuyerReceive'
      : false;
