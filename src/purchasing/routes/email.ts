import { outgoingMessage } from '../../db/repositories/po-messages.js';
import type { Db } from '../../db/dialect.js';
import { orderAddress } from '../../db/lookups.js';
import type { Address } from '../../domain/address.js';
import { PermanentJobError } from '../../jobs/worker.js';
import type { DecodeService } from '../../orders/decode.js';
import type { AddressParam } from '../../suppliers/alibaba-1688/client.js';
import { assertDeliverable, maskedAddressText, toAddressParam } from '../address.js';
import type { EmailPurchaseRoute } from '../email-route.js';
import type { PlacementOutcomes } from '../outcomes.js';
import type { PlacementTarget, SupplierRoute } from './port.js';

/** A direct supplier by e-mail, the thread kept (src/purchasing/email-route.ts sends and files it). */
export class EmailRoute implements SupplierRoute {
  readonly route = 'direct' as const;
  constructor(
    private readonly db: Db,
    private readonly decode: DecodeService,
    private readonly mail: EmailPurchaseRoute,
    private readonly outcomes: PlacementOutcomes,
  ) {}

  /** Direct supplier by e-mail: the decoded address goes only into the e-mail; the thread keeps it masked. */
  async place({ po, order, lines, supplier, next }: PlacementTarget): Promise<string> {
    const poId = po.id;
    if (!supplier.email) throw new PermanentJobError(`供应商 ${supplier.name} 没有邮箱 / supplier has no e-mail`);
    const masked = JSON.parse(await orderAddress(this.db.kysely, order.id)) as Address;
    const already = await outgoingMessage(this.db.kysely, poId);
    let address: AddressParam | undefined;
    if (!already) {
      const plain = await this.decode.decode({
        shopId: order.shop_id,
        wxOrderId: order.wx_order_id,
        actor: 'system:purchasing',
        purpose: `采购邮件收货地址 (${po.out_order_id})`,
        destination: `邮件 ${supplier.name} <${supplier.email}>`,
      });
      address = toAddressParam({ ...masked, ...plain });
      assertDeliverable(address);
    }
    const outcome = await this.mail.send({
      poId,
      outOrderId: po.out_order_id,
      supplierName: supplier.name,
      to: supplier.email,
      address: address ?? toAddressParam(masked),
      maskedAddress: maskedAddressText(masked),
      lines: lines.map((l) => ({ title: l.title, offerId: l.offer_id, specId: l.spec_id, quantity: l.quantity, unitPrice: l.unit_price })),
      requests: po.message,
      total: po.expected_amount,
    });
    if (outcome === 'unknown') {
      await this.outcomes.needsAttention(
        poId,
        order.id,
        '',
        'PLACEMENT_FAILED',
        '采购邮件可能已发出但未确认，请查看发件箱后处理（不会自动重发）',
        { route: 'email' },
      );
      return 'NeedsAttention';
    }
    await this.outcomes.markPlaced(poId, order.id, `采购邮件已发给 ${supplier.name}，等待供应商回复`, { route: 'email' }, {}, next);
    return 'Placed';
  }
}
