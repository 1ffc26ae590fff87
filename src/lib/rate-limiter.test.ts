import { describe, expect, it } from 'vitest';
import { AdaptiveRateLimiter } from './rate-limiter.js';

describe('adaptive rate limiter', () => {
  it('paces calls to the configured rate after the burst', async () => {
    const l = new AdaptiveRateLimiter(50, 5);
    const t0 = Date.now();
    for (let i = 0; i < 15; i++) await l.take();
    // 5 at once, then 10 more at 50/s ≈ 200 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
  });
  it('slows down and pauses when throttled, then recovers with successes', async () => {
    const l = new AdaptiveRateLimiter(100, 1);
    l.onThrottled(Date.now() + 100);
    expect(l.currentRate).toBeCloseTo(67, 0);
    const t0 = Date.now();
    await l.take();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    for (let i = 0; i < 100; i++) l.onSuccess();
    expect(l.currentRate).toBe(100);
  });
});
