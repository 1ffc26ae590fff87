/**
 * The part of each API limit this process may use. Several Daifa processes share one credential's limit (an
 * agency's machines on one PostgreSQL): the process registry sets `fraction` to 1 / live processes.
 */
export interface RateShare {
  fraction: number;
}

/**
 * Adaptive token bucket, one per API credential in a process: calls wait for a token instead of being refused
 * upstream. When the upstream still throttles (WeChat 45011, 1688 gw.QosAppFrequencyLimit) the rate drops by a
 * third and the bucket pauses; each success afterwards wins back a little, up to the configured rate (times this
 * process's share of it).
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
    private readonly share: RateShare = { fraction: 1 },
  ) {
    this.rate = maxRate;
    this.tokens = this.burst;
  }

  get currentRate(): number {
    return Math.min(this.rate, this.ceiling);
  }

  /** This process's part of the configured rate and burst. */
  private get fraction(): number {
    return Math.min(1, Math.max(0.001, this.share.fraction));
  }

  private get ceiling(): number {
    return this.maxRate * this.fraction;
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
      const rate = this.currentRate;
      const burst = Math.max(1, Math.floor(this.burst * this.fraction));
      this.tokens = Math.min(burst, this.tokens + ((now - this.last) / 1000) * rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / rate) * 1000));
    }
  }

  /** Upstream said "too fast": slow down and pause (until `resumeAt`, e.g. the next minute for 45011). */
  onThrottled(resumeAt = Date.now() + 1_000): void {
    this.throttled++;
    this.rate = Math.max(this.ceiling / 20, this.currentRate * 0.67);
    this.tokens = 0;
    this.pausedUntil = Math.max(this.pausedUntil, resumeAt);
  }

  onSuccess(): void {
    // `rate` may sit above a share that shrank meanwhile: currentRate caps it, and it is there again when the
    // share grows back.
    if (this.rate < this.ceiling) this.rate = Math.min(this.ceiling, this.rate * 1.01);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
