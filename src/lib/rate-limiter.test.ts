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
    const resumeAt = Date.now() + 100;
    l.onThrottled(resumeAt);
    expect(l.currentRate).toBeCloseTo(67, 0);
    await l.take();
    // Not before the time the platform said (measured from that time, not from a later clock read: a loaded
    // machine between the two reads made the wait look shorter).
    expect(Date.now()).toBeGreaterThanOrEqual(resumeAt);
    for (let i = 0; i < 100; i++) l.onSuccess();
    expect(l.currentRate).toBe(100);
  });
});

describe('rate limiter shared between processes', () => {
  it('paces to its share of the limit, and to all of it again when the share grows back', async () => {
    const share = { fraction: 0.5 };
    const l = new AdaptiveRateLimiter(40, 1, share);
    expect(l.currentRate).toBe(20);
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) await l.take();
    // 1 at once, then 5 at 20/s ≈ 250 ms (at the full 40/s it would be 125 ms).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(230);
    share.fraction = 1;
    expect(l.currentRate).toBe(40);
    l.onThrottled(Date.now());
    expect(l.currentRate).toBeCloseTo(26.8, 1);
    share.fraction = 0.25; // a third process started meanwhile: never above its share, even while recovering
    expect(l.currentRate).toBe(10);
    for (let i = 0; i < 100; i++) l.onSuccess();
    expect(l.currentRate).toBe(10);
  });
});
