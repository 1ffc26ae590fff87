import { describe, expect, it } from 'vitest';
import { checkDivisions, classifyPhone, isMasked } from './address.js';
import { formatYuan, yuanToFen } from './money.js';
import { checkOrder } from './order-checks.js';
import type { OrderSnapshot } from './shop-order.js';
import { describeForSupplier, describeRequests, parseSpecialRequests, resolveDeliveryDate } from './special-requests.js';

const base = (): OrderSnapshot => ({
  wxOrderId: '3705115058471208928',
  status: 20,
  createTime: 1_700_000_000,
  updateTime: 1_700_000_100,
  payTime: 1_700_000_050,
  orderPrice: 5990,
  productPrice: 5990,
  freight: 0,
  customerNotes: '',
  merchantNotes: '',
  onAftersaleOrderCnt: 0,
  address: {
    userName: '林**',
    telNumber: '183****2807',
    provinceName: '福建省',
    cityName: '福州市',
    countyName: '罗源县',
    detailInfo: '****',
    hashCode: 'e258ec6c3333e0acb97d3e0bc875758c',
  },
  lines: [
    {
      lineNo: 1,
      productId: '10000017524246',
      skuId: '2983950535',
      title: '香薰石膏',
      skuAttrs: [{ key: '颜色', value: '白' }],
      quantity: 1,
      unitPrice: 5990,
      paidAmount: 5990,
      onAftersaleCnt: 0,
      finishAftersaleCnt: 0,
      isFreeGift: false,
    },
  ],
});

describe('money', () => {
  it('converts yuan to fen exactly', () => {
    expect(yuanToFen(6.15)).toBe(615);
    expect(yuanToFen('0.1')).toBe(10);
    expect(yuanToFen('1234.5')).toBe(123450);
    expect(yuanToFen(0.29 + 0.01)).toBe(30);
    expect(formatYuan(123)).toBe('¥1.23');
    expect(formatYuan(-5)).toBe('-¥0.05');
  });
});

describe('address', () => {
  it('detects masked values', () => {
    expect(isMasked('林**')).toBe(true);
    expect(isMasked('183****2807')).toBe(true);
    expect(isMasked('林小明')).toBe(false);
  });

  it('classifies phones', () => {
    expect(classifyPhone('18312342807')).toBe('mobile');
    expect(classifyPhone('183****2807')).toBe('masked-mobile');
    expect(classifyPhone('13212345774-1234')).toBe('virtual');
    expect(classifyPhone('0517-88990077')).toBe('landline');
    expect(classifyPhone('12345')).toBe('invalid');
  });

  it('checks province/city/county against GB/T 2260, tolerating abbreviations and municipalities', () => {
    expect(checkDivisions('广东', '广州', '海珠区').ok).toBe(true);
    expect(checkDivisions('北京市', '北京市', '朝阳区').ok).toBe(true);
    expect(checkDivisions('上海市', '上海市', '浦东新区').ok).toBe(true);
    expect(checkDivisions('福建省', '福州市', '罗源县').ok).toBe(true);
    expect(checkDivisions('广东省', '东莞市', '长安镇').ok).toBe(true);
    const wrong = checkDivisions('广东省', '杭州市', '西湖区');
    expect(wrong.ok).toBe(false);
    expect(checkDivisions('浙江省', '杭州市', '海珠区')).toMatchObject({ ok: false, problem: 'county' });
    expect(checkDivisions('火星省', '杭州市', '西湖区')).toMatchObject({ ok: false, problem: 'province' });
  });
});

describe('special requests', () => {
  it('extracts courier, refusals, dates, windows, packaging, invoice and gift notes, keeping the rest', () => {
    const r = parseSpecialRequests(
      '请发顺丰，不要发韵达。12月24日前送到，下午送。不要放价格单！需要开发票，抬头xx公司；贺卡写生日快乐，谢谢',
    );
    expect(r.courier).toBe('SF');
    expect(r.avoidCouriers).toEqual(['YUNDA']);
    expect(r.deliveryDate).toEqual({ kind: 'date', month: 12, day: 24, by: 'before' });
    expect(r.timeWindow).toBe('下午');
    expect(r.packaging).toEqual(['不要放价格单']);
    expect(r.invoice).toContain('开发票');
    expect(r.giftNote).toContain('生日快乐');
    expect(r.rest).toContain('谢谢');
    expect(describeRequests(r)).toContain('指定顺丰');
  });

  it('understands EMS, JD, weekdays and time ranges', () => {
    expect(parseSpecialRequests('只发京东').courier).toBe('JD');
    expect(parseSpecialRequests('发EMS').courier).toBe('EMS');
    expect(parseSpecialRequests('周六送到').deliveryDate).toEqual({ kind: 'weekday', weekday: 6, by: 'on' });
    expect(parseSpecialRequests('9点-18点之间送').timeWindow).toBe('9点-18点');
    expect(parseSpecialRequests('别发中通').avoidCouriers).toEqual(['ZTO']);
    expect(parseSpecialRequests('韵达不要，发顺丰')).toMatchObject({ courier: 'SF', avoidCouriers: ['YUNDA'] });
    expect(parseSpecialRequests('中通的别发').avoidCouriers).toEqual(['ZTO']);
    expect(parseSpecialRequests('顺丰快递不行').courier).toBeUndefined();
    expect(parseSpecialRequests('').rest).toEqual([]);
  });

  it("common notes are understood and forwarded, not sent to review: hurry, hand-over and contact, fragile, a time after N o'clock", () => {
    const review = (note: string) => checkOrder({ ...base(), customerNotes: note }).reasons.map((r) => r.code);
    expect(parseSpecialRequests('请尽快发货，谢谢')).toMatchObject({ urgent: true, rest: ['谢谢'] });
    expect(review('请尽快发货')).toEqual([]);
    expect(describeForSupplier(parseSpecialRequests('急用，麻烦快点发'))).toBe('买家急用，请尽快发货');
    expect(parseSpecialRequests('放快递柜，别打电话').instructions).toEqual(['放快递柜', '别打电话']);
    expect(review('不要放驿站')).toEqual([]);
    expect(describeForSupplier(parseSpecialRequests('不要放驿站，送货上门'))).toBe('不要放驿站；送货上门');
    expect(parseSpecialRequests('请备注：易碎').packaging).toEqual(['请备注：易碎']);
    expect(parseSpecialRequests('晚上7点后送').timeWindow).toBe('晚上7点后');
    expect(parseSpecialRequests('工作日白天家里有人').timeWindow).toBe('工作日白天');
    // What changes the goods, the address or who pays the courier (到付) is still a person's call.
    expect(parseSpecialRequests('顺丰到付')).toMatchObject({ courier: 'SF', rest: ['顺丰到付'] });
    expect(review('顺丰到付')).toEqual(['BUYER_NOTE_UNPARSED']);
    expect(review('请把颜色换成红色')).toEqual(['BUYER_NOTE_UNPARSED']);
    expect(review('地址改成北京市朝阳区xxx')).toEqual(['BUYER_NOTE_UNPARSED']);
  });

  it('a present is not a card text: 是圣诞礼物 marks the parcel a gift; only 贺卡/卡片 asks for a card', () => {
    const xmas = parseSpecialRequests('12月24日前送到，是圣诞礼物');
    expect(xmas).toMatchObject({ gift: true, rest: [] });
    expect(xmas.giftNote).toBeUndefined();
    expect(describeRequests(xmas)).toBe('12月24日前送达；礼物');
    expect(parseSpecialRequests('贺卡写：生日快乐！')).toMatchObject({ gift: true, giftNote: '贺卡写：生日快乐' });
    expect(parseSpecialRequests('不要放价格单，送人的')).toMatchObject({ gift: true, packaging: ['不要放价格单'] });
    expect(describeForSupplier(xmas)).toBe('买家要求12月24日前送达，请尽快发货；礼品件，请勿放价格单或带价格的单据');
    expect(describeForSupplier(parseSpecialRequests('不要放价格单，送人的'))).toBe('不要放价格单');
  });

  it('a time the buyer is not in is not a time to deliver: 下午送，上午不在家 asks for the afternoon', () => {
    expect(parseSpecialRequests('下午送，上午不在家').timeWindow).toBe('下午（上午不在家）');
    expect(parseSpecialRequests('上午不在家，下午送').timeWindow).toBe('下午（上午不在家）');
    const r = parseSpecialRequests('周六送到，工作日家里没人');
    expect(r.deliveryDate).toEqual({ kind: 'weekday', weekday: 6, by: 'on' });
    expect(r.timeWindow).toBe('工作日家里没人');
    expect(r.rest).toEqual([]);
    expect(describeRequests(r)).toBe('周六送达；时间:工作日家里没人');
  });

  it('a requested date is placed in time from when the order was written (China time), to the end of that day', () => {
    // Friday 2026-11-27 10:00 in Beijing.
    const at = Date.UTC(2026, 10, 27, 2) / 1000;
    const endOfCnDay = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d, 15, 59, 59) / 1000;
    const by = (note: string, from = at) => resolveDeliveryDate(parseSpecialRequests(note).deliveryDate!, from);
    expect(by('12月24日前送到')).toBe(endOfCnDay(2026, 12, 24));
    expect(by('1月5日前送到')).toBe(endOfCnDay(2027, 1, 5));
    expect(by('周六送到')).toBe(endOfCnDay(2026, 11, 28));
    expect(by('周五送到')).toBe(endOfCnDay(2026, 12, 4));
    expect(by('明天送到')).toBe(endOfCnDay(2026, 11, 28));
    expect(by('3天内送到')).toBe(endOfCnDay(2026, 11, 30));
    expect(by('25号前送到')).toBe(endOfCnDay(2026, 12, 25));
    expect(by('30号送到')).toBe(endOfCnDay(2026, 11, 30));
    // Late on a Beijing evening is already the next day in UTC terms and vice versa: the Beijing date counts.
    expect(by('明天送到', Date.UTC(2026, 10, 27, 17) / 1000)).toBe(endOfCnDay(2026, 11, 29));
    // Parsing alone does not place it (the order's time is applied when sourcing loads the requests).
    expect(parseSpecialRequests('明天送到')).not.toHaveProperty('deliveryBy');
    expect(describeRequests(parseSpecialRequests('3天内送到'))).toBe('3天内送达');
  });
});

describe('order checks', () => {
  it('a normal paid order passes, noting the masked address', () => {
    const r = checkOrder(base());
    expect(r.reasons).toEqual([]);
    expect(r.notes.map((n) => n.code)).toEqual(['ADDRESS_MASKED']);
  });

  it('flags every problem with its own code', () => {
    const o = base();
    o.address.countyName = '海珠区';
    o.address.detailInfo = '';
    o.address.telNumber = '12345';
    o.lines[0]!.onAftersaleCnt = 1;
    o.lines[0]!.paidAmount = 0;
    o.orderPrice = 0;
    o.customerNotes = '请把颜色换成红色';
    const codes = checkOrder(o, { possibleDuplicateOf: '37000' }).reasons.map((r) => r.code);
    expect(codes).toEqual(
      expect.arrayContaining([
        'ADDRESS_INCOMPLETE',
        'ADDRESS_DIVISION_MISMATCH',
        'PHONE_INVALID',
        'LINE_IN_AFTERSALE',
        'AMOUNT_INVALID',
        'BUYER_NOTE_UNPARSED',
        'DUPLICATE_SUSPECTED',
      ]),
    );
  });

  it('a parsed special request is a note, not a review reason', () => {
    const o = base();
    o.customerNotes = '发顺丰，谢谢';
    const r = checkOrder(o);
    expect(r.reasons).toEqual([]);
    expect(r.requests.courier).toBe('SF');
    expect(r.notes.map((n) => n.code)).toContain('SPECIAL_REQUESTS');
  });

  it('virtual numbers with extension are valid and noted', () => {
    const o = base();
    o.address.useTelNumber = true;
    o.address.virtualTelNumber = '13212345774-1234';
    const r = checkOrder(o);
    expect(r.reasons).toEqual([]);
    expect(r.notes.map((n) => n.code)).toContain('PHONE_VIRTUAL');
  });
});
