import type { Address } from '../../domain/address.js';
import type { OrderLine, OrderSnapshot } from '../../domain/shop-order.js';
import { idString } from '../../lib/lossless-json.js';

/** WeChat wire format → domain. Every field is optional on the wire; missing numbers become 0, strings ''. */
const num = (v: unknown): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : 0;
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const obj = (v: unknown): Record<string, any> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : {});
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

export function mapAddress(raw: unknown): Address {
  const a = obj(raw);
  const ext = obj(a.tel_number_ext_info);
  return {
    userName: str(a.user_name),
    telNumber: str(a.tel_number),
    provinceName: str(a.province_name),
    cityName: str(a.city_name),
    countyName: str(a.county_name),
    detailInfo: str(a.detail_info),
    postalCode: str(a.postal_code) || undefined,
    houseNumber: str(a.house_number) || undefined,
    hashCode: str(a.hash_code) || undefined,
    virtualTelNumber: str(ext.virtual_tel_number) || undefined,
    useTelNumber: num(a.use_tel_number) === 1,
  };
}

export function mapOrder(raw: Record<string, unknown>): OrderSnapshot {
  const detail = obj(raw.order_detail);
  const price = obj(detail.price_info);
  const pay = obj(detail.pay_info);
  const ext = obj(detail.ext_info);
  const delivery = obj(detail.delivery_info);
  const aftersale = obj(raw.aftersale_detail);
  const settle = obj(detail.settle_info);
  const lines: OrderLine[] = arr(detail.product_infos).map((p, i) => {
    const quantity = num(p.sku_cnt);
    const unitPrice = num(p.sale_price);
    // real_price is the line total actually paid; older payloads may lack it — fall back to estimate/sale × qty.
    const paid =
      p.real_price !== undefined ? num(p.real_price) : p.estimate_price !== undefined ? num(p.estimate_price) : unitPrice * quantity;
    return {
      lineNo: i + 1,
      productId: idString(p.product_id) ?? '',
      skuId: idString(p.sku_id) ?? '',
      productUniqueId: str(p.product_unique_id) || undefined,
      title: str(p.title),
      skuAttrs: arr(p.sku_attrs).map((x) => ({ key: str(x?.attr_key), value: str(x?.attr_value) })),
      quantity,
      unitPrice,
      paidAmount: paid,
      deliveryDeadline: p.delivery_deadline !== undefined ? num(p.delivery_deadline) : undefined,
      onAftersaleCnt: num(p.on_aftersale_sku_cnt),
      finishAftersaleCnt: num(p.finish_aftersale_sku_cnt),
      isFreeGift: num(p.is_free_gift) === 1,
    };
  });
  return {
    wxOrderId: idString(raw.order_id) ?? '',
    status: num(raw.status),
    createTime: num(raw.create_time),
    updateTime: num(raw.update_time),
    payTime: pay.pay_time !== undefined ? num(pay.pay_time) : undefined,
    orderPrice: num(price.order_price),
    productPrice: num(price.product_price),
    freight: num(price.freight),
    customerNotes: str(ext.customer_notes),
    merchantNotes: str(ext.merchant_notes),
    address: mapAddress(delivery.address_info),
    lines,
    onAftersaleOrderCnt: num(aftersale.on_aftersale_order_cnt),
    aftersaleIds: arr(aftersale.aftersale_order_list)
      .map((x) => str(x.aftersale_order_id))
      .filter(Boolean),
    commission: {
      predicted: settle.predict_commission_fee !== undefined ? num(settle.predict_commission_fee) : undefined,
      settled: settle.commission_fee !== undefined && settle.commission_fee !== '' ? num(settle.commission_fee) : undefined,
      settleTime: settle.settle_time ? num(settle.settle_time) : undefined,
    },
  };
}

/** A parcel WeChat shows as shipped for an order: its waybill, courier and the units of each SKU in it. */
export interface WxPackage {
  waybillId: string;
  deliveryId: string;
  /** The courier's name as WeChat shows it ('' when not given). */
  deliveryName: string;
  /** When it was handed to the courier (Unix seconds; 0 when not given). */
  deliveryTime: number;
  products: { skuId: string; count: number }[];
}

/** What an order's wire form says about shipping: parcels, per-line after-sales and 代发 assignments. */
export interface WxShipments {
  packages: WxPackage[];
  /** Each product line as WeChat has it: its SKU, units in an after-sale, its WeChat-dropship 代发单 once assigned. */
  products: { productId: string; skuId: string; onAftersaleCnt: number; finishAftersaleCnt: number; dropshipOrderId?: string }[];
  /** aftersale_detail.on_aftersale_order_cnt: after-sales open on the order. */
  onAftersaleOrderCnt: number;
  /** delivery_info.ewaybill_order_code: the code an electronic-waybill supplier prints with ('' when none). */
  ewaybillOrderCode: string;
}

const mapPackage = (p: Record<string, any>): WxPackage => ({
  waybillId: str(p.waybill_id),
  deliveryId: str(p.delivery_id),
  deliveryName: str(p.delivery_name),
  deliveryTime: num(p.delivery_time),
  products: arr(p.product_infos).map((x) => ({ skuId: idString(obj(x).sku_id) ?? '', count: num(obj(x).product_cnt) })),
});

/** order/get's answer → what it says about shipping (reference §3: order_detail.delivery_info, product_infos). */
export function mapShipments(raw: Record<string, unknown>): WxShipments {
  const detail = obj(raw.order_detail);
  return {
    packages: arr(obj(detail.delivery_info).delivery_product_info).map((p) => mapPackage(obj(p))),
    products: arr(detail.product_infos).map((p) => {
      const ds = idString(obj(obj(p).dropship_info).ds_order_id);
      return {
        productId: idString(obj(p).product_id) ?? '',
        skuId: idString(obj(p).sku_id) ?? '',
        onAftersaleCnt: num(obj(p).on_aftersale_sku_cnt),
        finishAftersaleCnt: num(obj(p).finish_aftersale_sku_cnt),
        ...(ds ? { dropshipOrderId: ds } : {}),
      };
    }),
    onAftersaleOrderCnt: num(obj(raw.aftersale_detail).on_aftersale_order_cnt),
    ewaybillOrderCode: str(obj(detail.delivery_info).ewaybill_order_code),
  };
}

/**
 * A 代发单's parcels (dropship/get) [U]: the object is only partly documented, so the packages are read where they
 * may sit — under dropship_order_detail.delivery_info, the answer's own delivery_info, or the detail itself — and
 * only those with a waybill count.
 */
export function mapDropshipPackages(raw: Record<string, any>): WxPackage[] {
  const detail = obj(raw.dropship_order_detail);
  const list = arr(
    obj(detail.delivery_info).delivery_product_info ?? obj(raw.delivery_info).delivery_product_info ?? detail.delivery_product_info,
  );
  return list.filter((p) => obj(p).waybill_id).map((p) => mapPackage(obj(p)));
}
