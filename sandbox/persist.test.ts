import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { autosaveSandbox, loadSandboxState, restoreSandbox } from './persist.js';
import { startSandbox, type Sandbox } from './server.js';
import type { Sim1688Order } from './alibaba-1688/simulator.js';

const paidOrder = (orderId: string, extra: Partial<Sim1688Order> = {}): Sim1688Order => ({
  orderId,
  buyerMemberId: 'b',
  sellerMemberId: 's',
  status: 'waitsellersend',
  address: {},
  message: '',
  postFee: 0,
  totalAmount: 100,
  createdAt: Date.now(),
  lines: [{ offerId: 'o', specId: 'x', quantity: 1, price: 100, title: 't', attrs: [] }],
  payments: [{ amount: 100, at: Date.now() - 60_000, tradeId: 't' }],
  shipments: [],
  refunds: [],
  ...extra,
});

describe('sandbox state across restarts', () => {
  const open: Sandbox[] = [];
  afterEach(async () => {
    for (const sb of open.splice(0)) await sb.close();
  });
  const sandbox = async () => {
    const sb = await startSandbox({ push: { enabled: false } });
    open.push(sb);
    return sb;
  };

  it('saves orders and message ids, restores them into the shops registered again, and the sellers carry on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daifa-sbstate-'));
    const file = join(dir, 'data', 'sandbox-state.json'); // a data folder not made yet (PostgreSQL setups)
    const a = await sandbox();
    a.wechat.addShop({ appId: 'wxA', secret: 's' });
    const [wx, refunding] = a.wechat.generate('wxA', { count: 2 });
    refunding!.refundAt = Date.now() - 1_000; // its buyer was to ask for a refund while Daifa was down
    a.alibaba.orders.set('1', paidOrder('1'));
    a.alibaba.orders.set('2', paidOrder('2', { sellerLate: true }));
    a.alibaba.orders.set('3', paidOrder('3', { sellerStockOut: true }));
    a.alibaba.emitRaw('ORDER_BUYER_VIEW_ORDER_PAY', a.alibaba.orders.get('1')!, {}); // no receiver: waits for the pull API
    const seq = a.alibaba.exportState().msgSeq;
    const save = autosaveSandbox(a, file, { intervalMs: 60_000 });
    save.stop();
    expect(JSON.parse(readFileSync(file, 'utf8')).alibaba.orders).toHaveLength(3);

    const b = await sandbox();
    b.wechat.addShop({ appId: 'wxA', secret: 's' });
    Object.assign(b.alibaba.knobs, { autoShipAfterMs: 1, traceStepMs: null });
    const { state } = loadSandboxState(file);
    expect(restoreSandbox(b, state!)).toEqual({ wechatOrders: 2, alibabaOrders: 3 });
    expect(b.wechat.shops.get('wxA')!.orders.get(wx!.orderId)).toEqual(a.wechat.shops.get('wxA')!.orders.get(wx!.orderId));
    expect(b.wechat.shops.get('wxA')!.username).toBe(a.wechat.shops.get('wxA')!.username);
    // Paid an hour ago: its seller ships at once; the late seller and the one out of stock do not.
    await new Promise((r) => setTimeout(r, 50));
    expect([...b.alibaba.orders.values()].map((o) => [o.orderId, o.status])).toEqual([
      ['1', 'waitbuyerreceive'],
      ['2', 'waitsellersend'],
      ['3', 'waitsellersend'],
    ]);
    // The buyer's refund that fell due while it was down comes at once, and only once.
    const refunded = b.wechat.shops.get('wxA')!.orders.get(refunding!.orderId)!;
    expect([refunded.status, refunded.refundAt, b.wechat.shops.get('wxA')!.orders.get(wx!.orderId)!.status]).toEqual([200, undefined, 20]);
    // The undelivered message is still there to pull, and ids go on after the saved ones.
    expect(b.alibaba.messages.map((m) => m.type)).toContain('ORDER_BUYER_VIEW_ORDER_PAY');
    expect(
      Math.min(...b.alibaba.messages.filter((m) => m.type !== 'ORDER_BUYER_VIEW_ORDER_PAY').map((m) => m.msgId)),
    ).toBeGreaterThanOrEqual(seq);
  });

  it('an unreadable state file is moved aside, never deleted, and the sandbox starts empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'daifa-sbstate-'));
    const file = join(dir, 'sandbox-state.json');
    expect(loadSandboxState(file)).toEqual({});
    writeFileSync(file, '{"version":1,"wechat":');
    const r = loadSandboxState(file);
    expect(r.state).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(r.movedAside!, 'utf8')).toBe('{"version":1,"wechat":');
    expect(readdirSync(dir)).toEqual([r.movedAside!.slice(dir.length + 1)]);
  });
});
