import { mapShipments, type WxShipments } from '../channels/wechat-shop/mapping.js';
import { deliverJob } from '../jobs/catalogue.js';
import { moveDelivery } from './fulfilment-state.js';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from 'pino';
import { openCase, openCases, settleOpenCases } from '../cases/cases.js';
import type { WeChatClients } from '../channels/wechat-shop/client.js';
import type { Db } from '../db/dialect.js';
import { enqueue, type Executor } from '../jobs/queue.js';
import { appendEvent, lockEntity, stateOf, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import type { ShopService } from '../shops/shops.js';
import { orderLines } from '../db/lookups.js';
import type { ShopOrderLineRow } from '../orders/repository.js';
import {
  countEcho,
  deliveriesIn,
  deliveriesOf,
  followWaybill,
  livePos,
  orderToDeliver,
  packagesOf,
  parcelTracking,
  raiseWxStatus,
  recordSending,
  recordSent,
  takeAnyEcho,
  takeFinishingEcho,
  withdrawEcho,
} from '../db/repositories/deliveries.js';
import { linesOfPurchaseOrders } from '../db/repositories/purchase-orders.js';

const MAX_INFO_UPDATES = 3;
/** While an after-sale blocks shipping, look again this often. */
const BLOCKED_RETRY_MS = 10 * 60_000;

interface Product {
  productId: string;
  skuId: string;
  count: number;
}

/** A WeChat package Daifa intends to send: one supplier parcel's waybill and the shop lines it completes. */
interface Planned {
  packageId: number;
  deliveryId: string;
  waybillId: string;
  products: Product[];
  /** Sent before and refused (a DELIVERY_FAILED case may be waiting for this package to go through). */
  failedBefore?: true;
}

/**
 * 发货同步: what the suppliers' parcels hold becomes WeChat `delivery/send` calls, one per parcel, with exactly
 * the lines and quantities that parcel completes. WeChat wants every unit of a SKU in one package (606030), so a
 * SKU whose units come in several parcels is sent once its last unit has shipped, under that parcel's waybill.
 * The order is re-read right before sending: an after-sale in progress holds everything (108009) and refunded
 * units are never shipped. Each send is recorded before the call and checked against the order afterwards, so a
 * crash or a lost answer never sends twice.
 */
export class DeliverySync {
  constructor(
    private readonly db: Db,
    private readonly shops: ShopService,
    private readonly clients: WeChatClients,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  handler = async (p: { shopOrderId: number }): Promise<void> => {
    await this.deliver(p.shopOrderId);
  };

  /** Runs in progress per shop order: in this process one at a time (two runs would plan the same packages). */
  private readonly running = new Map<number, Promise<unknown>>();

  async deliver(shopOrderId: number): Promise<string> {
    const mine = (this.running.get(shopOrderId) ?? Promise.resolve()).catch(() => undefined).then(() => this.deliverNow(shopOrderId));
    this.running.set(shopOrderId, mine);
    try {
      return await mine;
    } finally {
      if (this.running.get(shopOrderId) === mine) this.running.delete(shopOrderId);
    }
  }

  private async deliverNow(shopOrderId: number): Promise<string> {
    const k = this.db.kysely;
    const order = (await orderToDeliver(k, shopOrderId)).rows[0];
    if (!order) return 'not-found';
    if (['Cancelled', 'Completed', 'Shipped'].includes(order.state) && !(await this.pendingUpdates(shopOrderId))) return order.state;
    const client = await this.clients.forShop(this.shops, order.shop_id);

    // The order as WeChat has it now: after-sales, already-shipped packages.
    const wire = await client.getOrder(order.wx_order_id);
    const shipments = mapShipments(wire);
    const wxPackages = shipments.packages;
    const onAftersale = shipments.onAftersaleOrderCnt > 0 || shipments.products.some((p) => p.onAftersaleCnt > 0);

    // A send that went through but was never recorded as such (crash, lost answer): WeChat's record settles it,
    // so a later change of its waybill is still passed on.
    const shown = wxPackages.map((w) => w.waybillId);
    if (shown.length)
      await moveDelivery(k, { shopOrderId: order.id, waybillIds: shown }, ['Sending', 'Failed'], 'Sent', {
        error: null,
        in_flight: 0,
        updated_at: this.clock.now(),
      });
    await this.applyWaybillChanges(order, client, wxPackages);

    const lines = await orderLines(k, shopOrderId);
    const plan = await this.plan(shopOrderId, lines, shipments.products, wxPackages);
    if (plan.length && onAftersale) {
      const now = this.clock.now();
      await k.transaction().execute(async (trx) => {
        await appendEvent(
          trx,
          {
            entity: 'shop_order',
            id: order.id,
            shopOrderId: order.id,
            event: 'order.delivery_held',
            actor: 'system:delivery',
            note: '买家售后处理中，暂不同步发货（微信 108009）；售后结束后自动继续',
          },
          now,
        );
        await openCase(
          trx,
          {
            kind: 'DELIVERY_BLOCKED',
            shopOrderId: order.id,
            message: '买家有未完成的售后，微信不允许发货；售后结束后 Daifa 会自动同步物流',
            dedupKey: `DELIVERY_BLOCKED:${order.id}`,
          },
          now,
        );
        await enqueue(trx, { ...deliverJob(order.id, BLOCKED_RETRY_MS), singletonKey: `order.deliver:${order.id}:retry` }, now);
      });
      return 'held';
    }
    // WeChat's status follows from what is shipped (21 partially, 30 all): no need to ask again.
    const sentBefore = new Map<string, number>();
    for (const w of wxPackages) for (const x of w.products) sentBefore.set(x.skuId, (sentBefore.get(x.skuId) ?? 0) + x.count);
    const owedAfter = (sent: Map<string, number>) =>
      lines.reduce((t, l) => {
        const refunded = shipments.products.find((i) => i.skuId === l.sku_id && i.productId === l.product_id)?.finishAftersaleCnt ?? 0;
        return t + Math.max(0, l.quantity - refunded - (sentBefore.get(l.sku_id) ?? 0) - (sent.get(l.sku_id) ?? 0));
      }, 0);
    const sentNow = new Map<string, number>();
    const add = (into: Map<string, number>, p: Planned) => p.products.forEach((x) => into.set(x.skuId, (into.get(x.skuId) ?? 0) + x.count));
    const whole = new Map<string, number>();
    for (const p of plan) add(whole, p);
    // The plan's last package ships the rest: its echo will say finish_delivery 1.
    const completes = plan.length > 0 && owedAfter(whole) === 0;
    // The after-sale that held delivery is over: its case is settled before the sends (the last of which may move
    // the order to Shipped — nobody should see it shipped with the hold still open).
    if (!onAftersale) await this.settleBlockedCases(order.id);
    let allSent = true;
    for (const [i, p] of plan.entries()) {
      const last = i === plan.length - 1;
      // The last send of a run where every send went through also moves the order on, in the same transaction.
      const settle = last && allSent ? (completes ? 'Shipped' : 'PartiallyShipped') : undefined;
      if (await this.send(order, client, p, completes && last, settle)) add(sentNow, p);
      else allSent = false;
    }
    const anySent = sentBefore.size > 0 || sentNow.size > 0;
    return this.settleState(order.id, owedAfter(sentNow) === 0 && anySent ? 'Shipped' : anySent ? 'PartiallyShipped' : undefined);
  }

  /** Shipped packages whose waybill (or courier) changed since Daifa sent it. */
  private async pendingUpdates(shopOrderId: number): Promise<boolean> {
    const sent = (await deliveriesIn(this.db.kysely, shopOrderId, 'Sent')).rows;
    if (!sent.length) return false;
    const pkgs = (await packagesOf(this.db.kysely, shopOrderId)).rows;
    // A new tracking number, or a courier a person named for a parcel sent as OTHER.
    return sent.some((s) => pkgs.some((p) => (JSON.parse(s.package_ids) as number[]).includes(p.id) && changedSince(p, s)));
  }

  /**
   * Which WeChat packages to send now. Per shop line: units its parcels completed (the slowest of its supplier
   * lines, for bundles and multipliers), minus refunded units; sent only when every unit still owed is covered
   * and not yet sent — so a SKU is never split across packages.
   */
  private async plan(
    shopOrderId: number,
    lines: ShopOrderLineRow[],
    infos: WxShipments['products'],
    wxPackages: { waybillId: string; products: { skuId: string; count: number }[] }[],
  ): Promise<Planned[]> {
    const k = this.db.kysely;
    const pos = (await livePos(k, shopOrderId, 'Cancelled', 'Shadowed', 'Draft')).rows;
    if (!pos.length) return [];
    const poLines = await linesOfPurchaseOrders(
      k,
      pos.map((p) => p.id),
    );
    const packages = (await packagesOf(k, shopOrderId)).rows;
    const sentBySku = new Map<string, number>();
    for (const p of wxPackages) for (const x of p.products) sentBySku.set(x.skuId, (sentBySku.get(x.skuId) ?? 0) + x.count);
    const recorded = (await deliveriesOf(k, shopOrderId)).rows;

    const byPackage = new Map<number, Planned>();
    for (const line of lines) {
      const refunded = infos.find((i) => i.skuId === line.sku_id && i.productId === line.product_id)?.finishAftersaleCnt ?? 0;
      const owed = line.quantity - refunded - (sentBySku.get(line.sku_id) ?? 0);
      if (owed <= 0) continue;
      const parts = poLines.filter((l) => l.shop_order_line_no === line.line_no);
      if (!parts.length) continue;
      // Walk the parcels in shipping order until every supplier unit of this line is covered.
      let completedBy: (typeof packages)[number] | undefined;
      const covered = new Map<string, number>();
      for (const pkg of packages) {
        const items = JSON.parse(pkg.items) as { specId: string; quantity: number }[];
        let touched = false;
        for (const part of parts) {
          if (part.purchase_order_id !== pkg.purchase_order_id) continue;
          const n = items.filter((i) => i.specId === part.spec_id).reduce((s, i) => s + i.quantity, 0);
          if (n > 0) {
            covered.set(`${part.purchase_order_id}:${part.spec_id}`, (covered.get(`${part.purchase_order_id}:${part.spec_id}`) ?? 0) + n);
            touched = true;
          }
        }
        const ratio = Math.min(...parts.map((part) => (covered.get(`${part.purchase_order_id}:${part.spec_id}`) ?? 0) / part.quantity));
        if (touched && Math.floor(ratio * line.quantity + 1e-9) >= line.quantity - refunded) {
          completedBy = pkg;
          break;
        }
      }
      if (!completedBy) continue;
      // Already recorded as sent under this waybill (a crash after the call): nothing to plan; the check below settles it.
      if (
        recorded.some(
          (r) =>
            r.waybill_id === completedBy!.waybill_id &&
            r.status === 'Sent' &&
            (JSON.parse(r.product_infos) as Product[]).some((x) => x.skuId === line.sku_id),
        )
      )
        continue;
      const failedBefore = recorded.some((r) => r.waybill_id === completedBy!.waybill_id && r.status === 'Failed');
      const planned = byPackage.get(completedBy.id) ?? {
        packageId: completedBy.id,
        deliveryId: completedBy.delivery_id,
        waybillId: completedBy.waybill_id,
        products: [],
        ...(failedBefore ? { failedBefore: true as const } : {}),
      };
      planned.products.push({ productId: line.product_id, skuId: line.sku_id, count: owed });
      byPackage.set(completedBy.id, planned);
    }
    return [...byPackage.values()];
  }

  /**
   * One package to WeChat, exactly once: recorded before the call, confirmed against the order after any doubt.
   * The `channels_ec_order_deliver` push the send will cause is expected before the call (the push can arrive
   * before the answer), and the expectation withdrawn when WeChat refused the send.
   */
  private async send(
    order: { id: number; wx_order_id: string },
    client: ReturnType<WeChatClients['for']>,
    p: Planned,
    completes: boolean,
    settle?: ShippedState,
  ): Promise<boolean> {
    const k = this.db.kysely;
    const now = this.clock.now();
    await k.transaction().execute(async (trx) => {
      // The push is counted once per send: a send tried again after a crash or an outage (its row still in flight)
      // may have reached WeChat the first time, and WeChat pushes once per package shipped.
      await countEcho(trx, completes ? 1 : 0, order.id, p.waybillId, 1);
      await recordSending(trx, {
        shop_order_id: order.id,
        waybill_id: p.waybillId,
        delivery_id: p.deliveryId,
        product_infos: JSON.stringify(p.products),
        package_ids: JSON.stringify([p.packageId]),
        status: 'Sending',
        updates: 0,
        error: null,
        in_flight: 1,
        created_at: now,
        updated_at: now,
      });
    });
    try {
      await client.deliverySend(order.wx_order_id, [{ deliveryId: p.deliveryId, waybillId: p.waybillId, products: p.products }]);
    } catch (err) {
      const code = err instanceof DaifaError ? (err.details as { errcode?: number } | undefined)?.errcode : undefined;
      if (code === 109001 || code === 109000 || !(err instanceof DaifaError) || err.code === 'UPSTREAM_UNAVAILABLE') {
        // Maybe it went through (a lost answer, a crash, a second worker): compare with what WeChat shows.
        const wire = await client.getOrder(order.wx_order_id);
        const shown = mapShipments(wire).packages.find((x) => x.waybillId === p.waybillId);
        const same = shown && p.products.every((q) => shown.products.some((x) => x.skuId === q.skuId && x.count === q.count));
        if (same) {
          await this.markSent(order.id, p, '已确认（重复发送被微信拒绝，内容一致）', completes, settle);
          return true;
        }
        if (code === 109001 || code === 109000)
          return this.fail(order.id, p, `微信拒绝发货 ${code}：${(err as Error).message}；微信上的发货内容与 Daifa 不一致，请核对`);
        // Not on WeChat: this call caused nothing (the retry expects its own push).
        await k.transaction().execute((trx) => withdrawEcho(trx, order.id, p.waybillId));
        throw err;
      }
      if (err instanceof DaifaError && err.code === 'WECHAT_RATE_LIMITED') {
        // Refused before anything was done (45011/45009): not a failure — the job tries again after the window.
        await k.transaction().execute((trx) => withdrawEcho(trx, order.id, p.waybillId));
        throw err;
      }
      if (code === 108009) {
        await k.transaction().execute(async (trx) => {
          await moveDelivery(trx, { shopOrderId: order.id, waybillIds: [p.waybillId] }, ['Sending'], 'Failed', {
            error: '108009 售后中',
            updated_at: now,
          });
          await withdrawEcho(trx, order.id, p.waybillId);
          await openCase(
            trx,
            {
              kind: 'DELIVERY_BLOCKED',
              shopOrderId: order.id,
              message: '买家有未完成的售后，微信不允许发货；售后结束后 Daifa 会自动同步物流',
              dedupKey: `DELIVERY_BLOCKED:${order.id}`,
            },
            now,
          );
          await enqueue(trx, { ...deliverJob(order.id, BLOCKED_RETRY_MS), singletonKey: `order.deliver:${order.id}:retry` }, now);
        });
        return false;
      }
      return this.fail(order.id, p, `微信发货失败：${(err as Error).message}`);
    }
    await this.markSent(order.id, p, `${p.deliveryId} ${p.waybillId}`, completes, settle);
    return true;
  }

  private async markSent(shopOrderId: number, p: Planned, note: string, completes: boolean, settle?: ShippedState): Promise<void> {
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await recordSent(trx, 'Sent', null, 0, now, shopOrderId, p.waybillId);
      // The snapshot of WeChat's status follows (its echo is not re-read); a later status is never lowered.
      if (completes) await raiseWxStatus(trx, 30, shopOrderId, 20, 21);
      else await raiseWxStatus(trx, 21, shopOrderId, 20, 20);
      await appendEvent(
        trx,
        {
          entity: 'shop_order',
          id: shopOrderId,
          shopOrderId,
          event: 'order.delivery_synced',
          actor: 'system:delivery',
          note: `已同步发货 ${note}：${p.products.map((x) => `${x.skuId}×${x.count}`).join('，')}`,
          data: p,
        },
        now,
      );
      // A send that failed before (and was retried) went through: its case is settled.
      if (p.failedBefore)
        await settleOpenCases(
          trx,
          { kind: 'DELIVERY_FAILED', shopOrderId, dedupKey: `DELIVERY_FAILED:${shopOrderId}:${p.waybillId}` },
          { resolution: 'synced', note: '重试后已同步发货', actor: 'system:delivery' },
          now,
        );
      if (settle) await settleIn(trx, shopOrderId, settle, now);
    });
  }

  private async fail(shopOrderId: number, p: Planned, message: string): Promise<false> {
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await moveDelivery(trx, { shopOrderId, waybillIds: [p.waybillId] }, ['Sending'], 'Failed', { error: message, updated_at: now });
      await withdrawEcho(trx, shopOrderId, p.waybillId);
      await openCase(
        trx,
        { kind: 'DELIVERY_FAILED', shopOrderId, message, data: p, dedupKey: `DELIVERY_FAILED:${shopOrderId}:${p.waybillId}` },
        now,
      );
    });
    return false;
  }

  /** A supplier changed a tracking number after Daifa sent it: deliveryinfo/update (at most three times). */
  private async applyWaybillChanges(
    order: { id: number; wx_order_id: string },
    client: ReturnType<WeChatClients['for']>,
    wxPackages: { waybillId: string; deliveryId: string; products: { skuId: string; count: number }[] }[],
  ): Promise<void> {
    const k = this.db.kysely;
    const sent = (await deliveriesIn(k, order.id, 'Sent')).rows;
    for (const d of sent) {
      const pkgId = (JSON.parse(d.package_ids) as number[])[0];
      const pkg = await parcelTracking(k, pkgId ?? -1);
      if (!pkg || !changedSince(pkg, d)) continue;
      const now = this.clock.now();
      // WeChat shows it already (a send whose record was lost): only the record follows. The same waybill under
      // another courier (a person named the courier of an OTHER parcel) is an update still to make.
      if (wxPackages.some((w) => w.waybillId === pkg.waybill_id && w.deliveryId === pkg.delivery_id)) {
        await followWaybill(k, d.id, pkg, now);
        continue;
      }
      if (d.updates >= MAX_INFO_UPDATES) {
        await k.transaction().execute((trx) =>
          openCase(
            trx,
            {
              kind: 'DELIVERY_FAILED',
              shopOrderId: order.id,
              message: `供应商更换了单号 ${d.waybill_id} → ${pkg.waybill_id}，但微信物流信息最多修改 ${MAX_INFO_UPDATES} 次，请在微信小店后台处理`,
              dedupKey: `WAYBILL_LIMIT:${d.id}`,
            },
            now,
          ).then(() => undefined),
        );
        continue;
      }
      try {
        await client.deliveryInfoUpdate(order.wx_order_id, {
          old: { deliveryId: d.delivery_id, waybillId: d.waybill_id },
          next: { deliveryId: pkg.delivery_id, waybillId: pkg.waybill_id },
          products: JSON.parse(d.product_infos) as Product[],
        });
      } catch (err) {
        const code = err instanceof DaifaError ? (err.details as { errcode?: number } | undefined)?.errcode : undefined;
        if (err instanceof DaifaError && err.retryable) throw err;
        await k.transaction().execute((trx) =>
          openCase(
            trx,
            {
              kind: 'DELIVERY_FAILED',
              shopOrderId: order.id,
              message: `微信物流信息修改失败（${code ?? ''} ${(err as Error).message}）：${d.waybill_id} → ${pkg.waybill_id}`,
              dedupKey: `WAYBILL_UPDATE:${d.id}:${pkg.waybill_id}`,
            },
            now,
          ).then(() => undefined),
        );
        continue;
      }
      await k.transaction().execute(async (trx) => {
        await followWaybill(trx, d.id, pkg, now, d.updates + 1);
        await appendEvent(
          trx,
          {
            entity: 'shop_order',
            id: order.id,
            shopOrderId: order.id,
            event: 'order.delivery_updated',
            actor: 'system:delivery',
            note: `物流单号已更新 ${d.delivery_id} ${d.waybill_id} → ${pkg.delivery_id} ${pkg.waybill_id}（第 ${d.updates + 1} 次）`,
          },
          now,
        );
      });
    }
  }

  /** The after-sale that held delivery is over: its case is settled by the system. */
  private async settleBlockedCases(shopOrderId: number): Promise<void> {
    // Almost always there is none: look before opening a transaction.
    const open = (await openCases.ofKind(this.db.kysely, shopOrderId, 'DELIVERY_BLOCKED', 'Open')).rows[0];
    if (!open) return;
    await this.db.kysely
      .transaction()
      .execute((trx) =>
        settleOpenCases(
          trx,
          { kind: 'DELIVERY_BLOCKED', shopOrderId },
          { resolution: 'aftersale_ended', note: '售后已结束，已继续同步发货', actor: 'system:delivery' },
          this.clock.now(),
        ),
      );
  }

  /** The shop order's state follows what is shipped: partially (WeChat 21) or all of it (30). */
  private async settleState(shopOrderId: number, to: ShippedState | undefined): Promise<string> {
    const order = await stateOf(this.db.kysely, 'shop_order', shopOrderId);
    if (!to || !moves(order.state, to)) return order.state;
    await this.db.kysely.transaction().execute((trx) => settleIn(trx, shopOrderId, to, this.clock.now()));
    return to;
  }
}

type ShippedState = 'Shipped' | 'PartiallyShipped';
/** Shipping only moves an order forward (never back from Shipped, never out of Completed or Cancelled). */
const moves = (from: string, to: ShippedState) => from !== to && !['Completed', 'Cancelled', 'Shipped'].includes(from);

async function settleIn(trx: Transaction<Database>, shopOrderId: number, to: ShippedState, now: number): Promise<void> {
  await lockEntity(trx, 'shop_order', shopOrderId);
  const cur = await stateOf(trx, 'shop_order', shopOrderId);
  if (moves(cur.state, to))
    await transitionIfAllowed(
      trx,
      {
        entity: 'shop_order',
        id: shopOrderId,
        to,
        event: to === 'Shipped' ? 'order.shipped' : 'order.partially_shipped',
        actor: 'system:delivery',
      },
      now,
    );
}

/**
 * A `channels_ec_order_deliver` push that echoes one of Daifa's own sends: it says nothing Daifa does not know,
 * so it is not re-read. Taken (counted down) only when Daifa expects a push for this order, and when it says
 * everything is shipped only if Daifa's latest send shipped everything; any other deliver push (the merchant
 * shipped in the WeChat back office, a dropship supplier shipped) is re-read as usual.
 */
export async function takeDeliverEcho(db: Executor, shopId: number, wxOrderId: string, finishDelivery: boolean): Promise<boolean> {
  const r = finishDelivery ? await takeFinishingEcho(db, 1, shopId, wxOrderId, 0, 1) : await takeAnyEcho(db, 1, shopId, wxOrderId, 0);
  return Number(r.numAffectedRows) === 1;
}

/** A parcel's tracking differs from what WeChat was sent: a new tracking number, or a courier named since (OTHER before). */
function changedSince(pkg: { waybill_id: string; delivery_id: string }, sent: { waybill_id: string; delivery_id: string }): boolean {
  return pkg.waybill_id !== sent.waybill_id || pkg.delivery_id !== sent.delivery_id;
}
