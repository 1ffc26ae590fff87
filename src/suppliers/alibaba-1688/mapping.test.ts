import { describe, expect, it } from 'vitest';
import { parseJsonLossless } from '../../lib/lossless-json.js';
import {
  createAnswer,
  errorCodeOf,
  succeeded,
  isClosed,
  isPaid,
  mapParcels,
  orderEntries,
  orderFreight,
  orderIdOf,
  orderItems,
  orderTotal,
  paymentSeen,
  previewAnswer,
  receiverOf,
} from './mapping.js';

/** A buyerView answer in the shape of 1688 §6 (numbers as 1688 sends them: yuan, ids beyond 2^53). */
const VIEW = parseJsonLossless(`{
  "success": "true",
  "result": {
    "baseInfo": { "id": 2406911122334455667, "idOfStr": "2406911122334455667", "status": "waitsellersend", "totalAmount": 39.8,
      "shippingFee": 6, "alipayTradeId": "2026120722001", "payTime": "20261207101500000+0800",
      "receiverInfo": { "toFullName": "张三", "toMobile": "13800000000", "toPhone": "0755-1234-567", "toArea": "广东省 深圳市 南山区" } },
    "nativeLogistics": { "address": "科技园一路1号", "province": "广东省", "city": "深圳市", "area": "南山区", "contactPerson": "张三" },
    "productItems": [
      { "productID": 610000001, "specId": "b1f0", "quantity": 2, "subItemID": 2406911122334455668, "subItemIDString": "2406911122334455668" },
      { "productID": 610000002, "quantity": 1, "subItemID": 2406911122334455669 }
    ],
    "tradeTerms": [{ "payStatus": "2" }]
  }
}`) as Record<string, any>;

describe('1688 buyerView → what Daifa reads (the only place its fields are named)', () => {
  it('status, money in fen, entries, items and the receiver', () => {
    expect(isPaid(VIEW)).toBe(true);
    expect(isClosed(VIEW)).toBe(false);
    expect(orderTotal(VIEW)).toBe(3980);
    expect(orderFreight(VIEW)).toBe(600);
    expect(orderEntries(VIEW)).toEqual([
      { entryId: '2406911122334455668', specId: 'b1f0' },
      { entryId: '2406911122334455669', specId: '' },
    ]);
    expect(orderItems(VIEW)).toEqual([
      { offerId: '610000001', specId: 'b1f0', quantity: 2, entryId: '2406911122334455668' },
      { offerId: '610000002', specId: undefined, quantity: 1, entryId: '2406911122334455669' },
    ]);
    expect(receiverOf(VIEW)).toMatchObject({
      fullName: '张三',
      mobile: '13800000000',
      phone: '0755-1234-567',
      address: '科技园一路1号',
      province: '广东省',
      maskedName: '张**',
    });
    expect(orderIdOf(VIEW.result)).toBe('2406911122334455667');
    expect(paymentSeen(VIEW)).toMatchObject({ tradeId: '2026120722001', total: 3980 });
  });

  it('a view without a result reads as unknown, not as paid or closed', () => {
    expect(isPaid({})).toBe(false);
    expect(isClosed({})).toBe(false);
    expect(orderTotal({})).toBeUndefined();
    expect(orderFreight({})).toBe(0);
    expect(orderEntries({})).toEqual([]);
    expect(isClosed({ result: { baseInfo: { status: 'cancel' } } })).toBe(true);
    expect(isPaid({ result: { baseInfo: { status: 'waitbuyerpay' }, tradeTerms: [{ payStatus: '1' }] } })).toBe(false);
  });
});

describe('1688 parcels and traces → Parcel1688', () => {
  it('joins each parcel with its trace steps; entries keep their exact ids; missing fields read as empty', () => {
    const parcels = parseJsonLossless(`[
      { "logisticsId": "LP01", "logisticsCompanyName": "圆通速递", "logisticsCompanyNo": "YTO", "logisticsBillNo": "YT123",
        "gmtSystemSend": "20261207101500000+0800",
        "logisticsOrderGoods": [{ "tradeOrderItemId": 2406911122334455668, "quantity": 2 }] },
      { "logisticsId": "LP02" }
    ]`) as Record<string, any>[];
    const traces = [{ logisticsId: 'LP01', logisticsSteps: [{ acceptTime: '2026-12-07 12:00:00', remark: '已揽收' }] }];
    expect(mapParcels(parcels, traces)).toEqual([
      {
        logisticsId: 'LP01',
        companyName: '圆通速递',
        companyNo: 'YTO',
        waybill: 'YT123',
        sentAt: '20261207101500000+0800',
        goods: [{ entryId: '2406911122334455668', quantity: 2 }],
        steps: [{ acceptTime: '2026-12-07 12:00:00', remark: '已揽收' }],
      },
      { logisticsId: 'LP02', companyName: '', waybill: '', sentAt: '', goods: [], steps: [] },
    ]);
  });
});

describe('1688 answers: success and error codes', () => {
  it('success comes as a boolean or a string; the code is errorCode, else the gateway code', () => {
    expect([{ success: true }, { success: 'true' }, { success: 'false' }, {}].map(succeeded)).toEqual([true, true, false, false]);
    expect(errorCodeOf({ success: false, errorCode: 'CLOSE_ORDER_TOO_FAST' })).toBe('CLOSE_ORDER_TOO_FAST');
    expect(errorCodeOf({ code: 'gw.QpsOverLimit' })).toBe('gw.QpsOverLimit');
    expect(errorCodeOf({})).toBe('');
  });
});

describe('1688 placement answers → what purchasing reads', () => {
  it('a preview: total in fen as sent, the flow, each cargo unit price from yuan to fen; a refusal with its code', () => {
    // The official preview example (1688 §5, alibaba.createOrder.preview), trimmed: sumPayment in fen, prices in yuan.
    const preview = parseJsonLossless(
      '{"orderPreviewResuslt":[{"sumPayment":4400,"sumCarriage":800,"flowFlag":"general","cargoList":[{"amount":36,"finalUnitPrice":18,"specId":"eb81c61de14f4adb405ffcc2c8a4a3fb","offerId":548818919805},{"offerId":548818919806}]}],"success":true}',
    ) as Record<string, any>;
    expect(previewAnswer(preview)).toEqual({
      ok: true,
      total: 4400,
      flowFlag: 'general',
      cargo: [
        { offerId: '548818919805', specId: 'eb81c61de14f4adb405ffcc2c8a4a3fb', unitPrice: 1800 },
        { offerId: '548818919806', specId: '' },
      ],
    });
    expect(previewAnswer({ success: true, orderPreviewResuslt: [{}] })).toEqual({ ok: true, cargo: [] });
    expect(previewAnswer({ success: 'false', errorCode: '500_004', errorMsg: '库存不足' })).toEqual({
      ok: false,
      code: '500_004',
      message: '库存不足',
    });
  });

  it('a creation: the order id exact beyond 2^53, the failed cargo and the created part’s total; a refusal, or no order id, is refused', () => {
    const created = parseJsonLossless(
      '{"success":true,"result":{"orderId":58218860983545941,"totalSuccessAmount":6150,"failedOfferList":[{"offerId":610000002,"specId":"s2","errorCode":"500_004"}]}}',
    ) as Record<string, any>;
    expect(createAnswer(created)).toEqual({
      ok: true,
      orderId: '58218860983545941',
      failed: [{ offerId: '610000002', specId: 's2', errorCode: '500_004' }],
      successTotal: 6150,
    });
    expect(createAnswer({ success: true, result: { orderId: '1' } })).toEqual({ ok: true, orderId: '1', failed: [] });
    expect(createAnswer({ success: false, code: '500_007', message: '无权限' })).toEqual({ ok: false, code: '500_007', message: '无权限' });
    expect(createAnswer({ success: true, result: {} })).toEqual({ ok: false, code: '', message: '' });
  });
});
