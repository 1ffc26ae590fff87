import { addressHasMaskedParts, checkDivisions, classifyPhone, isMasked } from './address.js';
import type { OrderSnapshot, Reason } from './shop-order.js';
import { hasRequests, parseSpecialRequests, describeRequests, type SpecialRequests } from './special-requests.js';

export interface CheckContext {
  /** Another order in this shop with the same address hash and the same items inside the duplicate window. */
  possibleDuplicateOf?: string;
}

export interface CheckResult {
  /** Blocking: the order waits in NeedsReview until a person resolves it. */
  reasons: Reason[];
  /** Informational, carried to later steps (e.g. the address is masked and must be decoded or sent encrypted). */
  notes: Reason[];
  requests: SpecialRequests;
}

const IMPERATIVE = /(请|要|不要|别|必须|务必|换|改|改成|换成|一定|麻烦|帮我|备注|加急|急|到付)/;

/** 订单信息确认: every check of seed step 2, pure, each with a reason code and a Chinese message. */
export function checkOrder(o: OrderSnapshot, ctx: CheckContext = {}): CheckResult {
  const reasons: Reason[] = [];
  const notes: Reason[] = [];
  const a = o.address;

  if (o.lines.length === 0) reasons.push({ code: 'NO_LINES', message: '订单没有商品行' });

  const missing = [
    ['收货人', a.userName],
    ['电话', a.telNumber || a.virtualTelNumber],
    ['省份', a.provinceName],
    ['城市', a.cityName],
    ['区县', a.countyName],
    ['详细地址', a.detailInfo],
  ].filter(([, v]) => !v || !String(v).trim());
  if (missing.length) {
    reasons.push({ code: 'ADDRESS_INCOMPLETE', message: `收货地址不完整：缺少${missing.map(([n]) => n).join('、')}` });
  }

  if (a.provinceName && a.cityName && a.countyName && !isMasked(a.provinceName + a.cityName + a.countyName)) {
    const d = checkDivisions(a.provinceName, a.cityName, a.countyName);
    if (!d.ok)
      reasons.push({
        code: 'ADDRESS_DIVISION_MISMATCH',
        message: `省市区不匹配：${d.message}`,
        detail: `${a.provinceName}/${a.cityName}/${a.countyName}`,
      });
  }

  if (addressHasMaskedParts(a)) {
    notes.push({ code: 'ADDRESS_MASKED', message: '收货信息为脱敏数据：下单时需解密（记录用途）或走平台加密/代发通道' });
  }

  const phone = a.virtualTelNumber && a.useTelNumber ? a.virtualTelNumber : a.telNumber;
  if (phone) {
    const kind = classifyPhone(phone);
    if (kind === 'invalid') reasons.push({ code: 'PHONE_INVALID', message: `电话号码格式不正确：${maskForMessage(phone)}` });
    if (kind === 'virtual') notes.push({ code: 'PHONE_VIRTUAL', message: '买家使用隐私号（带分机号），需把分机号一并传给供应商' });
  }

  for (const l of o.lines) {
    if (l.onAftersaleCnt > 0 || l.finishAftersaleCnt > 0) {
      reasons.push({
        code: 'LINE_IN_AFTERSALE',
        message: `商品“${l.title}”有售后（进行中 ${l.onAftersaleCnt}，已完成 ${l.finishAftersaleCnt}）`,
        detail: l.skuId,
      });
    }
    if (!Number.isInteger(l.quantity) || l.quantity <= 0)
      reasons.push({ code: 'QUANTITY_INVALID', message: `商品“${l.title}”数量异常：${l.quantity}`, detail: l.skuId });
    if (!l.isFreeGift && l.paidAmount <= 0)
      reasons.push({ code: 'AMOUNT_INVALID', message: `商品“${l.title}”实付金额为 ${l.paidAmount} 分`, detail: l.skuId });
  }
  if (o.orderPrice <= 0) reasons.push({ code: 'AMOUNT_INVALID', message: `订单实付金额为 ${o.orderPrice} 分` });

  const requests = parseSpecialRequests(o.customerNotes);
  if (hasRequests(requests)) notes.push({ code: 'SPECIAL_REQUESTS', message: `买家特殊要求：${describeRequests(requests)}` });
  const unclear = requests.rest.filter((c) => IMPERATIVE.test(c));
  if (unclear.length) {
    reasons.push({ code: 'BUYER_NOTE_UNPARSED', message: `买家留言需人工确认：“${unclear.join('，')}”` });
  }

  if (ctx.possibleDuplicateOf) {
    reasons.push({
      code: 'DUPLICATE_SUSPECTED',
      message: `疑似重复下单：与订单 ${ctx.possibleDuplicateOf} 地址和商品相同`,
      detail: ctx.possibleDuplicateOf,
    });
  }

  return { reasons, notes, requests };
}

/** Messages may quote a phone only in masked form (no buyer plaintext in logs or alerts). */
function maskForMessage(phone: string): string {
  return phone.length > 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '***';
}

/** A fingerprint of the items, to spot the same basket ordered twice. */
export function itemsFingerprint(o: Pick<OrderSnapshot, 'lines'>): string {
  return o.lines
    .map((l) => `${l.productId}:${l.skuId}x${l.quantity}`)
    .sort()
    .join('|');
}
