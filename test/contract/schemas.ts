import { z } from 'zod';

/**
 * What Daifa reads of each answer, as types: one schema per endpoint, held against the official sample and against
 * the simulator's own answer — so the two cannot drift apart. Objects pass unknown keys through (the platforms add
 * fields); ids are exact integers, as JSON numbers or strings (the lossless parser turns big numbers into strings).
 */
const id = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]);
const obj = <T extends z.ZodRawShape>(shape: T) => z.object(shape).passthrough();
const ok = obj({ errcode: z.literal(0).optional(), errmsg: z.string().optional() });
const bool = z.union([z.boolean(), z.enum(['true', 'false'])]);

const wxAddress = obj({
  user_name: z.string(),
  province_name: z.string(),
  city_name: z.string(),
  county_name: z.string(),
  detail_info: z.string(),
  tel_number: z.string(),
  postal_code: z.string().optional(),
});
const wxProducts = z.array(obj({ product_id: id, sku_id: id, product_cnt: z.number().int().positive() }));

export const WECHAT_SCHEMAS: Record<string, z.ZodTypeAny> = {
  '/cgi-bin/stable_token': obj({ access_token: z.string().min(1), expires_in: z.number().int().positive() }),
  '/channels/ec/order/list/get': ok.extend({ order_id_list: z.array(id), next_key: z.string(), has_more: z.boolean() }),
  '/channels/ec/order/get': ok.extend({
    order: obj({
      order_id: id,
      status: z.number().int(),
      create_time: z.number().int(),
      update_time: z.number().int(),
      order_detail: obj({
        product_infos: z.array(
          obj({
            product_id: id,
            sku_id: id,
            sku_cnt: z.number().int().positive(),
            title: z.string(),
            sale_price: z.number().int(),
            on_aftersale_sku_cnt: z.number().int().optional(),
            finish_aftersale_sku_cnt: z.number().int().optional(),
            sku_attrs: z.array(obj({ attr_key: z.string(), attr_value: z.string() })),
          }),
        ),
        price_info: obj({ order_price: z.number().int(), freight: z.number().int().optional() }),
        delivery_info: obj({
          address_info: wxAddress,
          delivery_product_info: z.array(obj({ waybill_id: z.string(), delivery_id: z.string(), product_infos: wxProducts })).optional(),
        }),
        ext_info: obj({ customer_notes: z.string().optional(), merchant_notes: z.string().optional() }).optional(),
      }),
    }),
  }),
  '/channels/ec/order/sensitiveinfo/decode': ok.extend({
    address_info: wxAddress,
    virtual_number_info: obj({ virtual_number: z.string(), extension: z.string() }).optional(),
  }),
  '/channels/ec/order/deliverycompanylist/new/get': ok.extend({
    company_list: z.array(obj({ delivery_id: z.string().min(1), delivery_name: z.string() })),
  }),
  '/channels/ec/order/dropship/assign': ok,
  '/channels/ec/order/dropship/get': ok.extend({
    dropship_order: obj({
      ds_order_id: id,
      order_id: id,
      status: z.number().int(),
      dropship_order_detail: obj({
        product_infos: z.array(obj({ product_id: id, sku_id: id })),
        delivery_info: obj({
          delivery_product_info: z.array(obj({ waybill_id: z.string(), delivery_id: z.string(), product_infos: wxProducts })),
        }).optional(),
      }),
    }),
  }),
  '/channels/ec/order/delivery/send': ok,
  '/channels/ec/order/deliveryinfo/update': ok,
  '/channels/ec/order/deliverynegotiation/submit': ok,
  '/channels/ec/order/deliverynegotiation/result/get': ok.extend({
    negotiation_list: z.array(
      obj({
        order_id: id,
        original_delivery_time: z.number().int(),
        predict_delivery_time: z.number().int(),
        reason: z.number().int(),
        state: z.number().int(),
        create_time: z.number().int(),
        update_time: z.number().int(),
      }),
    ),
  }),
  '/channels/ec/aftersale/acceptapply': ok,
  '/channels/ec/aftersale/genaftersaleorder': ok.extend({ aftersale_id: id }),
  '/channels/ec/aftersale/getaftersaleorder': ok.extend({
    after_sale_order: obj({
      after_sale_order_id: id,
      order_id: id,
      status: z.string(),
      type: z.enum(['REFUND', 'RETURN', 'EXCHANGE']),
      product_info: obj({ product_id: id, sku_id: id, count: z.number().int() }),
      refund_info: obj({ amount: z.number().int() }),
    }),
  }),
};

const orderInfo = (extra: z.ZodRawShape) => obj({ order_id: id, ...extra });
const wxPush = (event: string, body: z.ZodRawShape) =>
  obj({
    ToUserName: z.string(),
    FromUserName: z.string(),
    CreateTime: z.union([z.number().int(), z.string().regex(/^\d+$/)]),
    MsgType: z.literal('event'),
    Event: z.literal(event),
    ...body,
  });
const numOrStr = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

export const WECHAT_PUSH_SCHEMAS: Record<string, z.ZodTypeAny> = {
  channels_ec_order_pay: wxPush('channels_ec_order_pay', { order_info: orderInfo({ pay_time: numOrStr }) }),
  channels_ec_order_deliver: wxPush('channels_ec_order_deliver', {
    order_info: orderInfo({ finish_delivery: z.union([z.literal(0), z.literal(1)]) }),
  }),
  channels_ec_order_cancel: wxPush('channels_ec_order_cancel', { order_info: orderInfo({ cancel_type: numOrStr }) }),
  channels_ec_order_confirm: wxPush('channels_ec_order_confirm', { order_info: orderInfo({ confirm_type: numOrStr }) }),
  channels_ec_order_settle: wxPush('channels_ec_order_settle', { order_info: orderInfo({ settle_time: numOrStr }) }),
  channels_ec_order_ext_info_update: wxPush('channels_ec_order_ext_info_update', {
    order_info: orderInfo({ type: z.number().int().min(1).max(23) }),
  }),
  channels_ec_aftersale_update: wxPush('channels_ec_aftersale_update', {
    finder_shop_aftersale_status_update: obj({ after_sale_order_id: id, status: z.string(), order_id: id }),
  }),
};

const ali = {
  tradeInfo: obj({
    baseInfo: obj({
      id,
      status: z.string(),
      totalAmount: z.number(),
      idOfStr: z.string().regex(/^\d+$/).optional(),
      shippingFee: z.number().optional(),
      receiverInfo: obj({ toFullName: z.string().optional(), toMobile: z.string().optional() }).optional(),
    }),
    productItems: z
      .array(
        obj({ productID: id, quantity: z.number(), subItemID: id, specId: z.string().optional(), subItemIDString: z.string().optional() }),
      )
      .optional(),
    nativeLogistics: obj({
      province: z.string(),
      city: z.string(),
      area: z.string(),
      address: z.string(),
      contactPerson: z.string(),
      mobile: z.string().optional(),
    }).optional(),
    tradeTerms: z.array(obj({ payStatus: z.union([z.string(), z.number()]) })).optional(),
  }),
  message: obj({
    msgId: id,
    type: z.string(),
    gmtBorn: z.number().int(),
    userInfo: z.string(),
    data: z.union([z.record(z.unknown()), z.string()]),
    bizKey: z.string().optional(),
  }),
};
const aliResult = (inner: z.ZodTypeAny) => obj({ result: obj({ success: bool, result: inner }) });

export const ALIBABA_SCHEMAS: Record<string, z.ZodTypeAny> = {
  'system.oauth2/getToken': obj({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1),
    expires_in: z.union([z.string().regex(/^\d+$/), z.number()]),
    memberId: z.string(),
    refresh_token_timeout: z
      .string()
      .regex(/^\d{14}(\d{3})?[+-]\d{4}$/)
      .optional(),
  }),
  'alibaba.createOrder.preview': obj({
    success: bool,
    orderPreviewResuslt: z
      .array(
        obj({
          sumPayment: z.number().int(),
          sumCarriage: z.number().int(),
          flowFlag: z.string(),
          cargoList: z.array(obj({ offerId: id, specId: z.string().optional(), finalUnitPrice: z.number() })),
        }),
      )
      .min(1),
  }),
  'alibaba.trade.fastCreateOrder': obj({
    success: bool,
    result: obj({
      orderId: id,
      totalSuccessAmount: z.number().int(),
      postFee: z.number().int().optional(),
      failedOfferList: z.array(obj({ offerId: id })).optional(),
    }),
  }),
  'alibaba.trade.get.buyerView': obj({ success: bool, result: ali.tradeInfo }),
  'alibaba.trade.getBuyerOrderList': obj({ result: z.array(ali.tradeInfo), totalRecord: z.number().int() }),
  'alibaba.trade.pay.protocolPay.isopen': aliResult(
    obj({
      paymentAgreements: z.array(
        obj({ payChannel: z.string(), signedStatus: z.enum(['true', 'false']), bindingStatus: z.enum(['true', 'false']) }),
      ),
    }),
  ),
  'alibaba.trade.pay.protocolPay.preparePay': aliResult(obj({ paySuccess: z.boolean(), payChannel: z.string().optional() })),
  'alibaba.alipay.url.get': obj({ success: bool, payUrl: z.string().url() }),
  'alibaba.trade.payWay.query': obj({
    success: bool,
    resultList: obj({ payFee: z.number().int(), orderId: id, channels: z.array(obj({ code: z.number().int(), name: z.string() })) }),
  }),
  'alibaba.trade.getLogisticsInfos.buyerView': obj({
    result: z.array(
      obj({
        logisticsId: z.string(),
        logisticsBillNo: z.string(),
        orderEntryIds: z.string(),
        status: z.string(),
        logisticsCompanyName: z.string().optional(),
      }),
    ),
  }),
  'alibaba.trade.getLogisticsTraceInfo.buyerView': obj({
    logisticsTrace: z.array(
      obj({
        logisticsId: z.string(),
        logisticsSteps: z.array(obj({ acceptTime: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/), remark: z.string() })),
      }),
    ),
  }),
  'logistics.delivery.urge': obj({ result: obj({ success: bool }) }),
  'alibaba.trade.getRefundReasonList': aliResult(
    obj({ reasons: z.array(obj({ id, name: z.string(), needVoucher: bool, noRefundCarriage: bool })) }),
  ),
  'alibaba.trade.createRefund': obj({ result: obj({ success: bool, result: obj({ refundId: z.string().regex(/^TQ\d+$/) }) }) }),
  'push.cursor.messageList': obj({ pushMessageList: z.array(ali.message) }),
  'alibaba.trade.cancel': obj({ success: bool }),
};

export const ALIBABA_MESSAGE_SCHEMA = ali.message;
export const ALIBABA_MESSAGE_DATA: Record<string, z.ZodTypeAny> = {
  ORDER_BUYER_VIEW_ORDER_PAY: obj({
    orderId: id,
    currentStatus: z.string(),
    buyerMemberId: z.string(),
    sellerMemberId: z.string(),
    msgSendTime: z.string(),
  }),
  LOGISTICS_BUYER_VIEW_TRACE: obj({
    OrderLogisticsTracingModel: obj({
      logisticsId: z.string(),
      mailNo: z.string(),
      cpCode: z.string(),
      statusChanged: z.string(),
      orderLogsItems: z.array(obj({ orderId: id, orderEntryId: id })),
    }),
  }),
  LOGISTICS_MAIL_NO_CHANGE: obj({
    MailNoChangeModel: obj({
      logisticsId: z.string(),
      newMailNo: z.string(),
      newCpCode: z.string(),
      orderLogsItems: z.array(obj({ orderId: id, orderEntryId: id })),
    }),
  }),
};
