import { isClosed, mapParcels, orderEntries } from '../suppliers/alibaba-1688/mapping.js';
import { deliverJob, trackJob, trackingSweepJob, unwindJob } from '../jobs/catalogue.js';
import type { InboundEventStore } from '../inbound/event-store.js';
import { routeTraits } from '../domain/purchase-routes.js';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { findCase, openCase, settleCase, settleOpenCases } from '../cases/cases.js';
import type { Db } from '../db/dialect.js';
import { enqueue, type Executor } from '../jobs/queue.js';
import { appendEvent, lockEntity, stateOf, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import type { Notifier } from '../notify/notifier.js';
import { parse1688Time, type Alibaba1688Accounts } from '../suppliers/alibaba-1688/accounts.js';
import { OrderMissingError, type ApiBody } from '../suppliers/alibaba-1688/client.js';
import { mapCourier, plausibleWaybill, WECHAT_COURIERS } from './couriers.js';
import { acceptMessage } from '../suppliers/alibaba-1688/message-receiver.js';
import {
  insertPackage,
  insertTraceEvent,
  nameCourier,
  packagesOfPo,
  parcelsWithoutCourier,
  unsignedParcels,
  updateParcel,
} from '../db/repositories/deliveries.js';
import { markTracked, notTrackedSince, poLineUnits, poToTrack } from '../db/repositories/purchase-orders.js';
import { paymentOf, saveSetting, setting } from '../db/lookups.js';

/** 1688 trace steps as Daifa records them (LOGISTICS_BUYER_VIEW_TRACE `statusChanged`; remarks otherwise). */
const SIGNED = /签收|SIGN/;
const PICKED = /揽收|揽件|ACCEPT/;

export interface TrackingOptions {
  /** A parcel not picked up this long after dispatch is an anomaly. */
  noPickupHours: number;
  /** A parcel with no trace update this long is an anomaly. */
  staleTraceHours: number;
  /** Purchase orders not heard of for this long are re-read by the sweep (the safety net under messages). */
  pollEveryMinutes: number;
}

export const DEFAULT_TRACKING: TrackingOptions = { noPickupHours: 24, staleTraceHours: 48, pollEveryMinutes: 30 };

type PoRow = {
  id: number;
  shop_order_id: number;
  supplier_order_id: string | null;
  state: string;
  route: string;
  shop_id: number;
  wx_order_id: string;
  readback: string | null;
  missing_case: unknown;
};

/** 1688 sub-order (entry) id → spec id, as the read-back at placement recorded them (none for older rows). */
function entriesFromReadback(readback: string | null): Map<string, string> {
  const items = readback ? ((JSON.parse(readback) as { items?: { specId?: string; entryId?: string }[] }).items ?? []) : [];
  return new Map(items.filter((i) => i.entryId).map((i) => [i.entryId!, String(i.specId ?? '')]));
}

/**
 * 物流跟踪: a message or the sweep says "look at this purchase order"; Daifa re-reads 1688 (the message is
 * only a hint), records each parcel — courier mapped to WeChat's code, tracking number, the lines and units it
 * holds — and its trace, marks the purchase order shipped once every unit is in a parcel, and hands the shop
 * order to delivery sync.
 */
export class Tracking {
  constructor(
    private readonly db: Db,
    private readonly accounts: Alibaba1688Accounts,
    private readonly notifier: Notifier,
    private readonly events: InboundEventStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: TrackingOptions = DEFAULT_TRACKING,
  ) {}

  private async loadPo(poId: number): Promise<PoRow | undefined> {
    return (await poToTrack(this.db.kysely, poId, 'SUPPLIER_ORDER_MISSING', 'Open')).rows[0];
  }

  /**
   * Re-read one purchase order's parcels and traces. With `deliverNext`, a new parcel or waybill enqueues no
   * delivery job: `forWeChat` says so and the caller syncs the shop order right after.
   */
  async track(
    poId: number,
    opts: { deliverNext?: boolean } = {},
  ): Promise<{ parcels: number; changed: boolean; forWeChat?: boolean; shopOrderId?: number }> {
    const po = await this.loadPo(poId);
    if (
      !po ||
      routeTraits(po.route).parcels !== 'supplier-api' ||
      !po.supplier_order_id ||
      !['Paid', 'Shipped', 'Paying', 'NeedsAttention', 'Placed'].includes(po.state)
    )
      return { parcels: 0, changed: false };
    const client = await this.accounts.client();
    let parcels: ApiBody[];
    try {
      parcels = await client.logisticsInfos(po.supplier_order_id);
    } catch (err) {
      if (err instanceof OrderMissingError) return this.orderMissing(po, err);
      throw err;
    }
    const now = this.clock.now();
    const tracked = (ex: Executor) => markTracked(ex, now, poId);
    // 1688 shows the order again (the right account re-authorised): a case saying it could not is moot.
    if (po.missing_case)
      await this.db.kysely
        .transaction()
        .execute((trx) =>
          settleOpenCases(
            trx,
            { kind: 'SUPPLIER_ORDER_MISSING', shopOrderId: po.shop_order_id, purchaseOrderId: po.id },
            { resolution: 'visible_again', note: `1688 订单 ${po.supplier_order_id} 已可查到`, actor: 'system:tracking' },
            now,
          ),
        );
    if (!parcels.length) {
      await tracked(this.db.kysely);
      // Nothing shipped: a closed order (seller or timeout) is a case; otherwise nothing to do yet.
      const view = await client.buyerView(po.supplier_order_id);
      if (isClosed(view)) await this.supplierClosed(po);
      return { parcels: 0, changed: false, shopOrderId: po.shop_order_id };
    }
    const known = (await packagesOfPo(this.db.kysely, poId)).rows;
    // Sub-order (entry) ids → spec ids: only needed when a parcel is new.
    let entries: Map<string, string> | undefined;
    const fresh = mapParcels(parcels).filter((p) => !known.some((k) => k.logistics_id === p.logisticsId));
    if (fresh.length) {
      // The read-back at placement recorded them; 1688 is asked only for an entry it does not know.
      entries = entriesFromReadback(po.readback);
      const wanted = fresh.flatMap((p) => p.goods.map((g) => g.entryId));
      if (wanted.some((id) => !entries!.has(id))) entries = undefined;
    }
    if (fresh.length && !entries) {
      const view = await client.buyerView(po.supplier_order_id);
      entries = new Map(orderEntries(view).map((e) => [e.entryId, e.specId]));
    }
    const read = mapParcels(parcels, await client.logisticsTrace(po.supplier_order_id));
    let changed = false;
    // Only a new parcel or a new waybill changes what WeChat must be told; trace steps do not.
    let forWeChat = false;
    await this.db.kysely.transaction().execute(async (trx) => {
      await lockEntity(trx, 'shop_order', po.shop_order_id);
      await tracked(trx);
      for (const p of read) {
        const logisticsId = p.logisticsId;
        const name = p.companyName;
        const courier = await withAlias(trx, mapCourier(name, p.companyNo), name);
        const waybill = p.waybill;
        const steps = p.steps.map((s) => ({ at: parseCnTime(s.acceptTime) ?? now, remark: s.remark }));
        const signed = steps.find((s) => SIGNED.test(s.remark));
        const picked = steps.find((s) => PICKED.test(s.remark));
        const last = steps.length ? Math.max(...steps.map((s) => s.at)) : null;
        const status = signed ? 'SIGN' : steps.length > 1 ? 'TRANSPORT' : picked ? 'ACCEPT' : 'CONSIGN';
        const existing = known.find((k) => k.logistics_id === logisticsId);
        let pkgId: number;
        if (!existing) {
          const items = p.goods.map((g) => ({ specId: entries?.get(g.entryId) ?? '', quantity: g.quantity }));
          const row = (
            await insertPackage(trx, {
              shop_order_id: po.shop_order_id,
              purchase_order_id: po.id,
              source: '1688',
              logistics_id: logisticsId,
              courier_name: name,
              delivery_id: courier.deliveryId,
              waybill_id: waybill,
              items: JSON.stringify(items),
              status,
              shipped_at: parseCnTime(p.sentAt) ?? now,
              picked_up_at: picked?.at ?? null,
              last_trace_at: last,
              signed_at: signed?.at ?? null,
              anomaly: null,
              created_at: now,
              updated_at: now,
            })
          ).rows[0];
          if (!row) continue;
          pkgId = row.id;
          changed = forWeChat = true;
          await appendEvent(
            trx,
            {
              entity: 'purchase_order',
              id: po.id,
              shopOrderId: po.shop_order_id,
              event: 'po.parcel_shipped',
              actor: 'system:tracking',
              note: `${name} ${waybill}（${items.map((i: { quantity: number }) => i.quantity).reduce((a: number, b: number) => a + b, 0)} 件）`,
              data: { logisticsId, deliveryId: courier.deliveryId, items },
            },
            now,
          );
          if (!courier.known)
            await openCase(
              trx,
              {
                kind: 'UNKNOWN_COURIER',
                shopOrderId: po.shop_order_id,
                purchaseOrderId: po.id,
                message: `供应商快递「${name}」无法对应微信小店快递公司，将以“其他(OTHER)”同步；请确认`,
                data: { name, waybill },
                dedupKey: `UNKNOWN_COURIER:${po.id}:${logisticsId}`,
              },
              now,
            );
          if (!plausibleWaybill(courier.deliveryId, waybill))
            await openCase(
              trx,
              {
                kind: 'TRACKING_ANOMALY',
                shopOrderId: po.shop_order_id,
                purchaseOrderId: po.id,
                message: `快递单号「${waybill}」格式不像 ${courier.deliveryId} 的单号，请与供应商核对`,
                data: { waybill, deliveryId: courier.deliveryId },
                dedupKey: `WAYBILL_FORMAT:${po.id}:${logisticsId}`,
              },
              now,
            );
        } else {
          pkgId = existing.id;
          const patch: Record<string, unknown> = {
            status,
            last_trace_at: last,
            picked_up_at: picked?.at ?? null,
            signed_at: signed?.at ?? null,
            updated_at: now,
          };
          // A courier Daifa cannot name never replaces a known one on the same waybill (a person named it: 指定快递公司).
          if (existing.waybill_id !== waybill || (existing.delivery_id !== courier.deliveryId && courier.known)) {
            // The seller re-printed the waybill: recorded here, passed on to WeChat by delivery sync.
            patch.waybill_id = waybill;
            patch.delivery_id = courier.deliveryId;
            patch.courier_name = name;
            changed = forWeChat = true;
            await appendEvent(
              trx,
              {
                entity: 'purchase_order',
                id: po.id,
                shopOrderId: po.shop_order_id,
                event: 'po.waybill_changed',
                actor: 'system:tracking',
                note: `${existing.delivery_id} ${existing.waybill_id} → ${courier.deliveryId} ${waybill}`,
              },
              now,
            );
            // A courier now known, a number now plausible: the cases about the old waybill have nothing left to say.
            const settled = {
              resolution: 'waybill_changed',
              note: `供应商已更换运单：${courier.deliveryId} ${waybill}`,
              actor: 'system:tracking',
            };
            if (courier.known)
              await settleOpenCases(
                trx,
                {
                  kind: 'UNKNOWN_COURIER',
                  shopOrderId: po.shop_order_id,
                  purchaseOrderId: po.id,
                  dedupKey: `UNKNOWN_COURIER:${po.id}:${logisticsId}`,
                },
                settled,
                now,
              );
            if (plausibleWaybill(courier.deliveryId, waybill))
              await settleOpenCases(
                trx,
                {
                  kind: 'TRACKING_ANOMALY',
                  shopOrderId: po.shop_order_id,
                  purchaseOrderId: po.id,
                  dedupKey: `WAYBILL_FORMAT:${po.id}:${logisticsId}`,
                },
                settled,
                now,
              );
          }
          if (existing.status !== status) changed = true;
          if (existing.anomaly && (existing.status !== status || (last ?? 0) > (existing.last_trace_at ?? 0))) {
            // The parcel moved again (picked up, a later trace step, signed): the anomaly the sweep flagged is over.
            // (Trace times have whole seconds: a step in the same second as the last one shows as a new status.)
            patch.anomaly = null;
            await settleOpenCases(
              trx,
              { kind: 'TRACKING_ANOMALY', shopOrderId: po.shop_order_id, purchaseOrderId: po.id, dedupKey: `TRACKING_ANOMALY:${pkgId}` },
              { resolution: 'moving_again', note: `包裹 ${waybill} 已有新的物流动态`, actor: 'system:tracking' },
              now,
            );
          }
          await updateParcel(trx, pkgId, patch);
        }
        for (const s of steps)
          await insertTraceEvent(trx, {
            package_id: pkgId,
            at: s.at,
            status: SIGNED.test(s.remark) ? 'SIGN' : PICKED.test(s.remark) ? 'ACCEPT' : 'TRANSPORT',
            remark: s.remark,
          });
      }
      await markShippedIfComplete(trx, po, 'system:tracking', now);
      if (forWeChat && !opts.deliverNext) await enqueue(trx, deliverJob(po.shop_order_id), now);
    });
    return { parcels: parcels.length, changed, forWeChat, shopOrderId: po.shop_order_id };
  }

  /**
   * The supplier (or 1688, on payment timeout) closed the order before shipping. Nothing paid: the purchase order
   * is closed and its lines are placed again with another supplier (unwind → re-source), and the merchant is told.
   * Money paid or a payment in flight: a person decides (the refund must be seen first).
   */
  private async supplierClosed(po: PoRow): Promise<void> {
    const now = this.clock.now();
    const payment = await paymentOf(this.db.kysely, po.id);
    const untouched = !payment || (payment.status !== 'Paid' && payment.status !== 'Paying');
    await this.db.kysely.transaction().execute(async (trx) => {
      if (untouched) {
        const first = await enqueue(trx, unwindJob(po.id, 'supplier_closed'), now);
        if (first) {
          await appendEvent(
            trx,
            {
              entity: 'purchase_order',
              id: po.id,
              shopOrderId: po.shop_order_id,
              event: 'po.supplier_closed',
              actor: 'system:tracking',
              note: `1688 订单 ${po.supplier_order_id} 已被关闭（未付款），自动换供应商重新下单`,
            },
            now,
          );
          await this.notifier.raise(trx, {
            event: 'supplier_delay',
            shopId: po.shop_id,
            subject: `closed:${po.id}`,
            data: { orderId: po.wx_order_id, detail: `1688 订单 ${po.supplier_order_id} 已关闭，已自动换供应商重新下单` },
          });
        }
        return;
      }
      const opened = await openCase(
        trx,
        {
          kind: 'SUPPLIER_CLOSED',
          shopOrderId: po.shop_order_id,
          purchaseOrderId: po.id,
          message: `1688 订单 ${po.supplier_order_id} 已被关闭，但付款${payment?.status === 'Paying' ? '正在进行' : '已付出'}：请核对 1688 是否已退款，再换供应商重新下单或给买家退款`,
          dedupKey: `SUPPLIER_CLOSED:${po.id}`,
        },
        now,
      );
      if (opened)
        await this.notifier.raise(trx, {
          event: 'supplier_delay',
          shopId: po.shop_id,
          subject: `closed:${po.id}`,
          data: { orderId: po.wx_order_id, detail: `1688 订单 ${po.supplier_order_id} 已关闭` },
        });
    });
  }

  /**
   * 1688 will not show the order to the authorised buyer account (`order.nopermission.buyer`: most often the shop
   * was re-authorised with another 1688 account; or the order is gone). Retrying cannot help, so this is a case for
   * a person, opened once, with an alert; the sweep keeps looking and settles it when the order is visible again.
   */
  private async orderMissing(po: PoRow, err: OrderMissingError): Promise<{ parcels: number; changed: boolean; shopOrderId: number }> {
    const now = this.clock.now();
    this.log.warn(
      { poId: po.id, supplierOrderId: po.supplier_order_id, code: err.upstreamCode },
      '1688 order not visible to the authorised account',
    );
    await this.db.kysely.transaction().execute(async (trx) => {
      await markTracked(trx, now, po.id);
      const opened = await openCase(
        trx,
        {
          kind: 'SUPPLIER_ORDER_MISSING',
          shopOrderId: po.shop_order_id,
          purchaseOrderId: po.id,
          message: `1688 订单 ${po.supplier_order_id} 查不到（${err.upstreamCode}：订单不存在或当前授权的 1688 账号无权查看）。若店铺换了 1688 账号授权，请用下单时的账号重新授权；订单确实不存在时，请换供应商重新下单或给买家退款`,
          data: { supplierOrderId: po.supplier_order_id, code: err.upstreamCode },
          dedupKey: `SUPPLIER_ORDER_MISSING:${po.id}`,
        },
        now,
      );
      if (opened)
        await this.notifier.raise(trx, {
          event: 'tracking_anomaly',
          shopId: po.shop_id,
          subject: `missing:${po.id}`,
          data: { orderId: po.wx_order_id, detail: `1688 订单 ${po.supplier_order_id} 查不到（${err.upstreamCode}）` },
        });
    });
    return { parcels: 0, changed: false, shopOrderId: po.shop_order_id };
  }

  /**
   * 手工录入物流: a direct supplier's tracking (from the e-mail thread or a phone call), for the whole
   * purchase order unless lines are given.
   */
  async recordManual(
    poId: number,
    input: { courier: string; waybill: string; actor: string; items?: { specId: string; quantity: number }[] },
  ): Promise<number> {
    const po = await this.loadPo(poId);
    if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${poId} 不存在`);
    const courier = await withAlias(this.db.kysely, mapCourier(input.courier, input.courier.toUpperCase()), input.courier);
    if (!plausibleWaybill(courier.deliveryId, input.waybill))
      throw new DaifaError('VALIDATION', `快递单号「${input.waybill}」格式不正确 / implausible tracking number`);
    const now = this.clock.now();
    const lines = (await poLineUnits(this.db.kysely, poId)).rows;
    const items = input.items ?? lines.map((l) => ({ specId: l.spec_id, quantity: l.quantity }));
    return this.db.kysely.transaction().execute(async (trx) => {
      await lockEntity(trx, 'shop_order', po.shop_order_id);
      const row = (
        await insertPackage(trx, {
          shop_order_id: po.shop_order_id,
          purchase_order_id: po.id,
          source: 'manual',
          logistics_id: `manual:${input.waybill}`,
          courier_name: input.courier,
          delivery_id: courier.deliveryId,
          waybill_id: input.waybill,
          items: JSON.stringify(items),
          status: 'CONSIGN',
          shipped_at: now,
          picked_up_at: null,
          last_trace_at: null,
          signed_at: null,
          anomaly: null,
          created_at: now,
          updated_at: now,
        })
      ).rows[0];
      if (!row) throw new DaifaError('ALREADY_DONE', `单号 ${input.waybill} 已录入 / already recorded`);
      await appendEvent(
        trx,
        {
          entity: 'purchase_order',
          id: po.id,
          shopOrderId: po.shop_order_id,
          event: 'po.parcel_recorded',
          actor: input.actor,
          note: `${input.courier} ${input.waybill}`,
        },
        now,
      );
      if (!courier.known)
        await openCase(
          trx,
          {
            kind: 'UNKNOWN_COURIER',
            shopOrderId: po.shop_order_id,
            purchaseOrderId: po.id,
            message: `快递「${input.courier}」无法对应微信小店快递公司，将以“其他(OTHER)”同步`,
            data: { name: input.courier, waybill: input.waybill },
            dedupKey: `UNKNOWN_COURIER:${po.id}:${input.waybill}`,
          },
          now,
        );
      await markShippedIfComplete(trx, po, input.actor, now);
      await enqueue(trx, deliverJob(po.shop_order_id), now);
      return row.id;
    });
  }

  /**
   * 指定快递公司: a person names the WeChat courier of a parcel Daifa could not map (UNKNOWN_COURIER, synced as
   * OTHER). The parcel takes that courier (its tracking number must look like one of theirs), delivery sync passes
   * it on (`deliveryinfo/update` when it was sent as OTHER already), and the case is settled. Later re-reads of
   * the supplier's unknown courier name do not undo it.
   */
  async setCourier(caseId: number, deliveryId: string, actor: string): Promise<{ packages: number }> {
    if (deliveryId === 'OTHER' || !WECHAT_COURIERS[deliveryId])
      throw new DaifaError('VALIDATION', `未知的快递公司代码 ${deliveryId} / unknown courier`, {
        details: [{ field: 'deliveryId', message: 'unknown courier' }],
      });
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const c = await findCase(trx, caseId);
      if (!c || c.kind !== 'UNKNOWN_COURIER' || !c.purchase_order_id || !c.shop_order_id)
        throw new DaifaError('NOT_FOUND', `快递公司待确认事项 ${caseId} 不存在`);
      if (c.state !== 'Open') throw new DaifaError('ALREADY_DONE', '该事项已处理 / already resolved');
      await lockEntity(trx, 'shop_order', c.shop_order_id);
      const waybill = (JSON.parse(c.data ?? '{}') as { waybill?: string }).waybill;
      const pkgs = await parcelsWithoutCourier(trx, c.purchase_order_id, waybill);
      if (!pkgs.length) throw new DaifaError('WRONG_STATE', '没有待确认快递公司的包裹（供应商可能已更换运单）/ no such parcel');
      const odd = pkgs.find((p) => !plausibleWaybill(deliveryId, p.waybill_id));
      if (odd)
        throw new DaifaError(
          'VALIDATION',
          `单号「${odd.waybill_id}」不像${WECHAT_COURIERS[deliveryId]}的单号，请核对 / implausible for this courier`,
          { details: [{ field: 'deliveryId', message: 'implausible tracking number' }] },
        );
      await nameCourier(
        trx,
        pkgs.map((p) => p.id),
        deliveryId,
        now,
      );
      // Remembered: the next parcel under this courier name is synced as this courier, with no case.
      const name = (JSON.parse(c.data ?? '{}') as { name?: string }).name?.trim();
      if (name) await saveSetting(trx, `${ALIAS}${name}`, deliveryId);
      const note = `快递公司确认为 ${WECHAT_COURIERS[deliveryId]}（${deliveryId}）：${pkgs.map((p) => p.waybill_id).join('、')}${name ? `；以后「${name}」按此同步` : ''}`;
      await appendEvent(
        trx,
        {
          entity: 'purchase_order',
          id: c.purchase_order_id,
          shopOrderId: c.shop_order_id,
          event: 'po.courier_set',
          actor,
          note,
          data: { deliveryId, packages: pkgs.map((p) => p.id) },
        },
        now,
      );
      await settleCase(trx, { id: c.id, shopOrderId: c.shop_order_id }, { resolution: note, note, actor }, now);
      await enqueue(trx, deliverJob(c.shop_order_id), now);
      return { packages: pkgs.length };
    });
  }

  /**
   * The safety net: purchase orders not looked at for a while are re-read; missed 1688 messages are pulled;
   * parcels without pickup or trace for too long are flagged and alerted once.
   */
  sweepHandler = async (): Promise<void> => {
    await this.sweep();
    await this.db.kysely
      .transaction()
      .execute((trx) => enqueue(trx, trackingSweepJob(this.opts.pollEveryMinutes * 60_000), this.clock.now()).then(() => undefined));
  };

  async sweep(): Promise<{ enqueued: number; anomalies: number; pulled: number }> {
    const now = this.clock.now();
    // Messages the push missed (Daifa was down, or 1688 gave up retrying): pulled and handled like pushed ones.
    let pulled = 0;
    if (await this.accounts.stored()) {
      const client = await this.accounts.client();
      for (let round = 0; round < 20; round++) {
        const list = await client.pullMessages(200);
        for (const m of list) if (await acceptMessage(this.events, m, JSON.stringify(m))) pulled++;
        if (list.length < 200) break;
      }
    }
    const stale = now - this.opts.pollEveryMinutes * 60_000;
    const due = await notTrackedSince(this.db.kysely, stale, 500);
    await this.db.kysely.transaction().execute(async (trx) => {
      for (const p of due) await enqueue(trx, trackJob(p.id), now);
    });
    let anomalies = 0;
    const open = await unsignedParcels(
      this.db.kysely,
      now - Math.min(this.opts.noPickupHours, this.opts.staleTraceHours) * 3_600_000,
      1000,
    );
    for (const k of open) {
      const reason =
        !k.picked_up_at && now - k.shipped_at > this.opts.noPickupHours * 3_600_000
          ? `发货 ${this.opts.noPickupHours} 小时后仍未揽收`
          : now - (k.last_trace_at ?? k.shipped_at) > this.opts.staleTraceHours * 3_600_000
            ? `${this.opts.staleTraceHours} 小时无物流更新`
            : undefined;
      if (!reason) continue;
      anomalies++;
      await this.db.kysely.transaction().execute(async (trx) => {
        await updateParcel(trx, k.id, { anomaly: reason, updated_at: now });
        await openCase(
          trx,
          {
            kind: 'TRACKING_ANOMALY',
            shopOrderId: k.shop_order_id,
            purchaseOrderId: k.purchase_order_id,
            message: `包裹 ${k.waybill_id} ${reason}`,
            dedupKey: `TRACKING_ANOMALY:${k.id}`,
          },
          now,
        );
        await this.notifier.raise(trx, {
          event: 'tracking_anomaly',
          shopId: k.shop_id,
          subject: String(k.id),
          data: { orderId: k.wx_order_id, detail: `${k.waybill_id} ${reason}` },
        });
      });
    }
    return { enqueued: due.length, anomalies, pulled };
  }
}

/** Every supplier unit of a paid purchase order is in a parcel → the purchase order is shipped. */
async function markShippedIfComplete(
  trx: Transaction<Database>,
  po: { id: number; shop_order_id: number },
  actor: string,
  now: number,
): Promise<void> {
  const cur = await stateOf(trx, 'purchase_order', po.id);
  if (cur.state !== 'Paid') return;
  const lines = (await poLineUnits(trx, po.id)).rows;
  const shipped = await shippedUnits(trx, po.id);
  if (!lines.every((l) => (shipped.get(l.spec_id) ?? 0) >= l.quantity)) return;
  await transitionIfAllowed(
    trx,
    { entity: 'purchase_order', id: po.id, shopOrderId: po.shop_order_id, to: 'Shipped', expectFrom: 'Paid', event: 'po.shipped', actor },
    now,
  );
  // Everything left the supplier: a deadline warning about this purchase order has nothing left to warn about.
  await settleOpenCases(
    trx,
    { kind: 'DEADLINE_AT_RISK', shopOrderId: po.shop_order_id, purchaseOrderId: po.id },
    { resolution: 'shipped', note: '供应商已全部发货', actor },
    now,
  );
}

/** Supplier units of each spec already in a parcel, for one purchase order. */
export async function shippedUnits(db: Executor, poId: number): Promise<Map<string, number>> {
  const rows = (await packagesOfPo(db, poId)).rows;
  const m = new Map<string, number>();
  for (const r of rows)
    for (const it of JSON.parse(r.items) as { specId: string; quantity: number }[]) m.set(it.specId, (m.get(it.specId) ?? 0) + it.quantity);
  return m;
}

/** "yyyy-MM-dd HH:mm:ss" (China time, as traces print it) or 1688's "yyyyMMddHHmmssSSS+0800" → epoch ms. */
export function parseCnTime(s: string): number | undefined {
  const a = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (a) return Date.parse(`${a[1]}-${a[2]}-${a[3]}T${a[4]}:${a[5]}:${a[6]}+08:00`);
  return parse1688Time(s);
}

const ALIAS = 'courier-alias:';

/** A courier name Daifa cannot map, named once by a person (指定快递公司): known from then on. */
async function withAlias(
  db: Kysely<Database>,
  courier: { deliveryId: string; known: boolean },
  name: string,
): Promise<{ deliveryId: string; known: boolean }> {
  if (courier.known || !name.trim()) return courier;
  const alias = await setting(db, `${ALIAS}${name.trim()}`);
  return alias && WECHAT_COURIERS[alias] && alias !== 'OTHER' ? { deliveryId: alias, known: true } : courier;
}
