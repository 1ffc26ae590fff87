import { afterEach, describe, expect, it } from 'vitest';
import { startOrderGenerator } from '../../src/runtime/sandbox-bootstrap.js';
import { count, enableSourcing, startHarness, waitFor, type Harness } from '../helpers/harness.js';

/** The sandbox can rehearse every case in minutes (issue 25, point 10). */
describe('sandbox rehearsal', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a seller out of stock after payment says so (closes the order and refunds it), and Daifa notices and asks a person', async () => {
    h = await startHarness({ alibaba: { autoShipAfterMs: 50, stockOutAfterPayRate: 1, stockOutReportMs: 200 } });
    await enableSourcing(h, { messages: true });
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0, multiLineRate: 0 });
    const sim = await waitFor(async () => [...h!.sandbox.alibaba.orders.values()].find((o) => o.status === 'cancel'), {
      what: 'the seller closed and refunded',
    });
    expect(sim.sellerStockOut).toBe(true);
    expect(sim.refunds.map((r) => r.amount)).toEqual([sim.totalAmount]);
    // Daifa sees the paid order closed by the seller: a case for a person (the refund is checked before re-placing).
    await waitFor(async () => (await count(h!.app, 'cases', ['kind', '=', 'SUPPLIER_CLOSED'])) === 1, { what: 'the closing noticed' });
  });

  it('time made short: new sandbox orders get the ship-by hours the merchant sets', async () => {
    h = await startHarness({ worker: false });
    const g = startOrderGenerator(h.app, h.sandbox, 0);
    try {
      expect(g.controls().shipByHours).toBe(48);
      g.set({ shipByHours: 2 });
      const before = Math.floor(Date.now() / 1000);
      expect(g.generate(1)).toBe(1);
      const o = [...h.sandbox.wechat.shops.get(h.creds.appId)!.orders.values()].pop()!;
      const deadline = o.lines[0]!.deadline;
      expect(deadline - before).toBeGreaterThanOrEqual(2 * 3600 - 5);
      expect(deadline - before).toBeLessThanOrEqual(2 * 3600 + 5);
    } finally {
      g.stop();
    }
  });
});
