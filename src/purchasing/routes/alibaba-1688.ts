import {
  createAnswer,
  orderIdOf,
  orderItems,
  orderTotal,
  previewAnswer,
  receiverOf,
  type FailedCargo,
  type PreviewCargo,
} from '../../suppliers/alibaba-1688/mapping.js';
import { mapShipments } from '../../channels/wechat-shop/mapping.js';
import type { Selectable, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { WeChatClients } from '../../channels/wechat-shop/client.js';
import type { Db } from '../../db/dialect.js';
import { orderAddress, purchaseOrderLines, getById } from '../../db/lookups.js';
import { forgetFlow, learnFlow, markOutOfStock, refreshOfferPrice } from '../../db/repositories/catalogue.js';
import { keepCreatedPart, recordAttempt, recordSupplierOrder } from '../../db/repositories/purchase-orders.js';
import type { Database, PurchaseOrderLinesTable, PurchaseOrdersTable } from '../../db/schema.js';
import type { Address } from '../../domain/address.js';
import { formatYuan } from '../../domain/money.js';
import { placeJob } from '../../jobs/catalogue.js';
import { enqueue, type JobSpec } from '../../jobs/queue.js';
import { PermanentJobError } from '../../jobs/worker.js';
import type { Clock } from '../../lib/clock.js';
import { appendEvent, transitionIfAllowed } from '../../lifecycle/apply-transition.js';
import type { DecodeService } from '../../orders/decode.js';
import { loadLimits } from '../../payments/limits.js';
import { describeMargin, marginWith } from '../../payments/price-change.js';
import type { ShopService } from '../../shops/shops.js';
import { loadLinesToSource, loadRequests, type Sourcing } from '../../sourcing/sourcing.js';
import type { Alibaba1688Accounts } from '../../suppliers/alibaba-1688/accounts.js';
import {
  isPurchaseFlow,
  type AddressParam,
  type CargoParam,
  type EncryptOutOrderInfo,
  type PurchaseFlow,
} from '../../suppliers/alibaba-1688/client.js';
import { assertDeliverable, digestAddress, toAddressParam } from '../address.js';
import type { PlacementOutcomes } from '../outcomes.js';
import type { PlacementTarget, SupplierRoute } from './port.js';

/** Preview codes meaning "this supplier cannot fulfil this cargo": fall back to the next candidate. */
const UNFULFILLABLE = new Set(['500_001', '500_002', '500_003', '500_004', '500_005', '500_006', '500_007', '500_008', '500_009']);

/**
 * 1688 (alibaba.trade.fastCreateOrder): preview, then create — the intent (attempt counter, what is sent, as salted
 * digests) recorded before the call; an unanswered create is an unknown outcome, looked up by outOrderId before any
 * retry, never created twice. Then the order is read back and compared field by field; any difference blocks payment.
 */
export class Alibaba1688Route implements SupplierRoute {
  readonly route = '1688' as const;
  constructor(
    private readonly db: Db,
    private readonly accounts: Alibaba1688Accounts,
    private readonly decode: DecodeService,
    private readonly sourcing: Sourcing,
    private readonly clients: WeChatClients,
    private readonly shops: ShopService,
    private readonly outcomes: PlacementOutcomes,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async place({ po, order, lines, supplier, next }: PlacementTarget): Promise<string> {
    const poId = po.id;
    const client = await this.accounts.client();
    let supplierOrderId = po.supplier_order_id ?? undefined;
    // A previous attempt may have reached 1688: look before creating again.
    if (!supplierOrderId && po.attempt > 0) {
      const found = await client.findByOutOrderId(po.out_order_id);
      if (found.length > 1) throw new PermanentJobError(`outOrderId ${po.out_order_id} matches ${found.length} orders on 1688`);
      if (found.length === 1) {
        supplierOrderId = orderIdOf(found[0]!);
        this.log.info({ poId, supplierOrderId }, 'purchase order found by outOrderId after an unknown outcome');
      }
    }

    // What this run has read and written already, so the read-back need not read it again.
    let known: { po: typeof po; lines: typeof lines; masked: Address } | undefined;
    if (!supplierOrderId) {
      const masked = JSON.parse(await orderAddress(this.db.kysely, order.id)) as Address;
      let address: AddressParam;
      let encryptOutOrderInfo: EncryptOutOrderInfo | undefined;
      if (supplier.accepts_encrypted) {
        // Encrypted route (experimental, off unless a person switches a supplier to it): the supplier prints the
        // waybill through WeChat with ewaybill_order_code and no plaintext is decoded. outPlatformAppkey is required;
        // the encryptReceiver* fields are the downstream platform's ciphertext — WeChat Shop gives none, and masked
        // display text is not ciphertext, so they are left out. What 1688 expects in outPatformExtraInfo for weixin
        // is not published [U] (1688 §10).
        const shop = await this.shops.credentialsById(order.shop_id);
        const wire = await this.clients.for({ shopId: shop.id, appId: shop.appId, appSecret: shop.appSecret }).getOrder(order.wx_order_id);
        const ewaybill = mapShipments(wire).ewaybillOrderCode;
        address = toAddressParam(masked);
        encryptOutOrderInfo = {
          encryptOrder: true,
          outPlatformCode: 'weixin',
          outPlatformAppkey: shop.appId,
          outPlatformOrderNo: order.wx_order_id,
          outShopId: shop.appId,
          outShopName: shop.name,
          outPatformExtraInfo: JSON.stringify({ ewaybill_order_code: ewaybill, ewaybill_order_appid: shop.appId }),
        };
      } else {
        const plain = await this.decode.decode({
          shopId: order.shop_id,
          wxOrderId: order.wx_order_id,
          actor: 'system:purchasing',
          purpose: `1688下单收货地址 (${po.out_order_id})`,
          destination: `1688 ${supplier.name} (${supplier.login_id ?? supplier.member_id ?? supplier.id})`,
        });
        address = toAddressParam({ ...masked, ...plain });
        assertDeliverable(address);
      }
      const cargo: CargoParam[] = lines.map((l) => ({
        offerId: /^\d{1,15}$/.test(l.offer_id) ? Number(l.offer_id) : l.offer_id,
        ...(l.spec_id ? { specId: l.spec_id } : {}),
        quantity: l.quantity,
      }));

      // The flow set for (or learned from) this seller; none yet: the preview answers the best one (flowFlag).
      const setFlow = isPurchaseFlow(supplier.purchase_flow) ? supplier.purchase_flow : undefined;
      const preview = previewAnswer(await client.preview({ address, cargo, flow: setFlow, encryptOutOrderInfo }));
      if (!preview.ok) {
        const code = preview.code;
        if (code === '500_007' && supplier.purchase_flow_learned === 1) await this.forgetFlow(supplier.id);
        if (code === '500_004') {
          // The catalogue learns from the answer: this spec has no stock right now.
          await markOutOfStock(this.db.kysely, lines, this.clock.now());
        }
        if (UNFULFILLABLE.has(code))
          return this.outcomes.fallBack(po.id, order.id, order.shop_id, po.supplier_id, `${supplier.name}: ${code} ${preview.message}`);
        throw new Error(`1688 preview failed: ${code} ${preview.message}`);
      }
      const flowFlag = preview.flowFlag;
      const flow: PurchaseFlow = setFlow ?? (isPurchaseFlow(flowFlag) ? flowFlag : 'general');
      if (!setFlow && isPurchaseFlow(flowFlag)) await this.learnFlow(supplier.id, flowFlag);
      // One commit before the create call: the attempt counted (the intent), what exactly is sent — kept as salted
      // digests (no plaintext at rest) so the read-back can compare it field by field — and the fresh prices.
      const sent = {
        attempt: po.attempt + 1,
        expected_amount: preview.total ?? po.expected_amount,
        readback: JSON.stringify({ sent: digestAddress(po.out_order_id, address) }),
        updated_at: this.clock.now(),
      };
      await this.db.kysely.transaction().execute(async (trx) => {
        await this.refreshOffers(trx, lines, preview.cargo);
        await recordAttempt(trx, sent.attempt, sent.expected_amount, sent.readback, sent.updated_at, poId);
      });
      known = { po: { ...po, ...sent }, lines, masked };
      const created = createAnswer(
        await client.fastCreateOrder({
          address,
          cargo,
          outOrderId: po.out_order_id,
          message: po.message,
          flow,
          encryptOutOrderInfo,
        }),
      );
      if (!created.ok) {
        const code = created.code;
        if (code === '500_007' && !setFlow) await this.forgetFlow(supplier.id);
        if (UNFULFILLABLE.has(code))
          return this.outcomes.fallBack(po.id, order.id, order.shop_id, po.supplier_id, `${supplier.name}: ${code} ${created.message}`);
        throw new Error(`1688 fastCreateOrder failed: ${code} ${created.message}`);
      }
      supplierOrderId = created.orderId;
      const failed = created.failed;
      if (failed.length) {
        const split = await this.splitOffFailedLines(
          po.id,
          order.id,
          order.shop_id,
          po.supplier_id,
          supplierOrderId!,
          failed,
          created.successTotal,
        );
        if (split !== 'split') return split;
        known = undefined; // lines and amounts changed: the read-back reads them anew
      }
    }
    await recordSupplierOrder(this.db.kysely, supplierOrderId!, this.clock.now(), poId);
    return this.readBack(poId, order.id, supplierOrderId!, next, known);
  }

  private async shopOf(shopOrderId: number): Promise<number> {
    return (await getById(this.db.kysely, 'shop_orders', shopOrderId)).shop_id;
  }

  /** A seller's flow as the preview answered it (a person's setting is never overwritten). */
  private async learnFlow(supplierId: number, flow: PurchaseFlow): Promise<void> {
    await learnFlow(this.db.kysely, supplierId, flow);
    this.log.info({ supplierId, flow }, '1688 order flow learned from the preview');
  }

  /** 1688 refused the learned flow (the relationship ended): ask the preview again next time. */
  private async forgetFlow(supplierId: number): Promise<void> {
    await forgetFlow(this.db.kysely, supplierId);
  }

  /** Compare the created order with what Daifa sent: receiver, phone (extension kept), address, every item. */
  private async readBack(
    poId: number,
    shopOrderId: number,
    supplierOrderId: string,
    next: JobSpec[],
    known?: { po: Selectable<PurchaseOrdersTable>; lines: Selectable<PurchaseOrderLinesTable>[]; masked: Address },
  ): Promise<string> {
    const client = await this.accounts.client();
    const view = await client.buyerView(supplierOrderId);
    const po = known?.po ?? (await getById(this.db.kysely, 'purchase_orders', poId));
    const lines = known?.lines ?? (await purchaseOrderLines(this.db.kysely, poId));
    const masked = known?.masked ?? (JSON.parse(await orderAddress(this.db.kysely, shopOrderId)) as Address);
    const diffs: string[] = [];
    const r = receiverOf(view);
    const sent = (po.readback ? JSON.parse(po.readback).sent : undefined) as Record<string, string> | undefined;
    if (sent) {
      // Field by field against what was sent (its digests): name, mobile, phone with extension, street address.
      const got = digestAddress(po.out_order_id, {
        fullName: r.fullName,
        mobile: r.mobile,
        phone: r.phone,
        address: r.address,
        provinceText: r.province ?? '',
        cityText: r.city ?? '',
        areaText: r.area ?? '',
      });
      const labels: Record<string, string> = {
        fullName: '收货人',
        mobile: '手机',
        phone: '电话/分机号',
        address: '详细地址',
        provinceText: '省',
        cityText: '市',
        areaText: '区县',
      };
      for (const k of Object.keys(labels)) if ((sent[k] ?? '') !== (got[k] ?? '')) diffs.push(`${labels[k]}不一致`);
    } else diffs.push('缺少下单时的地址记录，无法核对');
    for (const [field, ours, theirs] of [
      ['省', masked.provinceName, r.province],
      ['市', masked.cityName, r.city],
      ['区', masked.countyName, r.area],
    ] as const) {
      if (String(theirs ?? '') !== ours) diffs.push(`${field}与订单不一致（${theirs}）`);
    }
    const items = orderItems(view);
    for (const l of lines) {
      const match = items.filter((i) => i.offerId === l.offer_id && (i.specId ?? '') === l.spec_id);
      const qty = match.reduce((s, i) => s + i.quantity, 0);
      if (qty !== l.quantity) diffs.push(`商品 ${l.offer_id}/${l.spec_id} 数量 ${qty} ≠ ${l.quantity}`);
    }
    if (items.length !== lines.length) diffs.push(`商品行数 ${items.length} ≠ ${lines.length}`);
    const total = orderTotal(view);
    const readback = { sent, receiver: r.maskedName, area: r.toArea, total, items };
    if (diffs.length) {
      await this.outcomes.needsAttention(poId, shopOrderId, supplierOrderId, 'READBACK_MISMATCH', `采购单回读不一致：${diffs.join('；')}`, {
        diffs,
        readback,
      });
      return 'NeedsAttention';
    }
    if (total !== undefined && total !== po.expected_amount) {
      // A price change blocks payment; the margin is re-checked at the new price so the person sees what accepting means.
      const m = await marginWith(this.db.kysely, poId, total);
      // A small rise the shop accepts by itself (its setting), while the margin still clears the floor: placed at the
      // new total like an accepted price, recorded as accepted automatically.
      const rise = total - po.expected_amount;
      const auto = (await loadLimits(this.db.kysely, await this.shopOf(shopOrderId))).autoAcceptRise ?? 0;
      if (rise > 0 && rise <= auto && m.ok) {
        await this.outcomes.markPlaced(
          poId,
          shopOrderId,
          `1688 订单 ${supplierOrderId}；涨价 ${formatYuan(rise)} 在自动接受额度 ${formatYuan(auto)} 内，已自动接受（${describeMargin(m)}）`,
          { supplierOrderId, total, autoAcceptedRise: rise },
          { readback: JSON.stringify(readback), supplier_amount: total },
          next,
        );
        return 'Placed';
      }
      await this.outcomes.needsAttention(
        poId,
        shopOrderId,
        supplierOrderId,
        'PRICE_CHANGED',
        `采购金额 ¥${(total / 100).toFixed(2)} 与预览 ¥${(po.expected_amount / 100).toFixed(2)} 不一致；${describeMargin(m)}`,
        { total, expected: po.expected_amount, margin: m.margin, marginFloor: m.floor, marginOk: m.ok },
      );
      return 'NeedsAttention';
    }
    await this.outcomes.markPlaced(
      poId,
      shopOrderId,
      `1688 订单 ${supplierOrderId}`,
      { supplierOrderId, total },
      { readback: JSON.stringify(readback), supplier_amount: total ?? null },
      next,
    );
    return 'Placed';
  }

  /** A preview is the freshest price there is: keep the catalogue's unit prices and refresh time current. */
  private async refreshOffers(
    trx: Transaction<Database>,
    lines: { offer_ref: number; offer_id: string; spec_id: string }[],
    cargoList: PreviewCargo[],
  ): Promise<void> {
    const now = this.clock.now();
    for (const c of cargoList) {
      const line = lines.find((l) => l.offer_id === c.offerId && l.spec_id === c.specId);
      if (!line || c.unitPrice === undefined) continue;
      await refreshOfferPrice(trx, c.unitPrice, now, line.offer_ref);
    }
  }

  /**
   * Partial creation, line by line: the created 1688 order keeps the lines that succeeded; the shop lines whose
   * cargo failed move to a new purchase order with another supplier. A bundle split across success and failure
   * cannot be moved whole, so a person decides.
   */
  private async splitOffFailedLines(
    poId: number,
    shopOrderId: number,
    shopId: number,
    supplierId: number,
    supplierOrderId: string,
    failed: FailedCargo[],
    successTotal: number | undefined,
  ): Promise<'split' | 'NeedsAttention'> {
    const poLines = await purchaseOrderLines(this.db.kysely, poId);
    const isFailed = (l: { offer_id: string; spec_id: string }) =>
      failed.some((f) => f.offerId === l.offer_id && (f.specId ?? '') === l.spec_id);
    const failedLineNos = new Set(poLines.filter(isFailed).map((l) => l.shop_order_line_no));
    const mixed = poLines.some((l) => failedLineNos.has(l.shop_order_line_no) && !isFailed(l));
    if (mixed) {
      await this.outcomes.needsAttention(
        poId,
        shopOrderId,
        supplierOrderId,
        'READBACK_MISMATCH',
        `1688 组合商品部分未下单：${JSON.stringify(failed)}`,
        { failedOfferList: failed },
      );
      return 'NeedsAttention';
    }
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await keepCreatedPart(trx, poId, [...failedLineNos], supplierOrderId, successTotal, now);
      const lines = await loadLinesToSource(trx, shopOrderId, [...failedLineNos]);
      const r = await this.sourcing.sourceLines(trx, shopId, shopOrderId, lines, await loadRequests(trx, shopOrderId), [supplierId], now);
      await appendEvent(
        trx,
        {
          entity: 'purchase_order',
          id: poId,
          shopOrderId,
          event: 'po.partially_created',
          actor: 'system:purchasing',
          note: `第 ${[...failedLineNos].join('、')} 行未下单成功（${failed.map((f) => f.errorCode).join('、')}），${r.blocked ? '没有其他供应商可下单' : '改由其他供应商'}`,
          data: { failed },
        },
        now,
      );
      // No other supplier for those lines: the order stops for a person (or the buyer) instead of moving on with a
      // line nobody will ship; the lines that were created go on to payment as usual (their 1688 order exists).
      if (r.blocked)
        await transitionIfAllowed(
          trx,
          {
            entity: 'shop_order',
            id: shopOrderId,
            to: r.blocked.awaitingBuyer ? 'AwaitingBuyer' : 'NeedsReview',
            event: 'sourcing.blocked',
            actor: 'system:purchasing',
            note: r.blocked.message,
          },
          now,
        );
      for (const id of r.poIds) await enqueue(trx, placeJob(id), now);
    });
    return 'split';
  }
}
