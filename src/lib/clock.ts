/** Time is injected so that tests and the sandbox can compress it. Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The sandbox's clock (沙箱时间): real time moved ahead by an offset and run at a rate, so a rehearsal sees ship-by
 * deadlines come close, sellers run late and retries fall due in minutes. Never used outside the sandbox.
 * Virtual time never goes backwards: a new rate or a jump starts from the current virtual instant.
 */
export class SandboxClock implements Clock {
  private anchorReal = Date.now();
  private anchorVirtual: number;
  private speed = 1;

  constructor(state: { offsetMs?: number; rate?: number } = {}) {
    this.anchorVirtual = this.anchorReal + Math.max(0, state.offsetMs ?? 0);
    this.speed = SandboxClock.checkRate(state.rate ?? 1);
  }

  static readonly MAX_RATE = 1440;

  private static checkRate(rate: number): number {
    if (!Number.isFinite(rate) || rate < 1 || rate > SandboxClock.MAX_RATE)
      throw new RangeError(`sandbox time rate must be 1…${SandboxClock.MAX_RATE}`);
    return rate;
  }

  now(): number {
    return this.anchorVirtual + (Date.now() - this.anchorReal) * this.speed;
  }

  get rate(): number {
    return this.speed;
  }

  /** How far the sandbox is ahead of real time, in ms. */
  get offsetMs(): number {
    return this.now() - Date.now();
  }

  private reanchor(): void {
    const v = this.now();
    this.anchorReal = Date.now();
    this.anchorVirtual = v;
  }

  setRate(rate: number): void {
    SandboxClock.checkRate(rate);
    this.reanchor();
    this.speed = rate;
  }

  /** Jump ahead (快进); `ms` must be positive. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError('sandbox time moves forward only');
    this.reanchor();
    this.anchorVirtual += ms;
  }
}
