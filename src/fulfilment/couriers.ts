/**
 * 1688 prints courier names ("中通快递(ZTO)", "圆通速递", …) while WeChat Shop wants its own `delivery_id`
 * codes (reference wechat §4.1). An unknown courier becomes OTHER and opens a case (a person confirms it).
 */
export const WECHAT_COURIERS: Record<string, string> = {
  ZTO: '中通快递',
  YTO: '圆通速递',
  YUNDA: '韵达快递',
  JTSD: '极兔速递',
  STO: '申通快递',
  SF: '顺丰速运',
  JD: '京东物流',
  EMS: '中国邮政',
  CNSD: '菜鸟速递',
  DBKD: '德邦快递',
  SXJD: '顺心捷达',
  ZTOKY: '中通快运',
  YDKY: '韵达快运',
  ANEKY: '安能物流',
  BTWL: '百世快运',
  KYSY: '跨越速运',
  YMDD: '壹米滴答',
  RJTCSD: '锐界同城速递',
  ZJS: '宅急送',
  XFEX: '信丰物流',
  JSD: '吉时达',
  OTHER: '其他',
};

const BY_NAME: [RegExp, string][] = [
  [/中通快运/, 'ZTOKY'],
  [/中通/, 'ZTO'],
  [/圆通/, 'YTO'],
  [/韵达快运/, 'YDKY'],
  [/韵达/, 'YUNDA'],
  [/极兔/, 'JTSD'],
  [/申通/, 'STO'],
  [/顺丰/, 'SF'],
  [/京东/, 'JD'],
  [/邮政|EMS/i, 'EMS'],
  [/丹鸟|菜鸟速递/, 'CNSD'],
  [/德邦/, 'DBKD'],
  [/顺心捷达/, 'SXJD'],
  [/安能/, 'ANEKY'],
  [/百世快运/, 'BTWL'],
  [/跨越/, 'KYSY'],
  [/壹米滴答/, 'YMDD'],
  [/宅急送/, 'ZJS'],
  [/信丰/, 'XFEX'],
  [/吉时达/, 'JSD'],
];

/** WeChat code for a 1688 courier: the bracketed code when WeChat knows it, else the name, else the company number. */
export function mapCourier(name: string, companyNo?: string): { deliveryId: string; known: boolean } {
  const bracket = /\(([A-Z]{2,8})\)|（([A-Z]{2,8})）/.exec(name);
  const code = bracket?.[1] ?? bracket?.[2];
  if (code && code !== 'OTHER' && WECHAT_COURIERS[code]) return { deliveryId: code, known: true };
  for (const [re, id] of BY_NAME) if (re.test(name)) return { deliveryId: id, known: true };
  if (companyNo && companyNo !== 'OTHER' && WECHAT_COURIERS[companyNo]) return { deliveryId: companyNo, known: true };
  return { deliveryId: 'OTHER', known: false };
}

/** Plausible tracking-number shapes per courier (a typo or a placeholder is caught before WeChat's 606005). */
const FORMATS: Record<string, RegExp> = {
  SF: /^SF\d{12,13}$/,
  JD: /^JD[0-9A-Z]{11,13}$/,
  JTSD: /^JT\d{13}$/,
  YTO: /^(YT)?\d{12,13}$/,
  EMS: /^(\d{13}|[A-Z]{2}\d{9}[A-Z]{2})$/,
};

export function plausibleWaybill(deliveryId: string, waybill: string): boolean {
  if (!/^[A-Za-z0-9-]{6,32}$/.test(waybill)) return false;
  const f = FORMATS[deliveryId];
  return f ? f.test(waybill) : /\d{6,}/.test(waybill);
}
