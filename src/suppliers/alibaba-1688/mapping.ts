import { yuanToFen } from '../../domain/money.js';
import { idString } from '../../lib/lossless-json.js';
import type { ApiBody } from './client.js';

/**
 * 1688's order view (alibaba.trade.get.buyerView, 1688 §6) → what Daifa reads of it. The only place its fields are
 * named: services ask these functions, never `result.baseInfo`.
 */

const base = (view: ApiBody): ApiBody => view.result?.baseInfo ?? {};

/** Order statuses past payment (1688 §6: baseInfo.status). */
const PAID_STATUSES = new Set([
  'waitsellersend',
  'waitbuyerreceive',
  'confirm_goods',
  'success',
  'waitlogisticstakein',
  'waitbuyersign',
  'signinsuccess',
]);

/** The order's status ('' when the view has none); `cancel` is a closed order. */
export const orderStatus = (view: ApiBody): string => String(base(view).status ?? '');

/** Closed on 1688 (by the seller, the buyer or a timeout). */
export const isClosed = (view: ApiBody): boolean => orderStatus(view) === 'cancel';

/** Paid on 1688: payStatus 2 in tradeTerms, or an order status past payment. */
export function isPaid(view: ApiBody): boolean {
  const terms = (view.result?.tradeTerms ?? []) as { payStatus?: unknown }[];
  return terms.some((t) => String(t.payStatus) === '2') || PAID_STATUSES.has(orderStatus(view));
}

/** The order's total (fen), when the view gave one. */
export const orderTotal = (view: ApiBody): number | undefined =>
  base(view).totalAmount !== undefined ? yuanToFen(base(view).totalAmount) : undefined;

/** The order's freight (fen; 0 when the view gave none). */
export const orderFreight = (view: ApiBody): number => (base(view).shippingFee !== undefined ? yuanToFen(base(view).shippingFee) : 0);

/** The order's sub-orders (entries): each one's id and the spec it buys, in the order 1688 lists them. */
export const orderEntries = (view: ApiBody): { entryId: string; specId: string }[] =>
  ((view.result?.productItems ?? []) as ApiBody[]).map((i) => ({
    entryId: idString(i.subItemIDString ?? i.subItemID) ?? '',
    specId: String(i.specId ?? ''),
  }));

/** What a payment 1688 took shows: its Alipay trade id, total (fen) and the fields kept as its record. */
export function paymentSeen(view: ApiBody): { tradeId: string; total?: number; record: Record<string, unknown> } {
  const b = base(view);
  return {
    tradeId: String(b.alipayTradeId ?? ''),
    total: orderTotal(view),
    record: {
      alipayTradeId: String(b.alipayTradeId ?? ''),
      payTime: b.payTime ?? null,
      totalAmount: b.totalAmount ?? null,
      status: b.status ?? null,
      payChannelList: b.payChannelList ?? null,
    },
  };
}

/** The 1688 order id of an order found by a search (idOfStr when given: ids exceed JavaScript's exact integers). */
export const orderIdOf = (found: ApiBody): string | undefined => idString(found.baseInfo?.idOfStr) ?? idString(found.baseInfo?.id);

/** The receiver as 1688 recorded it (baseInfo.receiverInfo, else nativeLogistics), for the read-back's comparison. */
export function receiverOf(view: ApiBody) {
  const r: ApiBody = base(view).receiverInfo ?? {};
  const n: ApiBody = view.result?.nativeLogistics ?? {};
  const opt = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  return {
    fullName: String(r.toFullName ?? n.contactPerson ?? ''),
    mobile: String(r.toMobile ?? n.mobile ?? ''),
    phone: String(r.toPhone ?? n.telephone ?? '') || undefined,
    address: String(n.address ?? ''),
    province: opt(n.province),
    city: opt(n.city),
    area: opt(n.area),
    /** The receiver's name masked but its first character ('' when none). */
    maskedName: r.toFullName ? `${[...String(r.toFullName)][0]}**` : '',
    /** receiverInfo.toArea as given. */
    toArea: r.toArea as unknown,
  };
}

/** The order's goods: offer, spec, units and sub-order (entry) id of each item, as 1688 lists them. */
export const orderItems = (view: ApiBody): { offerId: string; specId?: string; quantity: number; entryId?: string }[] =>
  ((Array.isArray(view.result?.productItems) ? view.result.productItems : []) as ApiBody[]).map((i) => ({
    offerId: String(i.productID),
    specId: i.specId === undefined || i.specId === null ? undefined : String(i.specId),
    quantity: Number(i.quantity),
    entryId: idString(i.subItemIDString ?? i.subItemID),
  }));

/** A parcel 1688 shows for an order (getLogisticsInfos, 1688 §7) with its trace steps (getLogisticsTraceInfo). */
export interface Parcel1688 {
  logisticsId: string;
  /** The courier's name as the seller gave it (else its code); '' when neither. */
  companyName: string;
  companyNo?: string;
  waybill: string;
  /** When the seller sent it, as 1688 prints it ('' when not given). */
  sentAt: string;
  /** The sub-orders (entries) and units in it. */
  goods: { entryId: string; quantity: number }[];
  steps: { acceptTime: string; remark: string }[];
}

/** getLogisticsInfos' parcels joined with getLogisticsTraceInfo's steps (by logisticsId). */
export function mapParcels(parcels: ApiBody[], traces: ApiBody[] = []): Parcel1688[] {
  return parcels.map((p) => {
    const logisticsId = String(p.logisticsId);
    return {
      logisticsId,
      companyName: String(p.logisticsCompanyName ?? p.logisticsCompanyNo ?? ''),
      ...(p.logisticsCompanyNo ? { companyNo: String(p.logisticsCompanyNo) } : {}),
      waybill: String(p.logisticsBillNo ?? ''),
      sentAt: String(p.gmtSystemSend ?? ''),
      goods: ((Array.isArray(p.logisticsOrderGoods) ? p.logisticsOrderGoods : []) as ApiBody[]).map((g) => ({
        entryId: idString(g.tradeOrderItemId) ?? '',
        quantity: Number(g.quantity),
      })),
      steps: ((traces.find((t) => String(t.logisticsId) === logisticsId)?.logisticsSteps ?? []) as ApiBody[]).map((s) => ({
        acceptTime: s.acceptTime as string,
        remark: String(s.remark),
      })),
    };
  });
}

/** A 1688 call's answer says it succeeded (`success` true, sent as a boolean or a string). */
export const succeeded = (r: ApiBody): boolean => r.success === true || r.success === 'true';

/** The error code of a 1688 answer ('' when none): `errorCode`, else the gateway's `code`. */
export const errorCodeOf = (r: ApiBody): string => String(r.errorCode ?? r.code ?? '');

/** A refused 1688 call: its code and message as the answer gave them. */
export interface Refusal {
  ok: false;
  code: string;
  message: string;
}

/** A previewed cargo: its offer and spec, and its unit price (fen) when the preview gave one. */
export interface PreviewCargo {
  offerId: string;
  specId: string;
  unitPrice?: number;
}

/** What the order preview (alibaba.createOrder.preview, 1688 §5) answered. */
export type PreviewAnswer =
  | Refusal
  | {
      ok: true;
      /** sumPayment: goods and freight (fen), when given. */
      total?: number;
      /** The order flow 1688 chose for this seller (flowFlag), when given. */
      flowFlag?: string;
      /** Each cargo's unit price after promotions (finalUnitPrice, yuan → fen), when given. */
      cargo: PreviewCargo[];
    };

/** A preview answer → refused (errorCode, errorMsg) or the first preview's total, flow and unit prices. */
export function previewAnswer(r: ApiBody): PreviewAnswer {
  if (r.success === false || r.success === 'false')
    return { ok: false, code: String(r.errorCode ?? ''), message: String(r.errorMsg ?? '') };
  const first: ApiBody = r.orderPreviewResuslt?.[0] ?? {};
  const total = Number(first.sumPayment);
  const cargo = ((Array.isArray(first.cargoList) ? first.cargoList : []) as ApiBody[]).map((c) => ({
    offerId: idString(c.offerId) ?? '',
    specId: String(c.specId ?? ''),
    ...(c.finalUnitPrice !== undefined && c.finalUnitPrice !== null ? { unitPrice: yuanToFen(c.finalUnitPrice) } : {}),
  }));
  return {
    ok: true,
    ...(first.sumPayment !== undefined && Number.isFinite(total) ? { total } : {}),
    ...(typeof first.flowFlag === 'string' ? { flowFlag: first.flowFlag } : {}),
    cargo,
  };
}

/** A cargo 1688 did not create (failedOfferList): its offer, spec and why. */
export interface FailedCargo {
  offerId: string;
  specId?: string;
  errorCode?: string;
}

/** What the order creation (alibaba.trade.fastCreateOrder, 1688 §5) answered. */
export type CreateAnswer =
  | Refusal
  | {
      ok: true;
      orderId: string;
      /** The cargo not created (a partial creation); empty when all was. */
      failed: FailedCargo[];
      /** totalSuccessAmount: what the created part costs (fen), when given. */
      successTotal?: number;
    };

/** A creation answer → refused (code, else errorCode; message) or the order id and the cargo that failed. */
export function createAnswer(r: ApiBody): CreateAnswer {
  const orderId = idString(r.result?.orderId);
  if (r.success === false || r.success === 'false' || !orderId)
    return { ok: false, code: String(r.code ?? r.errorCode ?? ''), message: String(r.message ?? '') };
  const failed = ((Array.isArray(r.result.failedOfferList) ? r.result.failedOfferList : []) as ApiBody[]).map((f) => ({
    offerId: idString(f.offerId) ?? '',
    ...(f.specId !== undefined && f.specId !== null ? { specId: String(f.specId) } : {}),
    ...(f.errorCode !== undefined && f.errorCode !== null ? { errorCode: String(f.errorCode) } : {}),
  }));
  const successTotal = Number(r.result.totalSuccessAmount);
  return {
    ok: true,
    orderId,
    failed,
    ...(r.result.totalSuccessAmount !== undefined && Number.isFinite(successTotal) ? { successTotal } : {}),
  };
}
