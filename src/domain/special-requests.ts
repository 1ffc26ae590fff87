/**
 * Buyer notes (买家留言) often carry requests the supplier must honour: a named courier, a delivery date or
 * time window, packaging, an invoice, a gift note. Parse them into structured data and keep what could
 * not be understood, so that a person reads it.
 */

export const courierAliases: Record<string, string[]> = {
  SF: ['顺丰', 'sf'],
  JD: ['京东'],
  EMS: ['ems', '邮政', '中国邮政'],
  ZTO: ['中通'],
  YTO: ['圆通'],
  YUNDA: ['韵达'],
  STO: ['申通'],
  JTSD: ['极兔'],
  DBKD: ['德邦'],
  CNSD: ['菜鸟', '丹鸟'],
};

export const courierNames: Record<string, string> = {
  SF: '顺丰',
  JD: '京东',
  EMS: 'EMS',
  ZTO: '中通',
  YTO: '圆通',
  YUNDA: '韵达',
  STO: '申通',
  JTSD: '极兔',
  DBKD: '德邦',
  CNSD: '菜鸟',
};

export type DeliveryDate =
  | { kind: 'date'; month: number; day: number; by: 'on' | 'before' }
  | { kind: 'weekday'; weekday: number; by: 'on' | 'before' }
  | { kind: 'relative'; days: number; by: 'on' | 'before' };

export interface SpecialRequests {
  /** Courier the buyer asked for (WeChat delivery_id code). */
  courier?: string;
  /** Couriers the buyer refused. */
  avoidCouriers: string[];
  deliveryDate?: DeliveryDate;
  /**
   * The last second (China time) the buyer wants the parcel by: deliveryDate resolved against the time the order was
   * placed (a note saying 明天 means the day after the order, whenever it is read). Derived when the requests are
   * loaded for sourcing (loadRequests), never stored.
   */
  deliveryBy?: number;
  /** When to deliver (下午, 9点-18点), with the times the buyer is not in (上午不在家) kept in their words. */
  timeWindow?: string;
  packaging: string[];
  /** How to hand the parcel over or check it (放快递柜, 别打电话, 发货前检查), in the buyer's words. */
  instructions: string[];
  /** The buyer is in a hurry (请尽快发货, 急用). */
  urgent?: boolean;
  invoice?: string;
  /** The parcel is a present (送人的, 圣诞礼物): nothing that shows the price goes in it. */
  gift?: boolean;
  /** What to write on a card (贺卡写：生日快乐), only when the buyer asked for one. */
  giftNote?: string;
  /** Clauses no rule understood, kept verbatim. */
  rest: string[];
}

export const emptyRequests = (): SpecialRequests => ({ avoidCouriers: [], packaging: [], instructions: [], rest: [] });

export function hasRequests(r: SpecialRequests): boolean {
  return Boolean(
    r.courier ||
    r.avoidCouriers.length ||
    r.deliveryDate ||
    r.timeWindow ||
    r.packaging.length ||
    r.instructions?.length ||
    r.urgent ||
    r.invoice ||
    r.gift ||
    r.giftNote,
  );
}

const NEGATION = /(不要|别|不用|不发|勿|拒绝|不走|不能发|不接受)/;
const WEEKDAYS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 0, 天: 0 };
const CN_NUM: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };

function courierIn(clause: string): { code: string; index: number; end: number }[] {
  const lower = clause.toLowerCase();
  const hits: { code: string; index: number; end: number }[] = [];
  for (const [code, aliases] of Object.entries(courierAliases)) {
    for (const a of aliases) {
      const i = lower.indexOf(a);
      if (i >= 0) {
        hits.push({ code, index: i, end: i + a.length });
        break;
      }
    }
  }
  return hits.sort((a, b) => a.index - b.index);
}

/** 韵达不要, 中通的别发, 顺丰不行: the refusal after the courier's name. */
const NEGATION_AFTER = /^(快递|的)?\s*(不要|别|不行|不可以|不收|拒收|不接受|不用)/;

/** A time of day the buyer cannot take the parcel (上午不在家, 工作日家里没人): not a wish to get it then. */
const NOT_AVAILABLE = /(不在家|没人|无人|不方便|不能收|收不了|不要送|别送|不送)/;

export function parseSpecialRequests(notes: string | undefined): SpecialRequests {
  const out = emptyRequests();
  const text = (notes ?? '').trim();
  if (!text) return out;
  const wanted: string[] = [];
  const unavailable: string[] = [];
  const clauses = text
    .split(/[，,。；;！!？?\n\r]+|\s{2,}/)
    .map((c) => c.trim())
    .filter(Boolean);
  for (const clause of clauses) {
    let matched = false;

    for (const { code, index, end } of courierIn(clause)) {
      const before = clause.slice(Math.max(0, index - 4), index);
      if (NEGATION.test(before) || NEGATION_AFTER.test(clause.slice(end))) {
        if (!out.avoidCouriers.includes(code)) out.avoidCouriers.push(code);
      } else if (!out.courier) {
        out.courier = code;
      }
      matched = true;
    }

    const date = parseDate(clause);
    if (date) {
      out.deliveryDate = date;
      matched = true;
    }

    const window =
      /(\d{1,2})\s*[点:：时]\s*(\d{1,2})?\s*分?\s*[-~到至]\s*(\d{1,2})\s*[点:：时]?/.exec(clause) ??
      /(工作日|周末|上午|中午|下午|晚上|白天|早上)?\s*(\d{1,2})\s*[点时]\s*(半)?\s*(以后|之后|后|以前|之前|前)/.exec(clause);
    const part = /(?:工作日|周末|上午|中午|下午|晚上|白天|早上)+/.exec(clause);
    if (part && NOT_AVAILABLE.test(clause)) {
      // 上午不在家 asks for any time but the morning: the supplier reads it as written.
      unavailable.push(clause);
      matched = true;
    } else if (window) {
      wanted.push(window[0]);
      matched = true;
    } else if (part && /(送|收|到|派|配送|签收|在家|有人)/.test(clause)) {
      wanted.push(part[0]);
      matched = true;
    }

    if (/(发票|开票|抬头|税号)/.test(clause)) {
      out.invoice = out.invoice ? `${out.invoice}，${clause}` : clause;
      matched = true;
    } else if (
      /(包装|礼盒|纸箱|泡沫|防震|气泡|价格|价签|吊牌|小票|单据|清单|标签|logo|LOGO|袋子|打包|密封|易碎|轻拿轻放|轻放)/.test(clause)
    ) {
      out.packaging.push(clause);
      matched = true;
    } else if (/(快递柜|丰巢|门卫|驿站|菜鸟站|代收|送货上门|送上门|上楼|放门口|敲门|打电话|电话联系|短信|检查|质检|验货)/.test(clause)) {
      out.instructions.push(clause);
      matched = true;
    }

    if (/(尽快|加急|急用|急需|着急|快点|赶紧|早点|马上|立刻)/.test(clause) && !matched) {
      out.urgent = true;
      matched = true;
    }

    if (/(贺卡|卡片|祝福|留言卡)/.test(clause)) {
      out.gift = true;
      out.giftNote = out.giftNote ? `${out.giftNote}，${clause}` : clause;
      matched = true;
    } else if (/(送人|礼物|礼品)/.test(clause)) {
      // 是圣诞礼物 says what the parcel is; it is not a text to write on a card.
      out.gift = true;
      matched = true;
    }

    // 到付 (the buyer pays the courier on delivery) is not something a dropship supplier does: a person decides.
    if (!matched || /到付/.test(clause)) out.rest.push(clause);
  }
  const notIn = unavailable.join('，');
  if (wanted.length) out.timeWindow = notIn ? `${wanted.join('/')}（${notIn}）` : wanted.join('/');
  else if (notIn) out.timeWindow = notIn;
  return out;
}

const CN_OFFSET_S = 8 * 3600;
const DAY_S = 86_400;

/**
 * The end (23:59:59 China time) of the day a requested date names, seen from the moment the note was written: a
 * month and day already past means next year, a bare day (25号) already past means next month, a weekday means its
 * next occurrence after that day (周六 written on a Saturday is the next one), N 天 counts from that day.
 */
export function resolveDeliveryDate(d: DeliveryDate, fromS: number): number {
  const local = new Date((fromS + CN_OFFSET_S) * 1000);
  const [y, m, dayOfMonth, weekday] = [local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), local.getUTCDay()];
  const today = Date.UTC(y, m, dayOfMonth) / 1000;
  const endOf = (localMidnightS: number) => localMidnightS - CN_OFFSET_S + DAY_S - 1;
  if (d.kind === 'relative') return endOf(today + d.days * DAY_S);
  if (d.kind === 'weekday') return endOf(today + ((d.weekday - weekday + 7) % 7 || 7) * DAY_S);
  if (d.month === 0) {
    const thisMonth = Date.UTC(y, m, d.day) / 1000;
    return endOf(thisMonth >= today ? thisMonth : Date.UTC(y, m + 1, d.day) / 1000);
  }
  const thisYear = Date.UTC(y, d.month - 1, d.day) / 1000;
  return endOf(thisYear >= today ? thisYear : Date.UTC(y + 1, d.month - 1, d.day) / 1000);
}

/** 12月24日前 / 周六 / 3天内: a requested date as the buyer would say it. */
export function describeDate(d: DeliveryDate): string {
  if (d.kind === 'relative') return d.by === 'before' ? `${d.days}天内` : d.days === 1 ? '明天' : d.days === 2 ? '后天' : `${d.days}天后`;
  const when = d.kind === 'date' ? `${d.month ? `${d.month}月` : ''}${d.day}日` : `周${'日一二三四五六'[d.weekday]}`;
  return `${when}${d.by === 'before' ? '前' : ''}`;
}

function parseDate(clause: string): DeliveryDate | undefined {
  const by: 'on' | 'before' = /(前|之前|以前|内)/.test(clause) ? 'before' : 'on';
  if (!/(送|到|收|发|签收|用|要)/.test(clause) && by === 'on') return undefined;
  const md = /(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?/.exec(clause);
  if (md) {
    const month = Number(md[1]);
    const day = Number(md[2]);
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31) return { kind: 'date', month, day, by };
  }
  const d = /(\d{1,2})\s*号/.exec(clause);
  if (d) return { kind: 'date', month: 0, day: Number(d[1]), by };
  const wd = /(?:周|星期|礼拜)([一二三四五六日天])/.exec(clause);
  if (wd) return { kind: 'weekday', weekday: WEEKDAYS[wd[1]!]!, by };
  if (/明天/.test(clause)) return { kind: 'relative', days: 1, by };
  if (/后天/.test(clause)) return { kind: 'relative', days: 2, by };
  const nd = /([一二两三四五六七八九十\d]+)\s*天(内|之内|以内)/.exec(clause);
  if (nd) return { kind: 'relative', days: Number(nd[1]) || CN_NUM[nd[1]!] || 0, by: 'before' };
  return undefined;
}

/** One line of Chinese describing the parsed requests, for alerts and the order view. */
export function describeRequests(r: SpecialRequests): string {
  const parts: string[] = [];
  if (r.courier) parts.push(`指定${courierNames[r.courier] ?? r.courier}`);
  if (r.avoidCouriers.length) parts.push(`不要${r.avoidCouriers.map((c) => courierNames[c] ?? c).join('/')}`);
  if (r.deliveryDate) parts.push(`${describeDate(r.deliveryDate)}送达`);
  if (r.timeWindow) parts.push(`时间:${r.timeWindow}`);
  if (r.packaging.length) parts.push(`包装:${r.packaging.join('/')}`);
  if (r.instructions?.length) parts.push(`备注:${r.instructions.join('/')}`);
  if (r.urgent) parts.push('加急');
  if (r.invoice) parts.push('要发票');
  if (r.giftNote) parts.push('礼物留言');
  else if (r.gift) parts.push('礼物');
  if (r.rest.length) parts.push(`其他:${r.rest.join('/')}`);
  return parts.join('；');
}

/** The buyer's requests, as the supplier should read them in the order message. */
export function describeForSupplier(r: SpecialRequests): string {
  const parts: string[] = [];
  if (r.courier) parts.push(`请发${courierNames[r.courier] ?? r.courier}`);
  if (r.avoidCouriers.length) parts.push(`不要发${r.avoidCouriers.map((c) => courierNames[c] ?? c).join('/')}`);
  if (r.deliveryDate) parts.push(`买家要求${describeDate(r.deliveryDate)}送达，请尽快发货`);
  else if (r.urgent) parts.push('买家急用，请尽快发货');
  if (r.packaging.length) parts.push(r.packaging.join('；'));
  if (r.instructions?.length) parts.push(r.instructions.join('；'));
  if (r.gift && !r.packaging.some((p) => /价格|价签|小票|单据|清单/.test(p))) parts.push('礼品件，请勿放价格单或带价格的单据');
  if (r.giftNote) parts.push(`礼品留言：${r.giftNote}`);
  if (r.timeWindow) parts.push(`配送时间：${r.timeWindow}`);
  return parts.join('；').slice(0, 500);
}
