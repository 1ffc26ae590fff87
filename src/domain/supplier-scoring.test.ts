import { describe, expect, it } from 'vitest';
import { validateLifecycle } from './lifecycle.js';
import { caseLifecycle, purchaseOrderLifecycle } from './purchase-order.lifecycle.js';
import { emptyRequests } from './special-requests.js';
import {
  REQUEST_BLOCKERS,
  explainChoice,
  reliabilityOf,
  scoreCandidates,
  type Candidate,
  type SupplierHistory,
} from './supplier-scoring.js';

const NOW = 1_800_000_000;
const cand = (key: string, o: Partial<Candidate> & { price?: number; stock?: number; moq?: number } = {}): Candidate => ({
  key,
  supplierId: key.charCodeAt(0),
  supplierName: `供应商${key}`,
  kind: '1688',
  creditLevel: 'L3',
  couriers: ['ZTO', 'YTO'],
  leadTimeHours: 24,
  freight: 0,
  priority: 0,
  history: { orders: 0, problems: 0 },
  parts: [
    {
      offerRef: 1,
      offerId: '1',
      specId: 's',
      title: 't',
      unitPrice: o.price ?? 1000,
      quantityPerUnit: 1,
      stock: o.stock ?? 100,
      moq: o.moq ?? 1,
    },
  ],
  ...o,
});
const need = (o: Partial<{ quantity: number; paidAmount: number; deadline: number }> = {}) => ({
  quantity: 2,
  paidAmount: 5000,
  requests: emptyRequests(),
  ...o,
});

describe('supplier selection', () => {
  it('lifecycle tables for purchase orders and cases are valid', () => {
    expect(validateLifecycle(purchaseOrderLifecycle)).toEqual([]);
    expect(validateLifecycle(caseLifecycle)).toEqual([]);
  });

  it('cost and margin: landed cost = price × quantity × multiplier + freight; the cheaper wins when all else is equal', () => {
    const a = cand('A', { price: 1000, freight: 500 });
    const b = cand('B', { price: 1100, freight: 0 });
    b.parts[0]!.quantityPerUnit = 2; // 1 shop unit = 2 supplier units
    const r = scoreCandidates(need(), [a, b], NOW);
    expect(r.find((x) => x.key === 'A')).toMatchObject({ landedCost: 2500, margin: 2500 });
    expect(r.find((x) => x.key === 'B')).toMatchObject({ landedCost: 4400, margin: 600 });
    expect(r[0]!.key).toBe('A');
  });

  it('stock and MOQ make a candidate infeasible and it ranks after every feasible one', () => {
    const r = scoreCandidates(
      need({ quantity: 3 }),
      [cand('A', { price: 500, stock: 2 }), cand('B', { price: 2000, moq: 5 }), cand('C', { price: 3000 })],
      NOW,
    );
    expect(r.map((x) => x.key)).toEqual(['C', 'A', 'B']);
    expect(r[1]!.blockers[0]).toContain('库存不足');
    expect(r[2]!.blockers[0]).toContain('起批量');
  });

  it('history prior: one lucky order never outranks fifty good ones', () => {
    const lucky: SupplierHistory = { orders: 1, problems: 0, dispatchP80Hours: 6 };
    const proven: SupplierHistory = { orders: 50, problems: 1, dispatchP80Hours: 20 };
    expect(reliabilityOf(lucky)).toBeLessThan(reliabilityOf(proven));
    const r = scoreCandidates(need(), [cand('L', { history: lucky }), cand('P', { history: proven })], NOW);
    expect(r[0]!.key).toBe('P');
    // But a supplier with many problems loses to a newcomer.
    const bad: SupplierHistory = { orders: 40, problems: 20, dispatchP80Hours: 20 };
    expect(scoreCandidates(need(), [cand('N'), cand('X', { history: bad })], NOW)[0]!.key).toBe('N');
  });

  it('special requests: a supplier that cannot ship the named courier is infeasible; refused couriers too', () => {
    const req = { ...emptyRequests(), courier: 'SF' };
    const r = scoreCandidates(
      { ...need(), requests: req },
      [cand('A', { price: 100 }), cand('B', { price: 5000, couriers: ['SF', 'ZTO'] })],
      NOW,
    );
    expect(r[0]!.key).toBe('B');
    expect(r[1]!.blockers).toEqual(['不能发顺丰']);
    const avoid = { ...emptyRequests(), avoidCouriers: ['ZTO', 'YTO'] };
    expect(scoreCandidates({ ...need(), requests: avoid }, [cand('A')], NOW)[0]!.blockers).toEqual(['只有买家拒绝的快递']);
  });

  it("deadline feasibility uses the supplier's own dispatch history", () => {
    const fast: SupplierHistory = { orders: 30, problems: 0, dispatchP80Hours: 10 };
    const slow: SupplierHistory = { orders: 30, problems: 0, dispatchP80Hours: 60 };
    const r = scoreCandidates(
      need({ deadline: NOW + 30 * 3600 }),
      [cand('S', { price: 500, history: slow }), cand('F', { price: 900, history: fast })],
      NOW,
    );
    expect(r[0]!.key).toBe('F');
    expect(r[1]!.feasible).toBe(false);
    expect(r[1]!.blockers[0]).toContain('赶不上发货期限');
  });

  it('a date the buyer asked for: a supplier whose dispatch plus transit misses it is blocked as a request (the buyer may waive it); a later date blocks no one', () => {
    const fast: SupplierHistory = { orders: 30, problems: 0, dispatchP80Hours: 10 };
    const slow: SupplierHistory = { orders: 30, problems: 0, dispatchP80Hours: 60 };
    const in3Days = {
      ...emptyRequests(),
      deliveryDate: { kind: 'relative' as const, days: 3, by: 'before' as const },
      deliveryBy: NOW + 3 * 86_400,
    };
    const r = scoreCandidates(
      { ...need(), requests: in3Days },
      [cand('S', { price: 500, history: slow }), cand('F', { price: 900, history: fast })],
      NOW,
    );
    expect(r.map((x) => [x.key, x.feasible])).toEqual([
      ['F', true],
      ['S', false],
    ]);
    expect(r[1]!.blockerKinds).toEqual(['date']);
    expect(r[1]!.blockers[0]).toBe('预计约5天送达，赶不上买家要求的3天内');
    expect(REQUEST_BLOCKERS).toContain('date');
    const tomorrow = { ...in3Days, deliveryDate: { kind: 'relative' as const, days: 1, by: 'on' as const }, deliveryBy: NOW + 86_400 };
    expect(scoreCandidates({ ...need(), requests: tomorrow }, [cand('F', { history: fast })], NOW)[0]!.blockerKinds).toEqual(['date']);
    expect(
      scoreCandidates({ ...need(), requests: { ...in3Days, deliveryBy: NOW + 30 * 86_400 } }, [cand('S', { history: slow })], NOW)[0]!
        .feasible,
    ).toBe(true);
    // Without the order's time the date cannot be placed: forwarded to the supplier, never a blocker.
    expect(
      scoreCandidates({ ...need(), requests: { ...in3Days, deliveryBy: undefined } }, [cand('S', { history: slow })], NOW)[0]!.feasible,
    ).toBe(true);
  });

  it('transit time is learned from the supplier\'s signed parcels: an overnight seller can promise "明天", the 48 h prior cannot; a few parcels barely move the prior', () => {
    const quick: SupplierHistory = { orders: 30, problems: 0, dispatched: 30, dispatchP80Hours: 2 };
    const tomorrow = {
      ...emptyRequests(),
      deliveryDate: { kind: 'relative' as const, days: 1, by: 'on' as const },
      deliveryBy: NOW + 30 * 3600,
    };
    const unknown = scoreCandidates({ ...need(), requests: tomorrow }, [cand('Q', { history: quick })], NOW)[0]!;
    expect(unknown.expectedTransitHours).toBe(48);
    expect(unknown.blockers).toEqual(['预计约3天送达，赶不上买家要求的明天']);
    const overnight = scoreCandidates(
      { ...need(), requests: tomorrow },
      [cand('Q', { history: { ...quick, delivered: 30, transitP80Hours: 14 } })],
      NOW,
    )[0]!;
    expect(overnight.expectedTransitHours).toBeCloseTo((30 * 14 + 5 * 48) / 35, 2);
    expect(overnight.feasible).toBe(true);
    // 6.9 h to dispatch + 18.9 h in transit: the explanation says when, and that it is in time.
    expect(explainChoice([overnight], new Map(), tomorrow)).toContain('预计约2天送达，赶得上买家要求的明天');
    expect(explainChoice([overnight], new Map())).not.toContain('送达');
    // Two quick parcels are luck, not a record.
    const lucky = scoreCandidates(
      { ...need(), requests: tomorrow },
      [cand('Q', { history: { ...quick, delivered: 2, transitP80Hours: 10 } })],
      NOW,
    )[0]!;
    expect(lucky.expectedTransitHours).toBeCloseTo((2 * 10 + 5 * 48) / 7, 2);
    expect(lucky.blockerKinds).toEqual(['date']);
    // A slow route is learned too: four days in transit makes even "3天内" late.
    const remote = scoreCandidates(
      { ...need(), requests: { ...tomorrow, deliveryBy: NOW + 3 * 86_400 } },
      [cand('Q', { history: { ...quick, delivered: 40, transitP80Hours: 96 } })],
      NOW,
    )[0]!;
    expect(remote.blockerKinds).toEqual(['date']);
    expect(
      scoreCandidates({ ...need(), requests: { ...tomorrow, deliveryBy: NOW + 3 * 86_400 } }, [cand('Q', { history: quick })], NOW)[0]!
        .feasible,
    ).toBe(true);
  });

  it("偏远地区: transit to a remote province is never assumed shorter than its usual days, whatever the record elsewhere; the supplier's own parcels there say better", () => {
    const overnight: SupplierHistory = { orders: 30, problems: 0, dispatched: 30, dispatchP80Hours: 2, delivered: 30, transitP80Hours: 14 };
    const national = (30 * 14 + 5 * 48) / 35;
    const inDays = (days: number) => ({
      ...emptyRequests(),
      deliveryDate: { kind: 'relative' as const, days, by: 'before' as const },
      deliveryBy: NOW + days * 86_400,
    });
    const score = (h: SupplierHistory, province: string | undefined, days: number) =>
      scoreCandidates({ ...need(), requests: inDays(days), province }, [cand('Q', { history: h })], NOW)[0]!;
    expect(score(overnight, '浙江省', 2).expectedTransitHours).toBeCloseTo(national, 2);
    expect(score(overnight, undefined, 2).expectedTransitHours).toBeCloseTo(national, 2);
    expect(score(overnight, '新疆维吾尔自治区', 3).expectedTransitHours).toBe(120);
    expect(score(overnight, '新疆维吾尔自治区', 3).blockerKinds).toEqual(['date']);
    expect(score(overnight, '青海省', 5).expectedTransitHours).toBe(72);
    expect(score(overnight, '青海省', 5).feasible).toBe(true);
    // Ten parcels to Xinjiang signed within 60 h: the record there counts, weighed against the 120 h.
    const there = { ...overnight, transitByProvince: { 新疆维吾尔自治区: { delivered: 10, p80Hours: 60 } } };
    expect(score(there, '新疆维吾尔自治区', 4).expectedTransitHours).toBeCloseTo((10 * 60 + 5 * 120) / 15, 2);
    expect(score(there, '新疆维吾尔自治区', 4).feasible).toBe(true);
    // A slow route to a near province is learned the same way (slower than the national record).
    const slowThere = { ...overnight, transitByProvince: { 浙江省: { delivered: 20, p80Hours: 70 } } };
    expect(score(slowThere, '浙江省', 2).expectedTransitHours).toBeCloseTo((20 * 70 + 5 * national) / 25, 2);
  });

  it('dispatch speed is weighed by the shipments observed, not the orders placed', () => {
    // 40 orders, of which only 2 shipped yet in 4 h: two observations barely move the 36 h prior.
    const few: SupplierHistory = { orders: 40, problems: 0, dispatched: 2, dispatchP80Hours: 4 };
    const r = scoreCandidates(need(), [cand('A', { history: few })], NOW)[0]!;
    expect(r.expectedDispatchHours).toBeCloseTo((2 * 4 + 5 * 36) / 7, 2);
  });

  it('explains the choice in one Chinese line against the runner-up', () => {
    const histories = new Map<string, SupplierHistory>([
      ['B', { orders: 37, problems: 0, dispatchP80Hours: 14.4 }],
      ['A', { orders: 10, problems: 2, dispatchP80Hours: 24 }],
    ]);
    const ranked = scoreCandidates(
      need(),
      [cand('A', { price: 1000, history: histories.get('A')! }), cand('B', { price: 1060, history: histories.get('B')! })],
      NOW,
    );
    expect(ranked[0]!.key).toBe('B');
    const reason = explainChoice(ranked, histories);
    expect(reason).toMatch(/^选择供应商B：近37单无问题，发货快\d\.\d天，贵¥1\.20$/);
    expect(explainChoice(scoreCandidates(need({ quantity: 9 }), [cand('A', { stock: 1 })], NOW), new Map())).toContain('无可行供应商');
  });
});

describe('stale catalogue data', () => {
  it('is flagged on the candidate', () => {
    const c = cand('A');
    c.parts[0]!.stale = true;
    expect(scoreCandidates(need(), [c, cand('B')], NOW).find((x) => x.key === 'A')!.stale).toBe(true);
  });
});
