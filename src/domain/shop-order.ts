import type { Address } from './address.js';
import type { Fen } from './money.js';

/** A WeChat Shop order as Daifa understands it, mapped once from the wire format (channels/wechat-shop/mapping.ts). */
export interface OrderLine {
  lineNo: number;
  productId: string;
  skuId: string;
  productUniqueId?: string;
  title: string;
  skuAttrs: { key: string; value: string }[];
  quantity: number;
  /** Unit sale price, fen. */
  unitPrice: Fen;
  /** What the buyer actually paid for the whole line, fen. */
  paidAmount: Fen;
  /** Ship-by deadline for this line, Unix seconds. */
  deliveryDeadline?: number;
  onAftersaleCnt: number;
  finishAftersaleCnt: number;
  isFreeGift: boolean;
}

export interface OrderSnapshot {
  wxOrderId: string;
  status: number;
  createTime: number;
  updateTime: number;
  payTime?: number;
  orderPrice: Fen;
  productPrice: Fen;
  freight: Fen;
  customerNotes: string;
  merchantNotes: string;
  address: Address;
  lines: OrderLine[];
  onAftersaleOrderCnt: number;
  /** After-sale order ids on this order (aftersale_detail.aftersale_order_list). */
  aftersaleIds?: string[];
  /** settle_info: the platform's commission (fen) once settled; the prediction before. */
  commission?: { predicted?: Fen; settled?: Fen; settleTime?: number };
}

/** WeChat order status (reference §3.1). */
export const WX_STATUS = {
  UNPAID: 10,
  GIFT_PENDING: 12,
  GROUP_PENDING: 13,
  PAID: 20,
  PARTIALLY_SHIPPED: 21,
  SHIPPED: 30,
  COMPLETED: 100,
  CANCELLED_AFTERSALE: 200,
  CANCELLED: 250,
} as const;

export const isPaidStatus = (s: number): boolean => s === 20 || s === 21 || s === 30 || s === 100;
export const isCancelledStatus = (s: number): boolean => s === 200 || s === 250;

/** A reason a person must look at the order (review) or a note for later steps; code + Chinese message. */
export interface Reason {
  code: string;
  message: string;
  detail?: string;
}
