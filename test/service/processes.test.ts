import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdaptiveRateLimiter } from '../../src/lib/rate-limiter.js';
import { liveProcesses, ProcessRegistry, STALE_MS } from '../../src/runtime/process-registry.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

describe('Daifa processes share the API rate limits', () => {
  let t: TestDb;
  const clock = {
    t: 1_790_000_000_000,
    now() {
      return this.t;
    },
  };
  const log = pino({ level: 'silent' });
  beforeEach(async () => {
    t = await createTestDb();
  });
  afterEach(() => t.cleanup());

  it('each live process paces at its share; a stopped or silent one gives its share back', async () => {
    const shares = [{ fraction: 1 }, { fraction: 1 }, { fraction: 1 }];
    const [a, b, c] = shares.map((s, i) => new ProcessRegistry(t.db, clock, s, log, { host: `machine-${i}` }));
    const limiter1688 = new AdaptiveRateLimiter(30, undefined, shares[0]);
    await a!.start('serve');
    await b!.start('worker');
    expect(await a!.beat('serve')).toBe(2);
    expect(shares[0]!.fraction).toBe(0.5);
    expect(limiter1688.currentRate).toBe(15);
    await c!.start('worker');
    await a!.beat('serve');
    expect(limiter1688.currentRate).toBe(10);
    expect((await liveProcesses(t.db, clock.now())).map((p) => p.role).sort()).toEqual(['serve', 'worker', 'worker']);

    await c!.stop(); // a clean stop removes its row at once
    await a!.beat('serve');
    expect(shares[0]!.fraction).toBe(0.5);

    clock.t += STALE_MS + 1; // b died without a word: after the stale window it no longer counts
    await a!.beat('serve');
    expect(shares[0]!.fraction).toBe(1);
    expect(limiter1688.currentRate).toBe(30);
    await a!.stop();
    await b!.stop();
  });

  it('a process of this machine that was killed stops counting as soon as another one starts here', async () => {
    const now = clock.now();
    const { hostname } = await import('node:os');
    // A SIGKILLed process left its row: a pid that no longer exists, and a previous life of our own pid.
    await t.db.kysely
      .insertInto('daifa_processes')
      .values([
        { id: 'ghost-1', role: 'worker', host: hostname(), pid: 2 ** 22 + 17, started_at: now, seen_at: now },
        { id: 'ghost-2', role: 'serve', host: hostname(), pid: process.pid, started_at: now, seen_at: now },
        { id: 'other-machine', role: 'worker', host: 'elsewhere', pid: 2 ** 22 + 17, started_at: now, seen_at: now },
      ])
      .execute();
    const share = { fraction: 1 };
    const r = new ProcessRegistry(t.db, clock, share, log);
    await r.start('worker');
    expect((await liveProcesses(t.db, now)).map((p) => p.id).sort()).toEqual([r.id, 'other-machine'].sort());
    expect(share.fraction).toBe(0.5); // another machine's process is not ours to judge: it counts until it goes stale
    await r.stop();
  });
});
