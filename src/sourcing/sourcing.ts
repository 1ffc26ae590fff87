import { consentReminderJob, deliverJob, placeJob } from '../jobs/catalogue.js';
import { routeTraits } from '../domain/purchase-routes.js';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import { openCase } from '../cases/cases.js';
import type { Db } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import {
  REQUEST_BLOCKERS,
  explainChoice,
  scoreCandidates,
  type Candidate,
  type ScoredCandidate,
  type SupplierHistory,
} from '../domain/supplier-scoring.js';
import { describeForSupplier, emptyRequests, resolveDeliveryDate, type SpecialRequests } from '../domain/special-requests.js';
import { applyTransition, recordInitialState, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { Notifier } from '../notify/notifier.js';
import { enqueue } from '../jobs/queue.js';
import { suggestOffers } from './suggestions.js';
import { loadWeights } from './catalogue-admin.js';
import { findById, getById, orderLines, rowOrThrow } from '../db/lookups.js';
import {
  aMapping,
  anyUnpaidPo,
  coveredLines,
  insertDecision,
  insertPoLine,
  insertPurchaseOrder,
  mappedOffers,
  overrideOf,
  posCount,
  substituteOffer,
} from '../db/repositories/sourcing.js';
import { orderLine } from '../db/repositories/shop-orders.js';
import { provinceOf, supplierRecords } from '../db/repositories/supplier-history.js';
import { advanceWhenAllPlaced } from '../lifecycle/progress.js';

/** The shop order's lines (optionally only some) as sourcing needs them: refunded units are not sourced. */
export async function loadLinesToSource(trx: Transaction<Database>, shopOrderId: number, lineNos?: number[]): Promise<LineToSource[]> {
  const wanted = lineNos && new Set(lineNos);
  return (await orderLines(trx, shopOrderId))
    .filter((l) => !wanted || wanted.has(l.line_no))
    .map((l) => ({
      lineNo: l.line_no,
      productId: l.product_id,
      skuId: l.sourced_sku_id ?? l.sku_id,
      specChanged: l.sourced_sku_id != null && l.sourced_sku_id !== l.sku_id,
      title: l.title,
      quantity: l.quantity - Math.max(l.finish_aftersale_cnt, l.withdrawn_cnt),
      paidAmount: l.paid_amount,
      deadline: l.delivery_deadline_s ?? undefined,
      substituteOfferRef: l.substitute_offer_ref ?? undefined,
    }));
}

export async function loadRequests(trx: Transaction<Database>, shopOrderId: number): Promise<SpecialRequests> {
  const order = await getById(trx, 'shop_orders', shopOrderId);
  const r: SpecialRequests = { ...emptyRequests(), ...JSON.parse(order.special_requests || '{}') };
  // A requested date is placed in time from when the buyer wrote it: the order's creation.
  r.deliveryBy = r.deliveryDate ? resolveDeliveryDate(r.deliveryDate, order.wx_create_time_s) : undefined;
  return r;
}

export interface LineToSource {
  lineNo: number;
  productId: string;
  /** The SKU whose suppliers are looked up: the bought one, or the one a person changed it to in review. */
  skuId: string;
  /** Bought as another spec than the WeChat line: WeChat's own dropship assignment would pass the bought SKU, so it is left out. */
  specChanged?: boolean;
  title: string;
  quantity: number;
  paidAmount: number;
  deadline?: number;
  /** The buyer agreed to this offer instead of the mapped ones. */
  substituteOfferRef?: number;
}

/**
 * Choose a supplier per line and turn the choice into purchase orders (one per supplier), in one transaction:
 * decisions with every candidate and its component scores, the purchase orders and their lines (Draft, with a
 * fixed outOrderId), the order's transition and the place jobs. Lines that cannot be sourced leave a case.
 */
export class Sourcing {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly consentReminderMs = 4 * 3_600_000,
    private readonly offerStaleMs = 24 * 3_600_000,
  ) {}

  handler = async (p: { shopOrderId: number }): Promise<void> => {
    await this.source(p.shopOrderId);
  };

  async source(shopOrderId: number): Promise<string> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const order = await findById(trx, 'shop_orders', shopOrderId);
      if (!order || order.state !== 'Confirmed') return order?.state ?? 'missing';
      // A shop whose catalogue is not set up yet (no mappings at all) keeps its orders Confirmed: intake and
      // alerts work on their own, and no case is opened for every order.
      const anyMapping = (await aMapping(trx, order.shop_id, 1)).rows[0];
      if (!anyMapping) return 'not-configured';
      // Lines a live supplier order already covers (sourcing again after a consent or a review) are never ordered twice.
      const covered = new Set((await coveredLines(trx, shopOrderId, 'Cancelled', 'Shadowed')).rows.map((r) => r.shop_order_line_no));
      const lines = (await loadLinesToSource(trx, shopOrderId)).filter((l) => l.quantity > 0 && !covered.has(l.lineNo));
      if (!lines.length) {
        // Every line still wanted is with a supplier already (the others were refunded, or settled in review): the
        // order rejoins its supplier orders instead of staying Confirmed (and being watched as never placed).
        if (covered.size) await rejoinSupplierOrders(trx, shopOrderId, now);
        return 'nothing-to-source';
      }
      const result = await this.sourceLines(trx, order.shop_id, shopOrderId, lines, await loadRequests(trx, shopOrderId), [], now);
      if (result.blocked) {
        await transitionIfAllowed(
          trx,
          {
            entity: 'shop_order',
            id: shopOrderId,
            to: result.blocked.awaitingBuyer ? 'AwaitingBuyer' : 'NeedsReview',
            expectFrom: 'Confirmed',
            event: 'sourcing.blocked',
            actor: 'system:sourcing',
            note: result.blocked.message,
          },
          now,
        );
        return 'blocked';
      }
      const t = await applyTransition(
        trx,
        {
          entity: 'shop_order',
          id: shopOrderId,
          to: 'Sourced',
          expectFrom: 'Confirmed',
          event: 'order.sourced',
          actor: 'system:sourcing',
          note: result.reasons.join('；'),
          jobs: result.poIds.map(placeJob),
        },
        now,
      );
      // Another run sourced it meanwhile (PostgreSQL, two jobs for one order): roll back these purchase orders.
      if (!t.ok) throw new Error(`sourcing of order ${shopOrderId} lost a race: ${t.reason}`);
      return 'sourced';
    });
  }

  /**
   * Score and group lines; used for the first sourcing and again when a supplier turns out unable to fulfil
   * (excluded suppliers). Returns the new purchase-order ids, or what blocked.
   */
  async sourceLines(
    trx: Transaction<Database>,
    shopId: number,
    shopOrderId: number,
    lines: LineToSource[],
    requests: SpecialRequests,
    excluded: number[],
    now: number,
  ) {
    const histories = await this.histories(trx, shopId);
    const weights = await loadWeights(trx, shopId);
    // A date the buyer asked for is checked with the transit to their province (read only then: most orders ask none).
    const province =
      requests.deliveryBy !== undefined && requests.deliveryDate
        ? provinceOf((await getById(trx, 'shop_orders', shopOrderId)).address) || undefined
        : undefined;
    const chosen = new Map<number, { candidate: Candidate; line: LineToSource; scored: ScoredCandidate }[]>();
    const reasons: string[] = [];
    for (const line of lines) {
      const override = (await overrideOf(trx, shopOrderId, line.lineNo)).rows[0];
      const forced = override ? (JSON.parse(override.chosen!) as { supplierId: number }).supplierId : undefined;
      const candidates = (await this.candidates(trx, shopId, line))
        .filter((c) => (forced !== undefined ? c.supplierId === forced : !excluded.includes(c.supplierId)))
        .map((c) => ({ ...c, history: histories.get(c.supplierId) ?? { orders: 0, problems: 0 } }));
      if (candidates.length === 0) {
        const kind = excluded.length ? 'OUT_OF_STOCK' : 'UNMAPPED';
        const message = excluded.length ? `“${line.title}”所有供应商都无法供货` : `商品“${line.title}”(SKU ${line.skuId}) 未关联供应商`;
        const stored = await orderLine(trx, shopOrderId, line.lineNo);
        const suggestions = kind === 'UNMAPPED' ? await suggestOffers(trx, { title: line.title, skuAttrs: stored?.sku_attrs ?? '[]' }) : [];
        await openCase(
          trx,
          {
            kind,
            shopOrderId,
            message,
            data: { lineNo: line.lineNo, productId: line.productId, skuId: line.skuId, suggestions },
            dedupKey: `${kind}:${shopOrderId}:${line.lineNo}`,
          },
          now,
        );
        await this.recordDecision(trx, shopOrderId, line.lineNo, undefined, [], message, now);
        return { blocked: { message, awaitingBuyer: false }, poIds: [], reasons };
      }
      const ranked = scoreCandidates(
        { quantity: line.quantity, paidAmount: line.paidAmount, deadline: line.deadline, requests, province },
        candidates,
        Math.floor(now / 1000),
        weights,
      );
      const byKey = new Map(candidates.map((c) => [c.key, c]));
      // A person's choice stands even where Daifa saw a blocker (they may know better); the preview still checks.
      if (forced !== undefined) ranked.forEach((r) => Object.assign(r, { feasible: true }));
      const reason =
        forced !== undefined ? override!.reason : explainChoice(ranked, new Map(candidates.map((c) => [c.key, c.history])), requests);
      const best = ranked[0]!;
      await this.recordDecision(trx, shopOrderId, line.lineNo, best.feasible ? best : undefined, ranked, reason, now);
      if (!best.feasible) {
        // Only the buyer's special requests stand in the way (a named courier, a delivery date): ask the buyer
        // whether the best supplier that misses only those will do; otherwise it is a stock problem.
        const requestOnly = (r: ScoredCandidate) => r.blockerKinds.length > 0 && r.blockerKinds.every((k) => REQUEST_BLOCKERS.includes(k));
        const alternative = ranked.find(requestOnly);
        const kind = alternative ? 'SPECIAL_REQUEST_CONSENT' : 'OUT_OF_STOCK';
        // What the buyer gives up by agreeing: consent waives exactly these requests.
        const waive = alternative ? [...new Set(alternative.blockerKinds)] : undefined;
        const caseId = await openCase(
          trx,
          {
            kind,
            shopOrderId,
            message: reason,
            data: { lineNo: line.lineNo, candidates: ranked.map((r) => ({ supplier: r.supplierName, blockers: r.blockers })), waive },
            dedupKey: `${kind}:${shopOrderId}:${line.lineNo}`,
          },
          now,
        );
        if (alternative && caseId !== undefined) {
          const order = await getById(trx, 'shop_orders', shopOrderId);
          await this.notifier.raise(trx, {
            event: 'buyer_consent_needed',
            shopId,
            subject: `${caseId}:0`,
            data: {
              orderId: order.wx_order_id,
              detail: `${reason}。建议询问买家是否接受 ${alternative.supplierName}：${alternative.blockers.join('，')}`,
            },
          });
          await enqueue(trx, consentReminderJob(caseId, this.consentReminderMs), now);
        }
        return { blocked: { message: reason, awaitingBuyer: alternative !== undefined }, poIds: [], reasons };
      }
      reasons.push(`#${line.lineNo} ${reason}`);
      const c = byKey.get(best.key)!;
      chosen.set(c.supplierId, [...(chosen.get(c.supplierId) ?? []), { candidate: c, line, scored: best }]);
    }
    const poIds: number[] = [];
    const existing = (await posCount(trx, shopOrderId)).rows[0];
    let seq = Number(existing?.n ?? 0);
    for (const [supplierId, picks] of chosen) {
      const supplier = await getById(trx, 'suppliers', supplierId);
      const freight = Math.max(...picks.map((p) => p.candidate.freight));
      const goods = picks.reduce(
        (s, p) => s + p.candidate.parts.reduce((x, part) => x + part.unitPrice * part.quantityPerUnit * p.line.quantity, 0),
        0,
      );
      seq++;
      // The idempotency key sent as 1688 outOrderId: fixed before any call, never regenerated on retry.
      const outOrderId = `DF${shopOrderId}N${seq}`;
      const inserted = await insertPurchaseOrder(trx, {
        shop_order_id: shopOrderId,
        supplier_id: supplierId,
        route: supplier.kind,
        state: 'Draft',
        out_order_id: outOrderId,
        expected_amount: goods + freight,
        message: describeForSupplier(requests),
        excluded_suppliers: JSON.stringify(excluded),
        attempt: 0,
        shadow: 0,
        created_at: now,
        updated_at: now,
        version: 0,
      });
      const po = rowOrThrow(inserted.rows[0], 'purchase_orders', outOrderId);
      for (const p of picks) {
        for (const part of p.candidate.parts) {
          await insertPoLine(trx, {
            purchase_order_id: po.id,
            shop_order_line_no: p.line.lineNo,
            offer_ref: part.offerRef,
            offer_id: part.offerId,
            spec_id: part.specId,
            title: part.title,
            quantity: part.quantityPerUnit * p.line.quantity,
            unit_price: part.unitPrice,
          });
        }
      }
      await recordInitialState(
        trx,
        { entity: 'purchase_order', id: po.id, to: 'Draft', event: 'po.drafted', actor: 'system:sourcing', shopOrderId },
        now,
      );
      poIds.push(po.id);
    }
    return { blocked: undefined, poIds, reasons };
  }

  private async candidates(trx: Transaction<Database>, shopId: number, line: LineToSource): Promise<Omit<Candidate, 'history'>[]> {
    const rows = line.substituteOfferRef
      ? // The substitute the buyer agreed to, one for one: the only candidate for this line.
        (await substituteOffer(trx, line.substituteOfferRef)).map((r) => ({
          ...r,
          mappingId: -r.offerRef,
          quantity_per_unit: 1,
          bundle_key: null,
          priority: 0,
        }))
      : (await mappedOffers(trx, shopId, line.productId, line.skuId)).rows.filter(
          (r) => !(line.specChanged && routeTraits(r.kind).handsOverBoughtSku),
        );
    // A bundle (one shop SKU = several supplier SKUs) is one candidate made of several parts from one supplier.
    const groups = new Map<string, typeof rows>();
    for (const r of rows) {
      const key = r.bundle_key ? `b:${r.supplierId}:${r.bundle_key}` : `m:${r.mappingId}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return [...groups].map(([key, parts]) => {
      const f = parts[0]!;
      return {
        key,
        supplierId: f.supplierId,
        supplierName: f.name,
        kind: f.kind,
        creditLevel: f.credit_level,
        couriers: JSON.parse(f.couriers),
        leadTimeHours: Math.max(...parts.map((p) => p.lead_time_hours)),
        freight: Math.max(...parts.map((p) => p.freight)),
        priority: f.priority,
        parts: parts.map((p) => ({
          offerRef: p.offerRef,
          offerId: p.offer_id,
          specId: p.spec_id,
          title: p.title,
          unitPrice: p.unit_price,
          quantityPerUnit: p.quantity_per_unit,
          stock: p.stock,
          moq: p.moq,
          stale: this.clock.now() - p.refreshed_at > this.offerStaleMs,
        })),
      };
    });
  }

  /** Per shop, for a minute: the history moves slowly and the aggregate reads every purchase order of the shop. */
  private readonly historyCache = new Map<number, { at: number; value: Map<number, SupplierHistory> }>();

  /** This merchant's own history with each supplier: orders placed and orders that went wrong. */
  private async histories(trx: Transaction<Database>, shopId: number): Promise<Map<number, SupplierHistory>> {
    const now = this.clock.now();
    const cached = this.historyCache.get(shopId);
    if (cached && now - cached.at < 60_000) return cached.value;
    const value = await this.readHistories(trx, shopId);
    this.historyCache.set(shopId, { at: now, value });
    return value;
  }

  /** Each supplier's record with this merchant (see `supplierRecords`). */
  async readHistories(trx: Kysely<Database>, shopId: number): Promise<Map<number, SupplierHistory>> {
    return supplierRecords(trx, shopId, this.clock.now());
  }

  private async recordDecision(
    trx: Transaction<Database>,
    shopOrderId: number,
    lineNo: number,
    chosen: ScoredCandidate | undefined,
    ranked: ScoredCandidate[],
    reason: string,
    now: number,
  ) {
    await insertDecision(trx, {
      shop_order_id: shopOrderId,
      line_no: lineNo,
      chosen: chosen ? JSON.stringify(chosen) : null,
      candidates: JSON.stringify(ranked),
      reason,
      created_at: now,
    });
  }
}

/** Confirmed → Sourced → Purchasing (→ Fulfilling when every supplier order is paid), as the supplier orders already are. */
async function rejoinSupplierOrders(trx: Transaction<Database>, shopOrderId: number, now: number): Promise<void> {
  const t = await applyTransition(
    trx,
    {
      entity: 'shop_order',
      id: shopOrderId,
      to: 'Sourced',
      expectFrom: 'Confirmed',
      event: 'order.sourced',
      actor: 'system:sourcing',
      note: '其余商品已在供应商处',
    },
    now,
  );
  if (!t.ok) return;
  await advanceWhenAllPlaced(trx, shopOrderId, now);
  const unpaid = await anyUnpaidPo(trx, shopOrderId);
  if (!unpaid)
    await transitionIfAllowed(
      trx,
      {
        entity: 'shop_order',
        id: shopOrderId,
        to: 'Fulfilling',
        expectFrom: 'Purchasing',
        event: 'order.suppliers_paid',
        actor: 'system:sourcing',
      },
      now,
    );
  // Parcels already shipped: delivery sync brings the order to (Partially)Shipped.
  await enqueue(trx, deliverJob(shopOrderId), now);
}
