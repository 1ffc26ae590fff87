import { describe, expect, it } from 'vitest';
import { handlerTable, job, JOB_KINDS, keyOf, payJob, type Handlers } from './catalogue.js';
import { PermanentJobError } from './worker.js';

const ctx = { job: {} as never, workerId: 'w' };
const allHandlers = (seen: unknown[] = []): Handlers =>
  Object.fromEntries(JOB_KINDS.map((k) => [k, async (p: unknown) => void seen.push([k, p])])) as unknown as Handlers;

describe('the job catalogue', () => {
  it('builds each job with its singleton key, attempts and variant from the declaration', () => {
    expect(job('po.place', { purchaseOrderId: 7 })).toEqual({
      kind: 'po.place',
      payload: { purchaseOrderId: 7 },
      singletonKey: 'po.place:7',
      maxAttempts: 12,
    });
    expect(payJob(7, { delayMs: 5, variant: 'nextday' })).toEqual({
      kind: 'po.pay',
      payload: { purchaseOrderId: 7, check: 0 },
      singletonKey: 'po.pay:7:nextday',
      maxAttempts: 10,
      delayMs: 5,
    });
    expect(keyOf('order.sync', { shopId: 1, orderId: '3700000000000000001', source: 'push' })).toBe('order.sync:1:3700000000000000001');
  });

  it('refuses a payload that does not fit, when the job is built', () => {
    expect(() => job('po.place', { purchaseOrderId: -1 })).toThrow(/purchaseOrderId/);
    expect(() => job('po.unwind', { purchaseOrderId: 1, reason: 'whim' as never })).toThrow(/reason/);
  });

  it('needs exactly one handler per kind: a missing one or one for an unknown kind fails at start-up', () => {
    expect(() => handlerTable(allHandlers())).not.toThrow();
    const { 'po.pay': _gone, ...missing } = allHandlers();
    expect(() => handlerTable(missing as Handlers)).toThrow(/no handler for po\.pay/);
    expect(() => handlerTable({ ...allHandlers(), 'po.teleport': async () => undefined } as Handlers)).toThrow(/no such kind po\.teleport/);
  });

  it('checks a stored payload before its handler sees it (defaults filled in); a bad one is dead at once', async () => {
    const seen: unknown[] = [];
    const table = handlerTable(allHandlers(seen));
    await table.get('po.pay')!({ purchaseOrderId: 3 }, ctx);
    expect(seen).toEqual([['po.pay', { purchaseOrderId: 3, check: 0 }]]);
    await expect(table.get('order.source')!({ shopOrderId: 'x' }, ctx)).rejects.toBeInstanceOf(PermanentJobError);
    expect(seen).toHaveLength(1);
  });
});
