import type { Logger } from 'pino';
import { routeTraits } from '../domain/purchase-routes.js';
import { openCase } from '../cases/cases.js';
import type { Db } from '../db/dialect.js';
import { livePosWithSupplier } from '../db/repositories/purchase-orders.js';
import { mailedToSupplier } from '../db/repositories/po-messages.js';
import { orderHead } from '../db/repositories/shop-orders.js';
import type { Address } from '../domain/address.js';
import { appendEvent } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { Notifier } from '../notify/notifier.js';
import type { DecodeService } from '../orders/decode.js';
import type { EmailPurchaseRoute } from '../purchasing/email-route.js';
import { assertDeliverable, maskedAddressText, toAddressParam } from '../purchasing/address.js';

/** Purchase-order states in which the supplier may not have shipped yet. */
const NOT_SHIPPED = ['Placing', 'Placed', 'NeedsAttention', 'Paying', 'Paid'];

/**
 * The buyer changed the receiving address (ext_info_update 2 / 16 / 19) after Daifa had ordered from a supplier.
 * Each supplier order not yet shipped hears of it where a channel exists — a direct supplier by e-mail in the
 * purchase order's thread (the decode is logged); WeChat's own dropship assignment carries the platform's address —
 * and otherwise a case says exactly what to do (1688 offers no API to change an order's address). A supplier order
 * that already shipped to the old address becomes a case too. Orders not yet placed simply use the new address.
 */
export class AddressChange {
  constructor(
    private readonly db: Db,
    private readonly decode: DecodeService,
    private readonly email: EmailPurchaseRoute,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  readonly handler = async (p: { shopOrderId: number; changeKey: string }): Promise<void> => {
    await this.handle(p.shopOrderId, p.changeKey);
  };

  async handle(shopOrderId: number, changeKey: string): Promise<{ emailed: number; platform: number; cases: number }> {
    const k = this.db.kysely;
    const order = await orderHead(k, shopOrderId);
    const out = { emailed: 0, platform: 0, cases: 0 };
    if (!order || order.state === 'Cancelled' || order.state === 'Completed') return out;
    const masked = JSON.parse(order.address) as Address;
    const pos = await livePosWithSupplier(k, shopOrderId);
    const newAddress = `${masked.provinceName}${masked.cityName}${masked.countyName}（${masked.userName}）`;
    for (const po of pos) {
      const shipped = Boolean(po.has_parcel) || !NOT_SHIPPED.includes(po.state);
      if (!shipped && routeTraits(po.route).addressChange === 'email' && po.email) {
        // The purchase-order e-mail not sent yet: it will carry the new address (decoded when it is sent).
        if (!(await mailedToSupplier(k, po.id))) continue;
        const plain = await this.decode.decode({
          shopId: order.shop_id,
          wxOrderId: order.wx_order_id,
          actor: 'system:address-change',
          purpose: `买家改址，通知供应商 (${po.out_order_id})`,
          destination: `邮件 ${po.name} <${po.email}>`,
        });
        const address = toAddressParam({ ...masked, ...plain });
        assertDeliverable(address);
        const r = await this.email.sendAddressChange({
          poId: po.id,
          outOrderId: po.out_order_id,
          supplierName: po.name,
          to: po.email,
          address,
          maskedAddress: maskedAddressText(masked),
          changeKey,
        });
        await k.transaction().execute((trx) =>
          appendEvent(
            trx,
            {
              entity: 'purchase_order',
              id: po.id,
              shopOrderId,
              event: 'po.address_forwarded',
              actor: 'system:address-change',
              note: `新地址已邮件通知供应商（${r === 'sent' ? '已发送' : '可能已发送，请核对'}）`,
            },
            this.clock.now(),
          ),
        );
        out.emailed++;
        continue;
      }
      if (!shipped && routeTraits(po.route).addressChange === 'platform') {
        // The supplier ships WeChat's own order: the platform hands it the address as modified.
        await k.transaction().execute((trx) =>
          appendEvent(
            trx,
            {
              entity: 'purchase_order',
              id: po.id,
              shopOrderId,
              event: 'po.address_by_platform',
              actor: 'system:address-change',
              note: '微信小店代发：供货商按平台上的新地址发货',
            },
            this.clock.now(),
          ),
        );
        out.platform++;
        continue;
      }
      const message = shipped
        ? `买家修改了收货地址（新：${newAddress}），但采购单 ${po.out_order_id} 已按原地址发货：请联系快递改派或与买家沟通`
        : `买家修改了收货地址（新：${newAddress}），${routeTraits(po.route).supplierApi ? `${routeTraits(po.route).label} 订单 ${po.supplier_order_id ?? po.out_order_id}` : `采购单 ${po.out_order_id}`} 尚未发货。1688 不支持通过接口改地址：请在 1688 旺旺联系卖家改地址（在订单详情中查看完整地址，会记录），或取消后重新下单`;
      const now = this.clock.now();
      await k.transaction().execute(async (trx) => {
        const opened = await openCase(
          trx,
          {
            kind: 'ADDRESS_CHANGED',
            shopOrderId,
            purchaseOrderId: po.id,
            message,
            data: { changeKey, shipped },
            dedupKey: `ADDRESS_CHANGED:${po.id}:${changeKey}`,
          },
          now,
        );
        if (opened) {
          out.cases++;
          await this.notifier.raise(trx, {
            event: 'needs_review',
            shopId: order.shop_id,
            subject: `address:${po.id}:${changeKey}`,
            data: { orderId: order.wx_order_id, detail: '买家修改了收货地址，需通知供应商' },
          });
        }
      });
    }
    this.log.info({ shopOrderId, ...out }, 'address change handled');
    return out;
  }
}
