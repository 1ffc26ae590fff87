import { describe, expect, it } from 'vitest';
import { TurnBatcher } from './turn-batcher.js';

describe('TurnBatcher', () => {
  it('hands what one turn submits to one write, in batches of at most maxBatch, one batch at a time', async () => {
    const batches: number[][] = [];
    let writing = 0;
    let overlapped = false;
    const b = new TurnBatcher<number, number>(async (batch) => {
      overlapped ||= writing > 0;
      writing++;
      batches.push(batch.map((e) => e.item));
      await new Promise((r) => setTimeout(r, 5));
      for (const e of batch) e.resolve(e.item * 10);
      writing--;
    }, 3);
    const first = [1, 2, 3, 4].map((n) => b.submit(n));
    await new Promise((r) => setImmediate(r));
    const later = [5, 6].map((n) => b.submit(n)); // arrives while the first batch is being written
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(overlapped).toBe(false);
  });

  it('a failing write rejects only the callers it had not answered; one it forgot to answer is told so', async () => {
    const b = new TurnBatcher<string, string>(async (batch) => {
      batch[0]!.resolve('ok');
      if (batch.some((e) => e.item === 'boom')) throw new Error('write failed');
    });
    const r = await Promise.allSettled(['a', 'boom', 'c'].map((x) => b.submit(x)));
    expect(r.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as Error).message))).toEqual([
      'ok',
      'write failed',
      'write failed',
    ]);
    const forgetful = new TurnBatcher<string, string>(async (batch) => batch[0]!.resolve('only the first'));
    const r2 = await Promise.allSettled(['x', 'y'].map((x) => forgetful.submit(x)));
    expect(r2[0]).toEqual({ status: 'fulfilled', value: 'only the first' });
    expect(r2[1]!.status).toBe('rejected');
  });
});
