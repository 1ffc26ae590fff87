/**
 * Adaptive token bucket, one per API credential in a process: calls wait for a token instead of being refused
 * upstream. When the upstream still throttles (WeChat 45011, 1688 gw.QosAppFrequencyLimit) the rate drops by a
 * third and the bucket pauses; each success afterwards wins back a little, up to the configured rate.
 */
export class AdaptiveRateLimiter {
  private tokens: number;
  private rate: number;
  private last = Date.now();
  private pausedUntil = 0;
  private chain: Promise<void> = Promise.resolve();
  throttled = 0;

  constructor(
    /** Configured calls per second (the ceiling). */
    private readonly maxRate: number,
    private readonly burst = Math.max(1, Math.ceil(maxRate)),
  ) {
    this.rate = maxRate;
    this.tokens = this.burst;
  }

  get currentRate(): number {
    return this.rate;
  }

  /** Wait for a token (calls queue in order, so a burst cannot starve a caller). */
  take(): Promise<void> {
    const next = this.chain.then(() => this.waitForToken());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now < this.pausedUntil) {
        await sleep(this.pausedUntil - now);
        continue;
      }
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    }
  }

  /** Upstream said "too fast": slow down and pause (until `resumeAt`, e.g. the next minute for 45011). */
  onThrottled(resumeAt = Date.now() + 1_000): void {
    this.throttled++;
    this.rate = Math.max(this.maxRate / 20, this.rate * 0.67);
    this.tokens = 0;
    this.pausedUntil = Math.max(this.pausedUntil, resumeAt);
  }

  onSuccess(): void {
    if (this.rate < this.maxRate) this.rate = Math.min(this.maxRate, this.rate * 1.01);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
