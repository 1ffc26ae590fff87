import type { App } from '../app.js';
import { WeChatShopClient } from '../channels/wechat-shop/client.js';
import { mapOrder } from '../channels/wechat-shop/mapping.js';
import { isMasked } from '../domain/address.js';
import { orderIdOf } from '../suppliers/alibaba-1688/mapping.js';

/**
 * `daifa doctor --shop ID --deep`: a dry run against a real shop. Only read endpoints are called (WeChat: token, the
 * last day's order list, one order/get, the courier list, one negotiation result; 1688: password-free pay status and
 * one order list page), and for each the answer's *shape* is printed — keys and types, never values — with whether
 * Daifa's mapping understood it. Nothing is written: no order stored, no token refreshed, no job queued. Secrets and
 * buyer data never reach the output (the shapes hold no values).
 */
export async function deepCheck(app: App, shopId: number, print: (line: string) => void): Promise<boolean> {
  let failed = false;
  const ok = (s: string) => print(`✓ ${s}`);
  const bad = (s: string) => {
    failed = true;
    print(`✗ ${s}`);
  };
  const shapes = new Map<string, string>();
  const creds = await app.shops.credentialsById(shopId);
  const wx = new WeChatShopClient(
    { shopId, appId: creds.appId, appSecret: creds.appSecret },
    { baseUrl: app.wechatApiBase, clock: app.clock, log: app.log, onAnswer: (path, body) => shapes.set(path, shapeOf(body)) },
  );
  const step = async (label: string, path: string, run: () => Promise<string>): Promise<void> => {
    try {
      const understood = await run();
      ok(`${label}: ${understood}`);
    } catch (err) {
      bad(`${label}: ${(err as Error).message}`);
    }
    if (shapes.has(path)) print(`    ${path} → ${shapes.get(path)}`);
  };

  print(`— 微信小店 #${shopId}（${app.wechatApiBase}，只读）`);
  await step('access token', '/cgi-bin/stable_token', async () =>
    (await wx.accessToken()).length > 0 ? '取得 / obtained' : 'empty token',
  );
  const now = Math.floor(app.clock.now() / 1000);
  let orderId: string | undefined;
  await step('order/list/get (近 24 小时)', '/channels/ec/order/list/get', async () => {
    const page = await wx.listOrders({ updateTimeRange: [now - 86_400, now], pageSize: 10 });
    orderId = page.orderIds[0];
    if (page.orderIds.some((id) => !/^\d{6,20}$/.test(id))) throw new Error('订单号不是整数 / order ids are not integers');
    return `${page.orderIds.length} 个订单号，ids exact, has_more=${page.hasMore}`;
  });
  if (orderId) {
    const id = orderId;
    await step('order/get (1 个订单)', '/channels/ec/order/get', async () => {
      const o = mapOrder(await wx.getOrder(id));
      const problems = [
        o.wxOrderId !== id && 'order_id 不一致',
        o.lines.length === 0 && '没有商品行',
        !o.address.provinceName && '缺少省份',
        !Number.isInteger(o.orderPrice) && '金额不是整数分',
      ].filter(Boolean);
      if (problems.length) throw new Error(`映射未理解 / mapping did not understand: ${problems.join('，')}`);
      return `状态 ${o.status}，${o.lines.length} 行，地址${isMasked(o.address.userName) || isMasked(o.address.detailInfo) ? '已脱敏（符合预期）' : '未脱敏'}，deadline ${o.lines.every((l) => l.deliveryDeadline) ? '有' : '缺'}`;
    });
    await step(
      'deliverynegotiation/result/get (1 个订单)',
      '/channels/ec/order/deliverynegotiation/result/get',
      async () => `${(await wx.deliveryNegotiationResult(id)).length} 条协商记录`,
    );
  } else print('• 近 24 小时没有订单：order/get 与发货协商查询跳过 / no order in the last day: skipped');
  await step('deliverycompanylist/new/get', '/channels/ec/order/deliverycompanylist/new/get', async () => {
    const list = await wx.listDeliveryCompanies();
    if (!list.length) throw new Error('快递公司列表为空 / empty courier list');
    return `${list.length} 家快递公司`;
  });

  const probe = await app.alibaba.probeClient((api, body) => shapes.set(api, shapeOf(body)));
  if (!probe) print('• 尚未连接 1688 账号 / no 1688 account: skipped');
  else {
    print(`— 1688 账号 ${probe.memberId ?? ''}（只读）`);
    if (probe.expiresAt <= app.clock.now())
      print('• access token 已过期：这里不刷新（不写入）；正常运行时会自动刷新 / expired: not refreshed here');
    await step('alibaba.trade.pay.protocolPay.isopen', 'alibaba.trade.pay.protocolPay.isopen', async () =>
      (await probe.client.protocolPayOpen()) ? '免密支付已开通' : '免密支付未开通（付款将用支付链接）',
    );
    await step('alibaba.trade.getBuyerOrderList', 'alibaba.trade.getBuyerOrderList', async () => {
      const list = await probe.client.buyerOrders({ pageSize: 5 });
      if (list.some((o) => !/^\d+$/.test(orderIdOf(o) ?? ''))) throw new Error('订单号无法读取 / order ids unreadable');
      return `${list.length} 个采购订单可读，ids exact`;
    });
  }
  print('（未做任何写入；输出只含字段名与类型 / nothing was written; only key names and types are shown）');
  return !failed;
}

/** Keys and value types of an answer, two levels deep — never a value (no secret or buyer data can leak). */
export function shapeOf(v: unknown, depth = 0): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? `[${shapeOf(v[0], depth)}]×${v.length}` : '[]';
  if (typeof v === 'object') {
    if (depth >= 2) return '{…}';
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}:${shapeOf(x, depth + 1)}`)
      .join(', ')}}`;
  }
  return typeof v;
}
