import { afterEach, describe, expect, it, vi } from 'vitest';
import { SandboxClock } from './clock.js';

describe('SandboxClock (沙箱时间)', () => {
  afterEach(() => vi.useRealTimers());

  it('runs at its rate from the instant the rate changes, jumps ahead, and never goes back', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const c = new SandboxClock();
    expect(c.now()).toBe(1_000_000);
    vi.advanceTimersByTime(1_000);
    expect(c.now()).toBe(1_001_000);
    c.setRate(60);
    vi.advanceTimersByTime(1_000);
    expect(c.now()).toBe(1_061_000);
    c.advance(3_600_000);
    expect(c.now()).toBe(4_661_000);
    expect(c.offsetMs).toBe(4_661_000 - 1_002_000);
    c.setRate(1);
    vi.advanceTimersByTime(1_000);
    expect(c.now()).toBe(4_662_000);
    expect(() => c.advance(-1)).toThrow(/forward only/);
    expect(() => c.advance(0)).toThrow(/forward only/);
    expect(() => c.setRate(0.5)).toThrow(RangeError);
    expect(() => c.setRate(SandboxClock.MAX_RATE + 1)).toThrow(RangeError);
    expect(c.now()).toBe(4_662_000);
  });

  it('starts from a saved offset and rate (a restart keeps sandbox time ahead); a negative offset is ignored', () => {
    vi.useFakeTimers({ now: 5_000 });
    const c = new SandboxClock({ offsetMs: 7_200_000, rate: 60 });
    expect(c.now()).toBe(7_205_000);
    vi.advanceTimersByTime(10);
    expect(c.now()).toBe(7_205_600);
    expect(new SandboxClock({ offsetMs: -50 }).now()).toBe(5_010);
  });
});
