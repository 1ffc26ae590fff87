/**
 * The routes a supplier order can take, and what each can do by itself. Services ask these traits (does the route
 * answer over an API? how is it paid? where do its parcels come from?) instead of which route it is; placing an
 * order on a route is its adapter's job (src/purchasing/routes/). A new route is one entry here and one adapter.
 */
export const PURCHASE_ROUTES = ['1688', 'direct', 'wechat_dropship'] as const;
export type PurchaseRoute = (typeof PURCHASE_ROUTES)[number];

export const PAY_METHODS = ['1688-protocol', '1688-link', 'manual'] as const;
export type PayMethod = (typeof PAY_METHODS)[number];

export interface PayMethodTraits {
  /** The payment's first status once the limits allow it: paid by Daifa's call, or waiting for whoever pays. */
  firstStatus: 'Paying' | 'AwaitingPayer';
  /** Paid is known by re-reading the supplier's order (1688), or by a person's record with a voucher. */
  confirmedBy: 'supplier-readback' | 'voucher';
  /** Daifa makes the pay call itself (password-free pay): attempts are counted, a person may allow more. */
  daifaPays: boolean;
  /** What the merchant is told to do when it is due (none: Daifa pays). */
  ask?: string;
}

export const PAY_METHOD_TRAITS: Record<PayMethod, PayMethodTraits> = {
  '1688-protocol': { firstStatus: 'Paying', confirmedBy: 'supplier-readback', daifaPays: true },
  '1688-link': { firstStatus: 'AwaitingPayer', confirmedBy: 'supplier-readback', daifaPays: false, ask: '请获取 1688 支付链接付款' },
  manual: { firstStatus: 'AwaitingPayer', confirmedBy: 'voucher', daifaPays: false, ask: '请转账后上传凭证并登记' },
};

export function payMethodTraits(method: string): PayMethodTraits {
  const t = (PAY_METHOD_TRAITS as Record<string, PayMethodTraits>)[method];
  if (!t) throw new Error(`unknown payment method ${method}`);
  return t;
}

export interface RouteTraits {
  /** 下单方式, for people. */
  label: string;
  /**
   * The supplier's platform answers over an API with an order of its own (1688): Daifa reads it back, pays it, reads
   * its parcels, cancels and refunds it, and asks the seller to ship — each through that API.
   */
  supplierApi: boolean;
  /** How a supplier order on this route is paid (the shop's 1688 setting picks protocol or link). */
  payMethod(shop1688Method: 'protocol' | 'link'): PayMethod;
  /** Where its parcels come from: the supplier's API, WeChat Shop itself (dropship), or the supplier's reply to a person. */
  parcels: 'supplier-api' | 'wechat-platform' | 'supplier-reply';
  /** A buyer's new address reaches the supplier by e-mail, through the platform, or through a person. */
  addressChange: 'email' | 'platform' | 'person';
  /** 催发货 and 联系供应商: online (API), in the order's e-mail thread, or only on the supplier's own platform. */
  reach: 'api' | 'email' | 'elsewhere';
  /** The supplier is handed the WeChat line itself (the SKU the buyer bought): a spec changed in review cannot go this way. */
  handsOverBoughtSku: boolean;
  /** Where a person reaches this supplier, in words. */
  contactHint(po: { supplier_order_id: string | null; out_order_id: string }): string;
}

export const ROUTE_TRAITS: Record<PurchaseRoute, RouteTraits> = {
  '1688': {
    label: '1688',
    supplierApi: true,
    payMethod: (m) => (m === 'link' ? '1688-link' : '1688-protocol'),
    parcels: 'supplier-api',
    addressChange: 'person',
    reach: 'api',
    handsOverBoughtSku: false,
    contactHint: (po) => `请在 1688 旺旺联系卖家（订单 ${po.supplier_order_id ?? po.out_order_id}）`,
  },
  direct: {
    label: '邮件直供',
    supplierApi: false,
    payMethod: () => 'manual',
    parcels: 'supplier-reply',
    addressChange: 'email',
    reach: 'email',
    handsOverBoughtSku: false,
    contactHint: () => '该供应商没有邮箱，请电话联系',
  },
  wechat_dropship: {
    label: '微信小店代发',
    supplierApi: false,
    payMethod: () => 'manual',
    parcels: 'wechat-platform',
    addressChange: 'platform',
    reach: 'elsewhere',
    handsOverBoughtSku: true,
    contactHint: () => '请在微信小店「代发管理」联系供应商',
  },
};

export const isPurchaseRoute = (route: string): route is PurchaseRoute => (PURCHASE_ROUTES as readonly string[]).includes(route);

export function routeTraits(route: string): RouteTraits {
  if (!isPurchaseRoute(route)) throw new Error(`unknown purchase route ${route}`);
  return ROUTE_TRAITS[route];
}
