import { createContext, useContext } from 'react';

/** Chinese first; English switchable. Keys are short English phrases; missing English falls back to the key. */
const zh: Record<string, string> = {
  Overview: '工作台', Orders: '订单', Cases: '异常', 'Purchase orders': '采购单', Suppliers: '供应商', Mappings: '商品映射', Money: '资金', Settings: '设置', Sandbox: '沙箱',
  'Log in': '登录', 'Log out': '退出登录', 'Change password': '修改密码', 'Current password': '当前密码', 'New password': '新密码（至少 8 位）', Username: '用户名', Password: '密码', 'Daifa console': '代发 Daifa 控制台',
  "Today's paid orders": '今日付款订单', "Today's revenue": '今日收入', "Today's cost": '今日采购成本', "Today's profit": '今日利润', 'Estimated profit today': '今日预估利润',
  Pipeline: '订单流转', 'Cases waiting': '待处理异常', 'Deadlines at risk': '发货超时风险', 'Failed alerts': '发送失败的提醒', 'Dead jobs': '失败任务',
  'Orders and profit per day': '每日订单与利润', 'Nothing waiting': '没有待处理事项', All: '全部', Search: '搜索', 'Order id, product or buyer': '订单号、商品或买家（打码）',
  Shop: '店铺', 'Paid at': '付款时间', Amount: '金额', State: '状态', Receiver: '收件人', 'Review reasons': '审核原因', 'Next page': '下一页', 'First page': '第一页',
  'Confirm selected': '批量确认', 'Order detail': '订单详情', Lines: '商品', Address: '收货地址', 'Decode address': '查看完整地址', Purpose: '用途', Destination: '发往',
  'Buyer notes': '买家备注', 'Special requests': '特殊要求', 'Supplier decision': '供应商选择', Candidates: '候选', Reason: '原因', Payments: '付款', Vouchers: '凭证',
  Packages: '包裹', History: '历史', Communications: '沟通记录', Actions: '操作', Confirm: '确认', Cancel: '取消', Note: '说明', Submit: '提交',
  'Record buyer agreed': '记录买家同意', 'Record buyer refused': '记录买家拒绝', 'Accept price': '接受新价格', 'Confirmed on 1688': '已核对无误', 'What did you check?': '核对了什么？', 'Approve payment': '批准付款', 'Reject payment': '拒绝付款',
  Expedite: '催发货', Retry: '重试', 'Delivery negotiation': '发货协商', Resolve: '标记已处理', Dismiss: '忽略', 'Approve mapping': '批准映射', Kind: '类型', Age: '已等待', 'Open cases': '待处理异常', 'Refunds to buyers': '退款给买家', 'Platform commission': '平台佣金',
  Route: '下单方式', Supplier: '供应商', 'Supplier order': '供应商订单号', Expected: '应付', 'Read back': '回读', 'Read-back check': '回读核对',
  'Dispatch p50 (h)': '发货时长 p50（小时）', 'Dispatch p80 (h)': '发货时长 p80（小时）', 'Transit p80 (h)': '在途时长 p80（小时）', 'Defect rate': '问题率', 'Stock-out rate': '缺货率', 'Price drift': '价格偏差', 'Order count': '单量', Trend: '趋势（8 周）',
  'Import workbook': '导入表格', 'Export CSV': '导出 CSV', 'Export Excel': '导出 Excel', 'Per unit': '每件数量', Priority: '优先级', Enabled: '启用', 'Row errors': '有问题的行', 'Suggestions to approve': '待关联商品（建议）',
  'Awaiting approval': '待审批付款', Approve: '批准', Reject: '拒绝', Ledger: '账目', 'Daily reconciliation': '每日对账', Day: '日期', Revenue: '收入', 'Supplier paid': '已付供应商', Profit: '利润', Differences: '差异',
  Shops: '店铺', 'Add shop': '添加店铺', 'Webhook URL': '消息推送 URL', Mode: '模式', Live: '正式', Shadow: '影子（只记录不下单）', '1688 accounts': '1688 账号', 'Refresh token expires': '刷新令牌到期',
  'Payment guardrails': '付款限额', 'Max per order (yuan)': '单笔上限（元）', 'Max per day (yuan)': '每日上限（元）', 'Min margin (yuan)': '最低毛利（元）', 'Approval above (yuan)': '超过此金额需审批（元）', 'Accept price rises up to (yuan)': '自动接受涨价上限（元）', 'A supplier price rise up to this amount is accepted by itself while the margin clears the floor; 0: always ask': '供应商涨价不超过此金额、且毛利仍不低于下限时自动接受；0 表示每次都需人工确认',
  'Scoring weights': '评分权重', Cost: '价格', Reliability: '可靠性', Speed: '速度', Reputation: '信誉', Save: '保存', Saved: '已保存', Users: '用户', Role: '角色', 'Add user': '添加用户', 'API tokens': 'API 令牌', 'Revoke all tokens': '撤销全部令牌', 'My API tokens': '我的 API 令牌', 'No API tokens': '没有 API 令牌（用 POST /api/auth/login 创建）', 'Last used': '最近使用', Revoke: '撤销', Revoked: '已撤销', 'Token name': '名称', 'Created at': '创建时间',
  'Notification rules': '提醒规则', 'Orders per minute': '每分钟订单数', 'Scenario mix': '场景比例', 'Fault knobs': '故障注入', 'Generate orders now': '立即生成订单', Generated: '已生成',
  'Special-request rate': '特殊要求比例', 'Multi-line rate': '多商品比例', 'Privacy-number rate': '虚拟号比例', 'Refund rate': '退款比例', 'Late rate': '供应商延迟比例', 'Stock-out after pay rate': '付款后缺货比例',
  'Split-ship rate': '分包发货比例', 'Lost answer rate': '丢失应答比例', 'Pay answer lost rate': '付款应答丢失比例', 'Price rise (yuan)': '涨价（元）', 'Latency (ms)': '延迟（毫秒）',
  Language: '语言', 'Live updates on': '实时更新中', Reconnecting: '重新连接中', 'No data': '暂无数据', Download: '下载', View: '查看', Refresh: '刷新', Back: '返回',
  'Record consent': '记录买家答复', Agreed: '同意', Refused: '拒绝', 'What did the buyer say?': '买家怎么说的？', 'Resolution': '处理结果', 'Offer': '商品', 'Decoded addresses are logged': '查看完整地址会被记录（谁、何时、用途）',
  'Wholesale flow': '批发下单', 'Consignment flow': '代销下单', 'Distribution flow': '分销下单', 'Learned from the 1688 preview': '由 1688 下单预览得知',
  'Encrypted orders (experimental)': '加密下单（实验）', 'The WeChat-to-1688 encrypted order contract is not published: used only for suppliers switched to it': '1688 加密订单：微信小店到 1688 的对接规范未公开，仅在明确开启的供应商上使用',
  Viewer: '只读', Operator: '操作员', Owner: '管理员', Disabled: '已停用', 'Trace': '物流轨迹', 'Courier': '快递', 'Waybill': '运单号', 'Sent to WeChat': '已同步微信',
};

export type Lang = 'zh' | 'en';
export const LangContext = createContext<{ lang: Lang; setLang: (l: Lang) => void }>({ lang: 'zh', setLang: () => undefined });

export function useT() {
  const { lang } = useContext(LangContext);
  return (key: string) => (lang === 'zh' ? (zh[key] ?? key) : key);
}

export const orderStateLabels: Record<string, [string, string]> = {
  Received: ['已接收', 'Received'], NeedsReview: ['待人工审核', 'Needs review'], Confirmed: ['已确认', 'Confirmed'], AwaitingBuyer: ['等待买家答复', 'Awaiting buyer'],
  Sourced: ['已选供应商', 'Sourced'], Purchasing: ['采购中', 'Purchasing'], Fulfilling: ['待发货', 'Fulfilling'], PartiallyShipped: ['部分发货', 'Partially shipped'],
  Shipped: ['已发货', 'Shipped'], Completed: ['已完成', 'Completed'], Cancelled: ['已取消', 'Cancelled'],
};
export const poStateLabels: Record<string, [string, string]> = {
  Draft: ['草稿', 'Draft'], Placing: ['下单中', 'Placing'], Placed: ['已下单', 'Placed'], NeedsAttention: ['需处理', 'Needs attention'], Shadowed: ['影子', 'Shadowed'],
  Paying: ['付款中', 'Paying'], Paid: ['已付款', 'Paid'], Shipped: ['已发货', 'Shipped'], Completed: ['已完成', 'Completed'], Cancelled: ['已取消', 'Cancelled'],
};
export const caseKindLabels: Record<string, [string, string]> = {
  UNMAPPED: ['商品未关联供应商', 'Product not mapped'], OUT_OF_STOCK: ['所有供应商缺货', 'Out of stock everywhere'], READBACK_MISMATCH: ['采购单回读不一致', 'Read-back mismatch'],
  PRICE_CHANGED: ['采购价变化', 'Price changed'], SPECIAL_REQUEST_CONSENT: ['特殊要求需买家同意', 'Special request needs consent'], PLACEMENT_FAILED: ['下单失败', 'Placement failed'],
  PAYMENT_BLOCKED: ['付款被拦截', 'Payment blocked'], PAYMENT_FAILED: ['付款失败', 'Payment failed'], UNKNOWN_COURIER: ['无法识别的快递', 'Unknown courier'],
  TRACKING_ANOMALY: ['物流异常', 'Tracking anomaly'], DELIVERY_BLOCKED: ['售后中暂停发货', 'Delivery on hold'], DELIVERY_FAILED: ['同步物流失败', 'Delivery sync failed'],
  DEADLINE_AT_RISK: ['发货超时风险', 'Deadline at risk'], DELIVERY_DATE_AT_RISK: ['买家要求的送达时间有风险', "Buyer's delivery date at risk"], SUPPLIER_CLOSED: ['供应商关闭订单', 'Supplier closed order'], SUPPLIER_ORDER_MISSING: ['1688 订单查不到', '1688 order not found'], SUPPLIER_UNWIND: ['供应商退款/撤单', 'Supplier unwind'],
  SUPPLIER_STOCK_OUT: ['供应商缺货', 'Supplier stock-out'], ADDRESS_CHANGED: ['买家修改了收货地址', 'Buyer changed the address'], SUBSTITUTE_CONSENT: ['更换商品需买家同意', 'Substitute needs consent'], PARTIAL_REFUND: ['买家部分退款', 'Partial refund'], REFUND_FAILED: ['给买家退款失败', 'Refund to the buyer failed'],
};
export const alertEventLabels: Record<string, [string, string]> = {
  new_paid_order: ['新付款订单', 'New paid order'], needs_review: ['订单需审核', 'Order needs review'], buyer_consent_needed: ['需买家同意', 'Buyer consent needed'],
  payment_awaiting_approval: ['付款待审批', 'Payment awaiting approval'], payment_due: ['待人工付款', 'Payment due'], deadline_at_risk: ['发货超时风险', 'Deadline at risk'], delivery_date_at_risk: ['买家要求的送达时间有风险', "Buyer's delivery date at risk"],
  supplier_delay: ['供应商延迟发货', 'Supplier delay'], tracking_anomaly: ['物流异常', 'Tracking anomaly'], dead_job: ['任务失败', 'Job failed'],
  refresh_token_expiring: ['1688 授权即将过期', '1688 authorisation expiring'], daily_digest: ['每日汇总', 'Daily digest'],
};
export const channelLabels: Record<string, [string, string]> = { wecom: ['企业微信群', 'WeCom group'], sms: ['短信', 'SMS'], email: ['邮件', 'E-mail'], log: ['日志', 'Log'] };
export const label = (map: Record<string, [string, string]>, key: string, lang: Lang) => map[key]?.[lang === 'zh' ? 0 : 1] ?? key;

export const paymentStatusLabels: Record<string, [string, string]> = {
  AwaitingApproval: ['待审批', 'Awaiting approval'], AwaitingPayer: ['待人工付款', 'Awaiting payer'], Paying: ['付款中', 'Paying'], Paid: ['已付款', 'Paid'],
  Rejected: ['已拒绝', 'Rejected'], Blocked: ['已拦截', 'Blocked'], Failed: ['付款失败', 'Failed'], Cancelled: ['已取消', 'Cancelled'], Pending: ['待付款', 'Pending'],
};
export const ledgerKindLabels: Record<string, [string, string]> = {
  buyer_paid: ['买家付款', 'Buyer paid'], supplier_payable: ['应付供应商', 'Owed to supplier'], supplier_paid: ['已付供应商', 'Paid to supplier'], refund_to_buyer: ['退款给买家', 'Refund to buyer'],
  refund_from_supplier: ['供应商退款', 'Refund from supplier'], commission: ['平台佣金', 'Commission'], correction: ['更正', 'Correction'],
};

/** The order history's events in words (one term per concept); an event not listed is shown by its area only. */
const EVENTS: Record<string, [string, string]> = {
  'order.received': ['收到订单', 'Order received'], 'order.confirmed': ['订单已确认', 'Order confirmed'], 'order.spec_changed': ['按买家留言改规格', 'Spec changed as the buyer asked'], 'order.needs_review': ['转人工审核', 'Sent to review'], 'order.review_confirmed': ['审核通过', 'Review confirmed'], 'order.review_cancelled': ['审核取消订单', 'Cancelled in review'],
  'order.sourced': ['已选定供应商', 'Suppliers chosen'], 'order.purchased': ['已向供应商下单', 'Ordered from suppliers'], 'order.suppliers_paid': ['供应商已全部付款', 'Suppliers paid'], 'order.delivery_synced': ['物流已同步微信', 'Delivery synced to WeChat'],
  'order.delivery_updated': ['物流信息已更新', 'Delivery updated'], 'order.delivery_held': ['暂停同步物流', 'Delivery held'], 'order.completed': ['订单完成', 'Order completed'], 'order.cancelled_on_wechat': ['微信上已取消', 'Cancelled on WeChat'],
  'order.address_changed': ['买家修改收货地址', 'Address changed'], 'order.buyer_consented': ['买家同意', 'Buyer agreed'], 'order.buyer_refused': ['买家拒绝', 'Buyer refused'], 'order.refund_decided': ['决定给买家退款', 'Refund decided'],
  'order.refund_requested': ['已发起退款', 'Refund requested'], 'order.refund_accepted': ['退款完成', 'Refund done'], 'order.resumed': ['订单继续处理', 'Order resumed'], 'order.mapping_completed': ['商品已关联供应商', 'Product mapped'],
  'order.substitute_proposed': ['提议更换商品', 'Substitute proposed'], 'order.substitute_agreed': ['买家同意更换商品', 'Substitute agreed'], 'order.supplier_overridden': ['人工指定供应商', 'Supplier chosen by hand'],
  'order.negotiation_sent': ['已发起发货协商', 'Delivery negotiation sent'], 'order.negotiation_agreed': ['买家同意延迟发货', 'Buyer agreed to the later date'], 'order.negotiation_rejected': ['买家拒绝延迟发货', 'Buyer refused the later date'], 'order.negotiation_timedout': ['发货协商超时', 'Negotiation timed out'],
  'po.drafted': ['生成采购单', 'Purchase order drafted'], 'po.placing': ['正在下单', 'Placing'], 'po.placed': ['已下单', 'Placed'], 'po.shadowed': ['影子模式（未下单）', 'Shadow mode (not placed)'], 'po.partially_created': ['部分商品下单成功', 'Partly created'],
  'po.price_changed': ['采购价变化', 'Price changed'], 'po.price_accepted': ['接受新价格', 'New price accepted'], 'po.readback_confirmed': ['回读已人工核对', 'Read-back confirmed'], 'po.paying': ['付款中', 'Paying'], 'po.paid': ['已付款', 'Paid'],
  'po.payment_approved': ['付款已批准', 'Payment approved'], 'po.payment_rejected': ['付款被拒绝', 'Payment rejected'], 'po.payment_blocked': ['付款被拦截', 'Payment blocked'], 'po.payment_failed': ['付款失败', 'Payment failed'], 'po.payment_retried': ['重新付款', 'Payment retried'],
  'po.payment_deferred': ['付款延后（付款时段外）', 'Payment deferred'], 'po.payment_due': ['待人工付款', 'Payment due'], 'po.payment_link': ['已生成付款链接', 'Payment link'], 'po.pay_by_link': ['改用付款链接', 'Pay by link'],
  'po.shipped': ['供应商已发货', 'Supplier shipped'], 'po.parcel_shipped': ['包裹已发出', 'Parcel shipped'], 'po.parcel_recorded': ['记录包裹', 'Parcel recorded'], 'po.waybill_changed': ['运单号变更', 'Waybill changed'], 'po.courier_set': ['已指定快递', 'Courier set'],
  'po.expedited': ['已催发货', 'Expedited'], 'po.contacted': ['已联系供应商', 'Supplier contacted'], 'po.supplier_reply': ['供应商回复', 'Supplier replied'], 'po.supplier_unable': ['供应商无法供货', 'Supplier unable'], 'po.stock_out': ['供应商缺货', 'Supplier out of stock'],
  'po.refund_requested': ['已向供应商申请退款', 'Refund requested from supplier'], 'po.partial_refund_recorded': ['登记供应商部分退款', 'Partial supplier refund'], 'po.supplier_settled': ['登记供应商已取消/退款', 'Supplier settled'], 'po.supplier_closed': ['供应商关闭订单', 'Supplier closed'],
  'po.supplier_order_closed': ['1688 订单已关闭', '1688 order closed'], 'po.cancelled': ['采购单已取消', 'Purchase order cancelled'], 'po.completed': ['采购单完成', 'Purchase order completed'], 'po.address_forwarded': ['新地址已转给供应商', 'New address forwarded'],
  'po.address_by_platform': ['地址由平台更新', 'Address updated by the platform'], 'po.email_confirmed_sent': ['邮件已确认发出', 'E-mail confirmed sent'], 'po.email_not_sent': ['邮件未发出', 'E-mail not sent'],
  'case.resolved': ['事项已处理', 'Case resolved'], 'case.retried': ['事项重试', 'Case retried'], 'case.mapping_approved': ['批准商品关联', 'Mapping approved'], 'case.substitute_proposed': ['提议更换商品', 'Substitute proposed'], 'case.supplier_overridden': ['人工换供应商', 'Supplier overridden'],
  'sourcing.blocked': ['无法选定供应商', 'No supplier could be chosen'],
};
const EVENT_AREAS: Record<string, [string, string]> = { order: ['订单事件', 'Order event'], po: ['采购单事件', 'Purchase order event'], case: ['异常事项', 'Case event'], ledger: ['账目', 'Ledger'], consent: ['买家答复', 'Buyer answer'], sourcing: ['选供应商', 'Sourcing'] };

export function eventLabel(event: string, lang: Lang): string {
  if (EVENTS[event]) return EVENTS[event]![lang === 'zh' ? 0 : 1];
  const [area, rest] = [event.split('.')[0]!, event.split('.').slice(1).join('.')];
  if (area === 'ledger') return `${EVENT_AREAS.ledger![lang === 'zh' ? 0 : 1]}：${label(ledgerKindLabels, rest, lang)}`;
  if (area === 'case' && rest.startsWith('opened.')) return `${lang === 'zh' ? '新异常' : 'Case opened'}：${label(caseKindLabels, rest.slice('opened.'.length), lang)}`;
  return EVENT_AREAS[area]?.[lang === 'zh' ? 0 : 1] ?? (lang === 'zh' ? '系统事件' : 'System event');
}

/** Who did it, in words: a person by name, the system by its part, the buyer. */
export function actorLabel(actor: string, lang: Lang): string {
  const [kind, who] = [actor.split(':')[0], actor.split(':').slice(1).join(':')];
  if (kind === 'user') return who;
  if (kind === 'buyer') return lang === 'zh' ? '买家' : 'Buyer';
  return lang === 'zh' ? '系统' : 'System';
}

export const routeLabels: Record<string, [string, string]> = { '1688': ['1688 下单', '1688'], direct: ['邮件给供应商', 'E-mail to supplier'], wechat_dropship: ['微信小店代发', 'WeChat Shop dropship'] };
export const payMethodLabels: Record<string, [string, string]> = { '1688-protocol': ['1688 免密支付', '1688 password-free pay'], '1688-link': ['1688 付款链接', '1688 payment link'], manual: ['银行转账', 'Bank transfer'], none: ['无需付款', 'Nothing to pay'] };
export const traceLabels: Record<string, [string, string]> = { CONSIGN: ['已发货', 'Shipped'], ACCEPT: ['已揽件', 'Picked up'], TRANSPORT: ['运输中', 'In transit'], DELIVERING: ['派送中', 'Out for delivery'], AGENT_SIGN: ['待取件', 'At a pick-up point'], SIGN: ['已签收', 'Signed for'], FAILED: ['投递失败', 'Delivery failed'] };

/** How a case ended, in words: the codes the system writes; a person's own words are shown as they are. */
const RESOLUTIONS: Record<string, [string, string]> = {
  aftersale_ended: ['售后已结束', 'After-sale ended'], amount_matches: ['金额已一致', 'Amount matches'], buyer_agreed_later_delivery: ['买家同意延迟发货', 'Buyer agreed to the later date'],
  moving_again: ['物流已恢复', 'Moving again'], paid: ['已付款', 'Paid'], po_cancelled: ['采购单已取消', 'Purchase order cancelled'], shipped: ['已发货', 'Shipped'], superseded: ['已被新的事项取代', 'Superseded'],
  synced: ['已同步', 'Synced'], visible_again: ['订单已可查看', 'Visible again'], waybill_changed: ['运单号已变更', 'Waybill changed'], delivered_in_time: ['按时送达', 'Delivered in time'], delivered_late: ['送达晚于买家要求', 'Delivered late'],
  accept_price: ['接受新价格', 'New price accepted'], confirmed_correct: ['已在 1688 核对无误', 'Checked correct on 1688'], email_sent: ['邮件已发出', 'E-mail sent'], email_resent: ['邮件已重发', 'E-mail sent again'],
  paid_by_person: ['已人工付款', 'Paid by a person'], supplier_refunded: ['供应商已退款', 'Supplier refunded'], supplier_cancelled: ['供应商已取消', 'Supplier cancelled'], buyer_agreed: ['买家同意', 'Buyer agreed'], buyer_refused: ['买家拒绝', 'Buyer refused'],
};
export function resolutionLabel(r: string, lang: Lang): string {
  // "code" or "code: what was done" (the system's form); anything else is a person's own words.
  const m = /^([a-z]+(?:_[a-z]+)+)(?::\s*([\s\S]*))?$/.exec(r);
  if (!m) return r;
  const word = RESOLUTIONS[m[1]!]?.[lang === 'zh' ? 0 : 1] ?? (lang === 'zh' ? '已处理' : 'Resolved');
  return m[2] ? `${word}：${m[2]}` : word;
}

export const differenceLabels: Record<string, [string, string]> = {
  LEDGER_MISSING: ['账目缺失', 'Ledger entry missing'], LEDGER_AMOUNT: ['账目金额不符', 'Ledger amount differs'], PAID_VS_SUPPLIER_TOTAL: ['实付与供应商订单金额不符', 'Paid vs supplier total'],
  PRICE_CHANGED: ['采购价变化', 'Price changed'], LEDGER_WITHOUT_PAYMENT: ['有账无付款', 'Ledger without payment'], REVENUE_MISMATCH: ['收入与订单不符', 'Revenue mismatch'],
};

export const reviewReasonLabels: Record<string, [string, string]> = {
  ADDRESS_DIVISION_MISMATCH: ['省市区不匹配', 'Province/city/district mismatch'], ADDRESS_INCOMPLETE: ['地址不完整', 'Address incomplete'], ADDRESS_MASKED: ['地址已脱敏', 'Address masked'],
  AMOUNT_INVALID: ['金额异常', 'Amount invalid'], BUYER_NOTE_UNPARSED: ['买家留言需确认', 'Buyer note to check'], DUPLICATE_SUSPECTED: ['疑似重复订单', 'Possible duplicate'], LINE_IN_AFTERSALE: ['商品售后中', 'Line in after-sale'],
  NO_LINES: ['没有商品', 'No lines'], PHONE_INVALID: ['手机号异常', 'Phone invalid'], PHONE_VIRTUAL: ['隐私号', 'Privacy number'], QUANTITY_INVALID: ['数量异常', 'Quantity invalid'], SPECIAL_REQUESTS: ['特殊要求', 'Special requests'],
};
