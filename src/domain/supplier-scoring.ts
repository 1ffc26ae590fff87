import type { Fen } from './money.js';
import { courierNames, describeDate, type SpecialRequests } from './special-requests.js';

/**
 * Explainable supplier choice for one order line. Pure: every number that decides is returned with the
 * decision, so it can be stored and shown ("选择B：近37单无缺陷，p80发货快0.4天，贵¥1.20").
 */
export interface SupplierHistory {
  /** Purchase orders this merchant placed with the supplier. */
  orders: number;
  /** Orders that went wrong: defects/returns, stock-outs after ordering, supplier cancellations. */
  problems: number;
  /** Observed dispatch latency (hours) p50/p80, when the supplier has shipped for this merchant. */
  dispatchP50Hours?: number;
  dispatchP80Hours?: number;
  /** How many shipments those are (the weight of the observation against the prior; `orders` when absent). */
  dispatched?: number;
  /** Observed transit (hours from the supplier's dispatch to the buyer's signature) p80, over `delivered` parcels. */
  transitP80Hours?: number;
  delivered?: number;
  /** The same per buyer province (the province's name as WeChat gives it), where parcels were signed for there. */
  transitByProvince?: Record<string, { delivered: number; p80Hours: number }>;
}

export interface CandidatePart {
  offerRef: number;
  offerId: string;
  specId: string;
  title: string;
  unitPrice: Fen;
  /** Supplier units per shop unit (quantity multiplier). */
  quantityPerUnit: number;
  stock: number;
  moq: number;
  /** Catalogue data older than the configured age. */
  stale?: boolean;
}

export interface Candidate {
  key: string;
  supplierId: number;
  supplierName: string;
  kind: string;
  creditLevel?: string | null;
  couriers: string[];
  leadTimeHours: number;
  freight: Fen;
  priority: number;
  parts: CandidatePart[];
  history: SupplierHistory;
}

export interface LineNeed {
  quantity: number;
  paidAmount: Fen;
  /** Unix seconds. */
  deadline?: number;
  requests: SpecialRequests;
  /** The buyer's province: transit to remote regions is longer (read only when the buyer asked for a date). */
  province?: string;
}

export interface ScoringWeights {
  cost: number;
  reliability: number;
  speed: number;
  reputation: number;
}

// Problems (defects, stock-outs, cancellations) cost refunds and reviews: reliability outweighs raw speed.
export const DEFAULT_WEIGHTS: ScoringWeights = { cost: 0.4, reliability: 0.35, speed: 0.15, reputation: 0.1 };

/** Beta prior for reliability (mean 0.8, worth 10 orders) and a 36 h dispatch prior worth 5 orders. */
export const PRIOR = { good: 8, bad: 2, dispatchHours: 36, dispatchWeight: 5 };

export type BlockerKind = 'stock' | 'moq' | 'courier' | 'deadline' | 'date';

/** Blockers that only a buyer's special request raises: the buyer may accept the alternative (consent). */
export const REQUEST_BLOCKERS: readonly BlockerKind[] = ['courier', 'date'];

/**
 * Hours a parcel takes from dispatch to the buyer, for a date the buyer asked for (domestic express, most routes
 * two days) — the prior, worth 5 parcels, until this merchant's own signed parcels from the supplier say better
 * (a seller in the buyers' region may deliver overnight; a remote one may need four days). The date check asks
 * the buyer only when even the fastest supplier would be later.
 */
export const TRANSIT_HOURS = 48;
const TRANSIT_PRIOR_WEIGHT = 5;

/**
 * 偏远地区: domestic express takes longer to these provinces (commonly 4–6 days to Xinjiang and Tibet, 3 to the
 * others), whatever a supplier's record to the rest of the country says. An estimate, used until the supplier's own
 * parcels to the province say better.
 */
const REMOTE_TRANSIT_HOURS: [prefix: string, hours: number][] = [
  ['新疆', 120],
  ['西藏', 120],
  ['青海', 72],
  ['内蒙古', 72],
  ['宁夏', 72],
  ['甘肃', 72],
  ['海南', 72],
];

export interface ScoredCandidate {
  key: string;
  supplierId: number;
  supplierName: string;
  feasible: boolean;
  /** Why not feasible, in Chinese. */
  blockers: string[];
  /** The same, as kinds: stock | moq | courier | deadline. */
  blockerKinds: BlockerKind[];
  landedCost: Fen;
  margin: Fen;
  reliability: number;
  expectedDispatchHours: number;
  /** Dispatch to the buyer's signature, from the supplier's signed parcels and the prior. */
  expectedTransitHours: number;
  reputation: number;
  components: { cost: number; reliability: number; speed: number; reputation: number };
  score: number;
  /** Price or stock not refreshed recently: shown to the person reading the decision. */
  stale: boolean;
}

const CREDIT: Record<string, number> = { L1: 0.55, L2: 0.65, L3: 0.75, L4: 0.85, L5: 0.95 };

export function reliabilityOf(h: SupplierHistory): number {
  return (Math.max(0, h.orders - h.problems) + PRIOR.good) / (h.orders + PRIOR.good + PRIOR.bad);
}

/** A record of `n` observations (their p80 `observed`) weighed against a prior worth `weight` observations. */
function weighed(n: number, observed: number | undefined, prior: number, weight: number): number {
  return observed === undefined || n === 0 ? prior : (n * observed + weight * prior) / (n + weight);
}

export function expectedDispatchHours(h: SupplierHistory, leadTimeHours: number): number {
  return weighed(h.dispatched ?? h.orders, h.dispatchP80Hours, Math.max(leadTimeHours, PRIOR.dispatchHours), PRIOR.dispatchWeight);
}

/**
 * Expected transit from this supplier (to the buyer's province, when known): its record across the country,
 * weighed against the 48 h prior; never less than a remote province's usual time; then its own record to that
 * province, weighed against that.
 */
export function expectedTransitHours(h: SupplierHistory, province?: string): number {
  const national = weighed(h.delivered ?? 0, h.transitP80Hours, TRANSIT_HOURS, TRANSIT_PRIOR_WEIGHT);
  if (!province) return national;
  const remote = REMOTE_TRANSIT_HOURS.find(([prefix]) => province.startsWith(prefix))?.[1] ?? 0;
  const local = h.transitByProvince?.[province];
  return weighed(local?.delivered ?? 0, local?.p80Hours, Math.max(national, remote), TRANSIT_PRIOR_WEIGHT);
}

export function scoreCandidates(
  need: LineNeed,
  candidates: Candidate[],
  nowS: number,
  weights: ScoringWeights = DEFAULT_WEIGHTS,
): ScoredCandidate[] {
  const base = candidates.map((c) => {
    const blockers: string[] = [];
    const blockerKinds: BlockerKind[] = [];
    const block = (kind: BlockerKind, text: string) => {
      blockers.push(text);
      blockerKinds.push(kind);
    };
    let goods = 0;
    for (const p of c.parts) {
      const units = p.quantityPerUnit * need.quantity;
      goods += p.unitPrice * units;
      if (p.stock < units) block('stock', `库存不足（需${units}，有${p.stock}）`);
      if (units < p.moq) block('moq', `低于起批量${p.moq}`);
    }
    const r = need.requests;
    if (r.courier && !c.couriers.includes(r.courier)) block('courier', `不能发${courierNames[r.courier] ?? r.courier}`);
    if (r.avoidCouriers.length && c.couriers.length && c.couriers.every((x) => r.avoidCouriers.includes(x)))
      block('courier', '只有买家拒绝的快递');
    const dispatch = expectedDispatchHours(c.history, c.leadTimeHours);
    if (need.deadline !== undefined && nowS + dispatch * 3600 > need.deadline)
      block('deadline', `预计${dispatch.toFixed(0)}小时发货，赶不上发货期限`);
    const transit = expectedTransitHours(c.history, need.province);
    if (r.deliveryBy !== undefined && r.deliveryDate && nowS + (dispatch + transit) * 3600 > r.deliveryBy)
      block('date', `预计约${Math.ceil((dispatch + transit) / 24)}天送达，赶不上买家要求的${describeDate(r.deliveryDate)}`);
    const landedCost = goods + c.freight;
    return {
      c,
      blockers,
      blockerKinds,
      landedCost,
      dispatch,
      transit,
      reliability: reliabilityOf(c.history),
      reputation: c.creditLevel ? (CREDIT[c.creditLevel] ?? 0.6) : 0.6,
    };
  });
  const cheapest = Math.min(...base.map((b) => b.landedCost));
  const fastest = Math.min(...base.map((b) => b.dispatch));
  return base
    .map((b) => {
      const components = {
        cost: b.landedCost > 0 ? cheapest / b.landedCost : 1,
        reliability: b.reliability,
        speed: b.dispatch > 0 ? fastest / b.dispatch : 1,
        reputation: b.reputation,
      };
      const score =
        weights.cost * components.cost +
        weights.reliability * components.reliability +
        weights.speed * components.speed +
        weights.reputation * components.reputation;
      return {
        key: b.c.key,
        supplierId: b.c.supplierId,
        supplierName: b.c.supplierName,
        feasible: b.blockers.length === 0,
        blockers: b.blockers,
        blockerKinds: b.blockerKinds,
        landedCost: b.landedCost,
        margin: need.paidAmount - b.landedCost,
        reliability: round(b.reliability),
        expectedDispatchHours: round(b.dispatch),
        expectedTransitHours: round(b.transit),
        reputation: b.reputation,
        components: {
          cost: round(components.cost),
          reliability: round(components.reliability),
          speed: round(components.speed),
          reputation: round(components.reputation),
        },
        score: round(score + b.c.priority * 0.001),
        stale: b.c.parts.some((p) => p.stale === true),
      };
    })
    .sort((a, b) => Number(b.feasible) - Number(a.feasible) || b.score - a.score);
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * One Chinese line explaining the choice against the runner-up; with a date the buyer asked for, also when the
 * parcel is expected (dispatch plus transit, from the supplier's record) — the reason the date can be met.
 */
export function explainChoice(ranked: ScoredCandidate[], histories: Map<string, SupplierHistory>, requests?: SpecialRequests): string {
  const chosen = ranked[0];
  if (!chosen) return '没有可用的供应商';
  if (!chosen.feasible) return `无可行供应商：${ranked.map((r) => `${r.supplierName}（${r.blockers.join('，')}）`).join('；')}`;
  const h = histories.get(chosen.key);
  const parts: string[] = [];
  if (h && h.orders > 0) parts.push(h.problems === 0 ? `近${h.orders}单无问题` : `近${h.orders}单有${h.problems}单问题`);
  else parts.push('新供应商（按先验估计）');
  const runner = ranked.find((r) => r !== chosen && r.feasible) ?? ranked[1];
  if (runner) {
    const dh = (runner.expectedDispatchHours - chosen.expectedDispatchHours) / 24;
    if (Math.abs(dh) >= 0.05) parts.push(`发货${dh > 0 ? '快' : '慢'}${Math.abs(dh).toFixed(1)}天`);
    const dc = chosen.landedCost - runner.landedCost;
    if (dc !== 0) parts.push(`${dc > 0 ? '贵' : '便宜'}¥${(Math.abs(dc) / 100).toFixed(2)}`);
    if (!runner.feasible) parts.push(`${runner.supplierName}不可用（${runner.blockers[0]}）`);
  }
  if (requests?.deliveryDate && requests.deliveryBy !== undefined) {
    const hours = chosen.expectedDispatchHours + chosen.expectedTransitHours;
    parts.push(
      `预计${hours < 24 ? `${Math.ceil(hours)}小时` : `约${Math.ceil(hours / 24)}天`}送达，赶得上买家要求的${describeDate(requests.deliveryDate)}`,
    );
  }
  if (chosen.margin < 0) parts.push(`注意：亏损¥${(-chosen.margin / 100).toFixed(2)}`);
  return `选择${chosen.supplierName}：${parts.join('，')}`;
}
