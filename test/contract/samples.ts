/**
 * Request/response samples of every WeChat Shop and 1688 endpoint and push Daifa uses, each with its source.
 * `official`: the example printed on the platform's page (as quoted in ../shared/reference, which names the copy it
 * was read from); `fields`: no example is published or quoted — built from the page's documented fields and types,
 * and listed as unverified in docs/PLATFORMS.md. Ids keep the wire form (bare 64-bit numbers where the page has them).
 */
export interface Sample {
  source: string;
  kind: 'official' | 'fields';
  /** The answer as JSON text (text, so bare big integers stay exact). */
  response: string;
}

const WX = 'https://developers.weixin.qq.com/doc/store';

export const WECHAT_SAMPLES: Record<string, Sample> = {
  '/cgi-bin/stable_token': {
    source: 'https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken',
    kind: 'official',
    response: '{"access_token":"ACCESS_TOKEN","expires_in":7200}',
  },
  '/channels/ec/order/list/get': {
    source: `${WX}/API/order/list_get.html`,
    kind: 'official',
    response:
      '{"errcode": 0, "errmsg": "ok", "order_id_list": ["3704612354559743232", "3704849110714209536"], "next_key": "THE_NEXT_KEY_NEW", "has_more": true}',
  },
  '/channels/ec/order/get': {
    source: `${WX}/API/order/get (example as mirrored in SKIT ModelSamples; masked address_info from a WeChat staff answer, https://developers.weixin.qq.com/community/minihome/doc/0006ae786549c8579682a8bbe61400)`,
    kind: 'official',
    response: `{"errcode": 0, "errmsg": "ok", "order": {"order_id": "37423523451235145", "status": 20, "create_time": 1658505600, "update_time": 1658505600,
      "order_detail": {"product_infos": [{"product_id": "234245", "sku_id": "23424", "sku_cnt": 10, "on_aftersale_sku_cnt": 10, "finish_aftersale_sku_cnt": 0, "title": "健身环", "thumb_img": "https://mmecimage.cn/p/wx37f38d59298839c3/HJE9eJaEc5bJk-eaArVdILSB7MMaHgdK2-JIn51nMQ", "sale_price": 2000, "market_price": 2000, "sku_attrs": [{"attr_key": "产地", "attr_value": "四川成都"}]}],
        "pay_info": {"prepay_id": "42526234625", "transaction_id": "131456479687", "prepay_time": 1658509200, "pay_time": 1658509200, "payment_method": 1},
        "price_info": {"product_price": 20000, "order_price": 10500, "freight": 500, "discounted_price": 10000, "is_discounted": true},
        "delivery_info": {"address_info": {"user_name": "林**", "postal_code": "350600", "province_name": "福建省", "city_name": "福州市", "county_name": "罗源县", "detail_info": "****", "national_code": "888888", "tel_number": "183****2807", "house_number": "", "virtual_order_tel_number": "", "tel_number_ext_info": {"real_tel_number": "183****2807", "virtual_tel_number": "132123457749-1234", "virtual_tel_expire_time": 1735436340}, "use_tel_number": 1, "hash_code": "e258ec6c3333e0acb97d3e0bc875758c"},
          "delivery_product_info": [{"waybill_id": "134654612313", "delivery_id": "STO", "delivery_time": 1620738080, "deliver_type": 1, "product_infos": [{"product_id": "234245", "sku_id": "23424", "product_cnt": 1}]}], "ship_done_time": 1620738080, "deliver_method": 0},
        "coupon_info": {"user_coupon_id": "301234567890"},
        "ext_info": {"customer_notes": "发顺丰", "merchant_notes": "库存不足，取消", "finder_id": "sph3FZbOEY46mAB", "order_scene": 2},
        "settle_info": {"commission_fee": 10, "predict_commission_fee": 10}},
      "aftersale_detail": {"aftersale_order_list": [{"aftersale_order_id": "1234", "status": 13}], "on_aftersale_order_cnt": 1}, "openid": "OPENID"}}`,
  },
  '/channels/ec/order/sensitiveinfo/decode': {
    source: `${WX}/API/order/decode_order_sensitive_info.html`,
    kind: 'fields',
    response:
      '{"errcode":0,"errmsg":"ok","address_info":{"user_name":"林小姐","postal_code":"350600","province_name":"福建省","city_name":"福州市","county_name":"罗源县","detail_info":"凤山镇 1 号","national_code":"888888","tel_number":"183****2807","house_number":"","virtual_order_tel_number":""},"virtual_number_info":{"virtual_number":"13212345774","extension":"1234","expiration":1735436340}}',
  },
  '/channels/ec/order/deliverycompanylist/new/get': {
    source: `${WX}/shop/API/ewaybill/deliverycompanylist_get_new.html`,
    kind: 'official',
    response:
      '{"errcode":0,"errmsg":"ok","company_list":[{"delivery_id":"SF","delivery_name":"顺丰速运"},{"delivery_id":"ZTO","delivery_name":"中通快递"}]}',
  },
  '/channels/ec/order/dropship/assign': {
    source: `${WX}/shop/API/supplier (代发管理, envelope only)`,
    kind: 'official',
    response: '{"errcode":0,"errmsg":"ok"}',
  },
  '/channels/ec/order/dropship/get': {
    source: `${WX}/shop/API/supplier (dropship_order; ids as numbers on the merchant side) and the real supplier/get sample in reference §5.2`,
    kind: 'fields',
    response:
      '{"errcode":0,"errmsg":"ok","dropship_order":{"ds_order_id":4429352113418018304,"order_id":3729352105237033728,"status":300,"create_time":1751959503,"update_time":1751959503,"supplier_appid":"wxsupplier0000001","supplier_name":"开平代发","dropship_order_detail":{"product_infos":[{"product_id":10000017524246,"sku_id":2983950535,"sku_cnt":1,"title":"香薰"}],"delivery_info":{"delivery_product_info":[{"waybill_id":"YT1234567890123","delivery_id":"YTO","delivery_name":"圆通速递","delivery_time":1751960000,"product_infos":[{"product_id":10000017524246,"sku_id":2983950535,"product_cnt":1}]}]}}}}',
  },
  '/channels/ec/order/delivery/send': {
    source: `${WX}/API/order/delivery_send (official example request, SKIT ModelSamples)`,
    kind: 'official',
    response: '{"errcode": 0, "errmsg": "ok"}',
  },
  '/channels/ec/order/deliveryinfo/update': {
    source: `${WX}/API/order/deliveryinfo_update`,
    kind: 'official',
    response: '{"errcode": 0, "errmsg": "ok"}',
  },
  '/channels/ec/order/deliverynegotiation/submit': {
    source: `${WX}/shop/API/channels-shop-order/api_submitdeliverynegotiation`,
    kind: 'official',
    response: '{"errcode": 0, "errmsg": "ok"}',
  },
  '/channels/ec/order/deliverynegotiation/result/get': {
    source: `${WX}/shop/API/channels-shop-order/api_querydeliverynegotiation (request {"order_id_list":[3720814359427026945]}; the answer's fields and types from the page)`,
    kind: 'fields',
    response:
      '{"errcode":0,"errmsg":"ok","negotiation_list":[{"order_id":"3720814359427026945","original_delivery_time":1735000000,"predict_delivery_time":1735172800,"reason":2,"state":2,"remark":"补货中","deadline":1735100000,"create_time":1734990000,"update_time":1734995000},{"order_id":"3720814359427026946","original_delivery_time":1735000000,"predict_delivery_time":1735172800,"reason":2,"state":10,"remark":"补货中","deadline":1735100000,"create_time":1734990000,"update_time":1734990000}]}',
  },
  '/channels/ec/aftersale/acceptapply': {
    source: `${WX}/shop/API/aftersale/acceptapply`,
    kind: 'official',
    response: '{"errcode": 0, "errmsg": "ok"}',
  },
  '/channels/ec/aftersale/genaftersaleorder': {
    source: `${WX}/shop/API/aftersale/genaftersaleorder (aftersale_id typed as a number)`,
    kind: 'fields',
    response: '{"errcode":0,"errmsg":"ok","aftersale_id":2000003413203552}',
  },
  '/channels/ec/aftersale/getaftersaleorder': {
    source: `${WX}/shop/API/aftersale/getaftersaleorder (example via SKIT ModelSamples)`,
    kind: 'official',
    response: `{"errcode": 0, "after_sale_order": {"after_sale_order_id": "123456", "status": "MERCHANT_REFUND_SUCCESS", "openid": "OPENID", "order_id": "1768683047558651", "product_info": {"product_id": "3286", "sku_id": "4740", "count": 1},
      "details": {"desc": "1234", "receive_product": true, "cancel_time": 0, "media_id_list": [], "tel_number": ""}, "refund_info": {"amount": 11, "refund_reason": 1}, "return_info": {"waybill_id": "", "delivery_id": "", "delivery_name": ""},
      "merchant_upload_info": {"reject_reason": "", "refund_certificates": []}, "create_time": 1591319454, "update_time": 1612754444, "reason": "NO_LONGER_WANT", "refund_resp": {"code": "", "ret": 0, "message": ""}, "type": "REFUND", "gen_scene": 0}}`,
  },
};

/** Pushes (decrypted JSON), by event name. */
export const WECHAT_PUSH_SAMPLES: Record<string, Sample> = {
  channels_ec_order_pay: {
    source: `${WX}/shop/notify/order_callback/ (pay_time typed number; SKIT sample quotes it)`,
    kind: 'fields',
    response:
      '{"ToUserName":"gh_97417a04a28d","FromUserName":"OPENID","CreateTime":1662480000,"MsgType":"event","Event":"channels_ec_order_pay","order_info":{"order_id":3705115058471208928,"pay_time":1662480000}}',
  },
  channels_ec_order_deliver: {
    source: `${WX}/shop/notify/order_callback/ (official example)`,
    kind: 'official',
    response:
      '{"ToUserName": "gh_*", "FromUserName": "OPENID", "CreateTime": 1662480000, "MsgType": "event", "Event": "channels_ec_order_deliver", "order_info": {"order_id": 3705115058471208928, "finish_delivery": 1}}',
  },
  channels_ec_order_cancel: {
    source: `${WX}/shop/notify/order_callback/`,
    kind: 'fields',
    response:
      '{"ToUserName":"gh_*","FromUserName":"OPENID","CreateTime":1662480000,"MsgType":"event","Event":"channels_ec_order_cancel","order_info":{"order_id":3705115058471208928,"cancel_type":3}}',
  },
  channels_ec_order_confirm: {
    source: `${WX}/shop/notify/order_callback/`,
    kind: 'fields',
    response:
      '{"ToUserName":"gh_*","FromUserName":"OPENID","CreateTime":1662480000,"MsgType":"event","Event":"channels_ec_order_confirm","order_info":{"order_id":3705115058471208928,"confirm_type":1}}',
  },
  channels_ec_order_settle: {
    source: `${WX}/shop/notify/order_callback/`,
    kind: 'fields',
    response:
      '{"ToUserName":"gh_*","FromUserName":"OPENID","CreateTime":1662480000,"MsgType":"event","Event":"channels_ec_order_settle","order_info":{"order_id":3705115058471208928,"settle_time":1662480000}}',
  },
  channels_ec_order_ext_info_update: {
    source: `${WX}/shop/notify/order_callback/ (types 1–23)`,
    kind: 'fields',
    response:
      '{"ToUserName":"gh_*","FromUserName":"OPENID","CreateTime":1662480000,"MsgType":"event","Event":"channels_ec_order_ext_info_update","order_info":{"order_id":3705115058471208928,"type":21}}',
  },
  channels_ec_aftersale_update: {
    source: `${WX}/shop/notify/aftersale_callback/ (official example)`,
    kind: 'official',
    response:
      '{"ToUserName": "gh_*", "FromUserName": "OpenID", "CreateTime": 1662480000, "MsgType": "event", "Event": "channels_ec_aftersale_update", "finder_shop_aftersale_status_update": {"status": "USER_WAIT_RETURN", "after_sale_order_id": "1234567", "order_id": "12345", "wxa_vip_discounted_price": 100}}',
  },
};

const ALI = 'https://open.1688.com/api/apidocdetail.htm?id=';

export const ALIBABA_SAMPLES: Record<string, Sample> = {
  'system.oauth2/getToken': {
    source: 'https://open.1688.com/doc/apiAuth.htm (token answer)',
    kind: 'fields',
    response:
      '{"aliId":"8888888888","resource_owner":"buyer","memberId":"b2b-2248544159","expires_in":"36000","refresh_token":"0f1c-refresh","refresh_token_timeout":"20271207000000000+0800","access_token":"f14da3b8-b0b1-4f73-a5de-9bed637e0188"}',
  },
  'alibaba.createOrder.preview': {
    source: `${ALI}com.alibaba.trade:alibaba.createOrder.preview-1 (official example, trimmed)`,
    kind: 'official',
    response:
      '{"orderPreviewResuslt":[{"tradeModeNameList":["nzassure"],"status":true,"taoSampleSinglePromotion":false,"sumPayment":4400,"sumCarriage":800,"sumPaymentNoCarriage":3600,"flowFlag":"general","cargoList":[{"amount":36,"finalUnitPrice":18,"specId":"eb81c61de14f4adb405ffcc2c8a4a3fb","skuId":3332085412530,"offerId":548818919805,"cargoPromotionList":[]}],"shopPromotionList":[],"tradeModelList":[{"tradeType":"nzassure","name":"担保交易","description":"买家下单5天内全款支付","opSupport":true}]}],"success":true}',
  },
  'alibaba.trade.fastCreateOrder': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.fastCreateOrder-1 (shape from the official Java SDK AlibabaTradeFastCreateOrderResult; values illustrative)`,
    kind: 'fields',
    response: '{"success":true,"result":{"orderId":"58218860983545941","totalSuccessAmount":6150,"postFee":600,"failedOfferList":[]}}',
  },
  'alibaba.trade.get.buyerView': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.get.buyerView-1 (official example, trimmed)`,
    kind: 'official',
    response:
      '{"result":{"baseInfo":{"businessType":"cn","buyerID":"b2b-2248544159","createTime":"20170913231708000-0700","id":58218860983545944,"idOfStr":"58218860983545941","modifyTime":"20170913234725000-0700","payTime":"20170913231727000-0700","refund":0,"sellerID":"b2b-2248564064","shippingFee":6,"status":"waitbuyerreceive","totalAmount":6.15,"discount":0,"tradeType":"50060","alipayTradeId":"2017091421001008480237437679","sumProductPayment":0.3,"receiverInfo":{"toFullName":"童恩杰","toDivisionCode":"330108","toPost":"312000","toTownCode":"330108002","toArea":"浙江省 杭州市 滨江区 长河街道"}},"nativeLogistics":{"province":"浙江省","city":"杭州市","area":"滨江区","address":"杭州市滨江区网商路699号","contactPerson":"童恩杰","mobile":"13666836263","zip":"312000","logisticsItems":[{"logisticsCode":"BX107450035961376","type":"2","status":"alreadysend","deliveredTime":"20170913231917000-0700","logisticsBillNo":"不需要物流","subItemIds":"58218860984545941,58218860985545941"}]},"productItems":[{"itemAmount":0.05,"name":"鞋","price":0.1,"productID":558700975520,"quantity":1,"skuID":3638916762844,"specId":"6ff6071792c8ab520b9b867c61b990bd","status":"waitbuyerreceive","statusStr":"等待买家收货","subItemID":58218860985545944,"subItemIDString":"58218860985545941","skuInfos":[{"name":"颜色","value":"白色"},{"name":"尺码","value":"38"}],"logisticsStatus":2,"unit":"双"}],"tradeTerms":[{"payStatus":"2","payTime":"20170913231727000-0700","payWay":"1","phasAmount":6.15,"phase":655062941545941}]},"success":"true"}',
  },
  'alibaba.trade.getBuyerOrderList': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.getBuyerOrderList-1 (TradeInfo list; official sample ends with "totalRecord":537)`,
    kind: 'fields',
    response:
      '{"result":[{"baseInfo":{"id":58218860983545944,"idOfStr":"58218860983545941","status":"waitbuyerpay","outOrderId":"daifa-1-1","totalAmount":6.15}}],"totalRecord":1}',
  },
  'alibaba.trade.pay.protocolPay.isopen': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.pay.protocolPay.isopen-1 (official example)`,
    kind: 'official',
    response:
      '{"result":{"success":true,"code":null,"message":null,"result":{"paymentAgreements":[{"payChannel":"SHEGOU","bindingStatus":"false","signedStatus":"false"},{"payChannel":"ALIPAY","bindingStatus":"true","signedStatus":"true","signUrl":"https://mapi.alipay.com/gateway.do"}]}}}',
  },
  'alibaba.trade.pay.protocolPay.preparePay': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.pay.protocolPay.preparePay-1 (documented fields)`,
    kind: 'fields',
    response: '{"result":{"success":true,"code":null,"message":null,"result":{"payChannel":"Alipay","paySuccess":true}}}',
  },
  'alibaba.alipay.url.get': {
    source: `${ALI}com.alibaba.trade:alibaba.alipay.url.get-1 (official example)`,
    kind: 'official',
    response: '{"payUrl":"https://trade.1688.com/order/cashier.htm?orderId=151923545459498520","success":true}',
  },
  'alibaba.trade.payWay.query': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.payWay.query-1 (official example)`,
    kind: 'official',
    response:
      '{"resultList":{"channels":[{"code":1,"name":"支付宝"}],"orderId":"239695213738498520","payFee":32120,"timeout":"2018-11-04 14:00:45"},"success":true}',
  },
  'alibaba.trade.getLogisticsInfos.buyerView': {
    source: `${ALI}com.alibaba.logistics:alibaba.trade.getLogisticsInfos.buyerView-1 (official example; logisticsBillNo and company added from the field table)`,
    kind: 'official',
    response:
      '{"result":[{"logisticsId":"BX111841674232006","logisticsBillNo":"75123456789012","orderEntryIds":"149989279191615400","status":"SIGN","logisticsCompanyId":"8","logisticsCompanyName":"中通快递(ZTO)","logisticsCompanyNo":"ZTO","sendGoods":[{"unit":"个","quantity":2,"goodName":"杯子"}],"receiver":{"receiverName":"XXX","receiverMobile":"13800138000","receiverProvince":"上海","receiverCity":"上海市","receiverCounty":"长宁区","receiverAddress":"XXX街道 XX路999","encrypt":"CN"},"sender":{"senderName":"张三","senderMobile":"12345678900","senderProvince":"浙江省","senderCity":"杭州市","senderCounty":"滨江区","senderAddress":"网商路699号","encrypt":"CN"}}],"success":true}',
  },
  'alibaba.trade.getLogisticsTraceInfo.buyerView': {
    source: `${ALI}com.alibaba.logistics:alibaba.trade.getLogisticsTraceInfo.buyerView-1 (official example)`,
    kind: 'official',
    response:
      '{"logisticsTrace":[{"logisticsId":"LP00106397027178","logisticsBillNo":"3832890717253","orderId":188983797838441800,"logisticsSteps":[{"acceptTime":"2018-07-24 21:55:33","remark":"在广东广州天河区天平架一公司进行揽件扫描"},{"acceptTime":"2018-07-26 13:33:11","remark":"快件已被 已签收 签收"}]}],"success":true}',
  },
  'logistics.delivery.urge': {
    source: `${ALI}com.alibaba.logistics:logistics.delivery.urge-1 (documented fields)`,
    kind: 'fields',
    response: '{"result":{"success":true,"code":null,"message":null,"result":true}}',
  },
  'alibaba.trade.getRefundReasonList': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.getRefundReasonList-1 (reason ids 20021/20028 as in the official samples)`,
    kind: 'fields',
    response:
      '{"result":{"code":"200","message":"success","success":true,"result":{"reasons":[{"id":20021,"name":"我不想要了","needVoucher":false,"noRefundCarriage":false,"tip":""},{"id":20028,"name":"缺货","needVoucher":false,"noRefundCarriage":false,"tip":""}]}}}',
  },
  'alibaba.trade.createRefund': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.createRefund-1 (official example)`,
    kind: 'official',
    response: '{"result":{"result":{"refundId":"TQ34931008034741532"},"success":true}}',
  },
  'push.cursor.messageList': {
    source: `${ALI}cn.alibaba.open:push.cursor.messageList-1 (pushMessageList of message records)`,
    kind: 'fields',
    response:
      '{"pushMessageList":[{"msgId":7565094247,"type":"ORDER_BUYER_VIEW_ORDER_PAY","userInfo":"b2b-665170100","data":{"buyerMemberId":"b2b-665170100","currentStatus":"waitsellersend","msgSendTime":"2018-05-30 19:34:27","orderId":167539019420540000,"sellerMemberId":"b2b-1676547900b7bb3"},"gmtBorn":1586227869437,"topicGroup":"ORDER","topicName":"ORDER_BUYER_VIEW_ORDER_PAY","appKey":"1000000"}],"success":true}',
  },
  'alibaba.trade.cancel': {
    source: `${ALI}com.alibaba.trade:alibaba.trade.cancel-1 (official example)`,
    kind: 'official',
    response: '{"success":true}',
  },
};

/** 1688 messages (the posted `message` JSON), by topic. */
export const ALIBABA_MESSAGE_SAMPLES: Record<string, Sample> = {
  ORDER_BUYER_VIEW_ORDER_PAY: {
    source: 'https://open.1688.com/doc/messageDoc.htm (example)',
    kind: 'official',
    response:
      '{"bizKey":"167539019420540000","data":{"buyerMemberId":"b2b-665170100","orderId":167539019420540000,"currentStatus":"waitsellersend","sellerMemberId":"b2b-1676547900b7bb3","msgSendTime":"2018-05-30 19:34:27"},"gmtBorn":1586227869437,"msgId":7565094247,"type":"ORDER_BUYER_VIEW_ORDER_PAY","userInfo":"b2b-1676547900b7bb3"}',
  },
  LOGISTICS_BUYER_VIEW_TRACE: {
    source: 'https://open.1688.com/doc/messageDoc.htm (LOGISTICS_BUYER_VIEW_TRACE payload fields)',
    kind: 'fields',
    response:
      '{"bizKey":"167539019420540000","data":{"OrderLogisticsTracingModel":{"logisticsId":"LP00106397027178","cpCode":"ZTO","mailNo":"75123456789012","statusChanged":"SIGN","changeTime":"20180726133311000+0800","orderLogsItems":[{"orderId":167539019420540000,"orderEntryId":167539019420540001}]}},"gmtBorn":1586227869437,"msgId":7565094248,"type":"LOGISTICS_BUYER_VIEW_TRACE","userInfo":"b2b-665170100"}',
  },
  LOGISTICS_MAIL_NO_CHANGE: {
    source: 'https://open.1688.com/doc/messageDoc.htm (LOGISTICS_MAIL_NO_CHANGE payload fields)',
    kind: 'fields',
    response:
      '{"bizKey":"167539019420540000","data":{"MailNoChangeModel":{"logisticsId":"LP00106397027178","oldCpCode":"ZTO","newCpCode":"YTO","oldMailNo":"75123456789012","newMailNo":"YT1234567890123","eventTime":"20180726133311000+0800","orderLogsItems":[{"orderId":167539019420540000,"orderEntryId":167539019420540001}]}},"gmtBorn":1586227869437,"msgId":7565094249,"type":"LOGISTICS_MAIL_NO_CHANGE","userInfo":"b2b-665170100"}',
  },
};
