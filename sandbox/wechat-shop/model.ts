import { createHash, randomInt } from 'node:crypto';
import { randomAlnum, randomDigits } from '../../src/lib/random.js';

/** Simulator-side state of one WeChat Shop order, close to the wire format of reference §3.3. */
export interface SimLine {
  productId: string;
  skuId: string;
  title: string;
  attrs: { attr_key: string; attr_value: string }[];
  cnt: number;
  salePrice: number;
  realPrice: number;
  deadline: number;
  onAftersale: number;
  finishAftersale: number;
  uniqueId: string;
  shipped: number;
  /** Native dropship assignment of this line (代发单). */
  dropship?: { dsOrderId: string; supplierAppId: string };
}

export interface SimAddress {
  userName: string;
  tel: string;
  province: string;
  city: string;
  county: string;
  detail: string;
  postalCode: string;
  virtualTel?: string;
}

export interface SimPackage {
  waybill_id: string;
  delivery_id: string;
  delivery_name: string;
  delivery_time: number;
  deliver_type: number;
  product_infos: { product_id: string; sku_id: string; product_cnt: number }[];
}

export interface SimAftersale {
  id: string;
  orderId: string;
  productId: string;
  skuId: string;
  count: number;
  amount: number;
  status: string;
  type: 'REFUND' | 'RETURN';
  createTime: number;
  updateTime: number;
  /** refund_info.refund_reason: 4 (未发货售后平台自动同意) unless the merchant started it by API (3). */
  refundReason?: number;
  /** genaftersaleorder's request_id: a retry with the same id answers the same after-sale. */
  requestId?: string;
  /** genaftersaleorder's reason (售后原因 enum string) and desc. */
  reason?: string;
  desc?: string;
}

export interface SimOrder {
  orderId: string;
  status: number;
  createTime: number;
  updateTime: number;
  payTime?: number;
  openid: string;
  lines: SimLine[];
  freight: number;
  address: SimAddress;
  notes: string;
  merchantNotes: string;
  packages: SimPackage[];
  shipDoneTime?: number;
  /** Settlement (after the after-sale window): the platform's commission is then final. */
  settleTime?: number;
  deliveryInfoChanges: number;
  /** Delivery negotiations (发货协商) and the buyer's answers. */
  negotiations?: {
    original: number;
    predict: number;
    reason: number;
    remark: string;
    state: number;
    createTime: number;
    updateTime: number;
  }[];
  aftersales: SimAftersale[];
  /** When the sandbox buyer will ask for a refund (the generator's refund scenario); cleared once asked. */
  refundAt?: number;
}

let seq = 0;
/** 19-digit order ids starting with 37, like WeChat's; unique within the process. */
export function newOrderId(): string {
  seq = (seq + 1) % 100_000;
  return `37${randomDigits(12)}${String(seq).padStart(5, '0')}`;
}
export const newAftersaleId = (): string => `2000${randomDigits(12)}`;
export const newOpenid = (): string => `o${randomAlnum(27)}`;
export const rid = (): string => `${randomHex(8)}-${randomHex(8)}-${randomHex(8)}`;
const randomHex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[randomInt(16)]).join('');

export function addressHash(a: SimAddress): string {
  return createHash('md5').update(`${a.userName}|${a.tel}|${a.province}|${a.city}|${a.county}|${a.detail}`).digest('hex');
}

export function maskName(name: string): string {
  return name ? `${[...name][0]}**` : '';
}
export function maskPhone(tel: string): string {
  return tel.length >= 7 ? `${tel.slice(0, 3)}****${tel.slice(-4)}` : '****';
}

/** The wire `order` object. `masked` mirrors order/get today (always masked); decode returns plaintext separately. */
export function toWireOrder(o: SimOrder, opts: { masked: boolean }): Record<string, unknown> {
  const a = o.address;
  const productPrice = o.lines.reduce((s, l) => s + l.salePrice * l.cnt, 0);
  const orderPrice = o.lines.reduce((s, l) => s + l.realPrice, 0) + o.freight;
  const addressInfo: Record<string, unknown> = {
    user_name: opts.masked ? maskName(a.userName) : a.userName,
    postal_code: a.postalCode,
    province_name: a.province,
    city_name: a.city,
    county_name: a.county,
    detail_info: opts.masked ? '****' : a.detail,
    national_code: '',
    tel_number: opts.masked || a.virtualTel ? maskPhone(a.tel) : a.tel,
    house_number: '',
    virtual_order_tel_number: '',
    use_tel_number: a.virtualTel ? 1 : 0,
    hash_code: addressHash(a),
  };
  if (a.virtualTel) {
    addressInfo.tel_number_ext_info = {
      real_tel_number: maskPhone(a.tel),
      virtual_tel_number: a.virtualTel,
      virtual_tel_expire_time: o.createTime + 30 * 86400,
      get_virtual_tel_cnt: 0,
    };
  }
  return {
    order_id: o.orderId,
    status: o.status,
    create_time: o.createTime,
    update_time: o.updateTime,
    openid: o.openid,
    order_detail: {
      product_infos: o.lines.map((l) => ({
        product_id: l.productId,
        sku_id: l.skuId,
        sku_cnt: l.cnt,
        on_aftersale_sku_cnt: l.onAftersale,
        finish_aftersale_sku_cnt: l.finishAftersale,
        title: l.title,
        thumb_img: 'https://mmecimage.cn/p/sandbox/thumb.jpg',
        sale_price: l.salePrice,
        market_price: l.salePrice + 1000,
        real_price: l.realPrice,
        estimate_price: l.realPrice,
        sku_attrs: l.attrs,
        delivery_deadline: l.deadline,
        product_unique_id: l.uniqueId,
        ...(l.dropship ? { dropship_info: { ds_order_id: l.dropship.dsOrderId } } : {}),
        is_free_gift: 0,
        sku_deliver_info: { stock_type: 0 },
        extra_service: { seven_day_return: 1, freight_insurance: 0 },
      })),
      pay_info: o.payTime
        ? {
            prepay_id: `wx${randomDigits(20)}`,
            prepay_time: o.createTime,
            pay_time: o.payTime,
            transaction_id: `42000${randomDigits(23)}`,
            payment_method: 1,
          }
        : {},
      price_info: {
        product_price: productPrice,
        order_price: orderPrice,
        freight: o.freight,
        discounted_price: productPrice - orderPrice + o.freight,
        is_discounted: productPrice + o.freight !== orderPrice,
      },
      delivery_info: {
        address_info: addressInfo,
        delivery_product_info: o.packages,
        ship_done_time: o.shipDoneTime ?? 0,
        deliver_method: 0,
        ewaybill_order_code: `EWB${o.orderId}`,
        dropship_flag: o.lines.every((l) => l.dropship) ? 3 : o.lines.some((l) => l.dropship) ? 2 : 1,
      },
      ext_info: { customer_notes: o.notes, merchant_notes: o.merchantNotes, order_scene: 2 },
      // A technical-service fee of 1% (the sandbox's rate; real rates vary by category).
      settle_info: {
        predict_commission_fee: Math.round(orderPrice * 0.01),
        ...(o.settleTime ? { commission_fee: Math.round(orderPrice * 0.01), settle_time: o.settleTime } : {}),
      },
    },
    aftersale_detail: {
      on_aftersale_order_cnt: o.aftersales.filter((s) => !TERMINAL_AFTERSALE.has(s.status)).length,
      aftersale_order_list: o.aftersales.map((s) => ({
        aftersale_order_id: s.id,
        status: s.status === 'MERCHANT_REFUND_SUCCESS' ? 13 : 2,
      })),
    },
  };
}

export const TERMINAL_AFTERSALE = new Set([
  'USER_CANCELD',
  'MERCHANT_REFUND_RETRY_FAIL',
  'MERCHANT_FAIL',
  'MERCHANT_REFUND_SUCCESS',
  'MERCHANT_RETURN_SUCCESS',
  'RETURN_CLOSED',
]);
