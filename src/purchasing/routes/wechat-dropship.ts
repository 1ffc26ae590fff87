import { mapShipments } from '../../channels/wechat-shop/mapping.js';
import { shopLinesOf } from '../../db/repositories/purchase-orders.js';
import { orderLinesIn } from '../../db/repositories/shop-orders.js';
import type { WeChatClients } from '../../channels/wechat-shop/client.js';
import type { Db } from '../../db/dialect.js';
import { PermanentJobError } from '../../jobs/worker.js';
import type { ShopService } from '../../shops/shops.js';
import type { PlacementOutcomes } from '../outcomes.js';
import type { PlacementTarget, SupplierRoute } from './port.js';

/** WeChat Shop's own dropship (代发): the lines are assigned to the bound supplier on the platform. */
export class WeChatDropshipRoute implements SupplierRoute {
  readonly route = 'wechat_dropship' as const;
  constructor(
    private readonly db: Db,
    private readonly clients: WeChatClients,
    private readonly shops: ShopService,
    private readonly outcomes: PlacementOutcomes,
  ) {}

  /** WeChat Shop's own dropship: assign the lines to the bound supplier; no decode, plaintext stays on the platform. */
  async place({ po, order, supplier, next }: PlacementTarget): Promise<string> {
    const poId = po.id;
    if (!supplier.dropship_appid) throw new PermanentJobError(`供应商 ${supplier.name} 没有代发 AppID`);
    const client = await this.clients.forShop(this.shops, order.shop_id);
    const shopLines = await orderLinesIn(this.db.kysely, order.id, await shopLinesOf(this.db.kysely, poId));
    // An earlier attempt may have assigned them: read the order first (unknown outcome → look, never assign twice).
    const isAssigned = async () => {
      const wire = await client.getOrder(order.wx_order_id);
      const products = mapShipments(wire).products;
      return shopLines.every((l) => products.some((p) => p.skuId === l.sku_id && p.dropshipOrderId));
    };
    if (!(await isAssigned())) {
      await client.dropshipAssign(
        order.wx_order_id,
        supplier.dropship_appid,
        shopLines.map((l) => ({ productId: l.product_id, skuId: l.sku_id, count: l.quantity - l.finish_aftersale_cnt })),
      );
      if (!(await isAssigned())) throw new Error('dropship assign answered ok but the lines are not assigned');
    }
    await this.outcomes.markPlaced(poId, order.id, `已分配给微信小店代发供应商 ${supplier.name}`, { route: 'wechat_dropship' }, {}, next);
    return 'Placed';
  }
}
