import { postText } from '../../src/lib/http-post.js';
import { simNow } from '../clock.js';
import { randomInt } from 'node:crypto';
import { aesKeyFromEncodingAesKey, encryptMessage, msgSignature, urlSignature } from '../../src/channels/wechat-shop/crypto.js';
import { stringifyWithBareIds } from '../../src/lib/lossless-json.js';

/** WeChat's push retry schedule after the first attempt (reference §8.5): 10 attempts in all, ≈3.6 h. */
export const RETRY_SCHEDULE_MS = [0, 0, 10_000, 60_000, 300_000, 1_800_000, 3_600_000, 3_600_000, 3_600_000];

export interface PushTarget {
  appId: string;
  url: string;
  token: string;
  encodingAesKey: string;
}

export interface PushKnobs {
  enabled: boolean;
  /** Probability that an event is never pushed at all (polling must find it). */
  lostRate: number;
  /** Each event is delivered a random number of times in [minCopies, maxCopies]. */
  minCopies: number;
  maxCopies: number;
  /** Each copy waits a random 0..maxReorderMs before its first attempt, so copies and events interleave. */
  maxReorderMs: number;
  /** order_id as a bare JSON integer (the documented form) instead of a string. */
  bareOrderId: boolean;
  /** Multiplies the retry schedule: 0.001 turns 3.6 h into 13 s for tests. */
  timeScale: number;
  timeoutMs: number;
  concurrency: number;
}

export const defaultPushKnobs = (): PushKnobs => ({
  enabled: true,
  lostRate: 0,
  minCopies: 1,
  maxCopies: 1,
  maxReorderMs: 0,
  bareOrderId: true,
  timeScale: 1,
  timeoutMs: 5_000,
  concurrency: 16,
});

export interface AckRecord {
  event: string;
  orderId?: string;
  createTime: number;
  copy: number;
  attempt: number;
}

interface Delivery {
  target: PushTarget;
  message: Record<string, unknown>;
  copy: number;
  attempt: number;
}

/** Pushes events to a shop's URL exactly as WeChat does: encrypted, signed, 5 s timeout, retried on failure. */
export class PushEngine {
  readonly stats = { events: 0, lost: 0, deliveries: 0, attempts: 0, acked: 0, failedAttempts: 0, gaveUp: 0 };
  readonly acks: AckRecord[] = [];
  private pending = 0;
  private active = 0;
  private waiting: (() => void)[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];

  constructor(public knobs: PushKnobs) {}

  /** Schedule one event: possibly lost, possibly duplicated, each copy possibly delayed. */
  push(target: PushTarget, message: Record<string, unknown>): void {
    if (!this.knobs.enabled) return;
    this.stats.events++;
    if (this.knobs.lostRate > 0 && Math.random() < this.knobs.lostRate) {
      this.stats.lost++;
      return;
    }
    const copies = this.knobs.minCopies + randomInt(Math.max(1, this.knobs.maxCopies - this.knobs.minCopies + 1));
    for (let copy = 1; copy <= copies; copy++) {
      this.stats.deliveries++;
      const delay = this.knobs.maxReorderMs > 0 ? randomInt(this.knobs.maxReorderMs + 1) : 0;
      this.schedule({ target, message, copy, attempt: 0 }, delay);
    }
  }

  get outstanding(): number {
    return this.pending;
  }

  /** Resolves when no delivery is waiting or in flight. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(d: Delivery, delayMs: number): void {
    this.pending++;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(d);
    }, delayMs);
    this.timers.add(t);
  }

  private async attempt(d: Delivery): Promise<void> {
    await this.slot();
    let ok = false;
    try {
      this.stats.attempts++;
      ok = await send(d.target, d.message, this.knobs);
    } finally {
      this.release();
    }
    if (ok) {
      this.stats.acked++;
      const info = d.message.order_info as { order_id?: unknown } | undefined;
      this.acks.push({
        event: String(d.message.Event),
        orderId: info?.order_id !== undefined ? String(info.order_id) : undefined,
        createTime: Number(d.message.CreateTime),
        copy: d.copy,
        attempt: d.attempt,
      });
    } else {
      this.stats.failedAttempts++;
      if (d.attempt < RETRY_SCHEDULE_MS.length) {
        const next = RETRY_SCHEDULE_MS[d.attempt]! * this.knobs.timeScale;
        this.schedule({ ...d, attempt: d.attempt + 1 }, next);
      } else {
        this.stats.gaveUp++;
      }
    }
    this.pending--;
    if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private slot(): Promise<void> {
    if (this.active < this.knobs.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

/** Build the signed, encrypted POST and send it; true when WeChat would count it as delivered. */
export async function send(
  target: PushTarget,
  message: Record<string, unknown>,
  knobs: Pick<PushKnobs, 'bareOrderId' | 'timeoutMs'>,
): Promise<boolean> {
  const plain = knobs.bareOrderId ? stringifyWithBareIds(message, ['order_id']) : JSON.stringify(message);
  const encrypt = encryptMessage(aesKeyFromEncodingAesKey(target.encodingAesKey), plain, target.appId);
  const timestamp = String(Math.floor(simNow() / 1000));
  const nonce = String(randomInt(100_000_000, 2_000_000_000));
  const query = new URLSearchParams({
    signature: urlSignature(target.token, timestamp, nonce),
    timestamp,
    nonce,
    openid: String(message.FromUserName ?? ''),
    encrypt_type: 'aes',
    msg_signature: msgSignature(target.token, timestamp, nonce, encrypt),
  });
  try {
    // node:http with kept-alive connections, as Daifa's own clients (fetch costs several times the CPU).
    const res = await postText(`${target.url}?${query}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ToUserName: message.ToUserName, Encrypt: encrypt }),
      timeoutMs: knobs.timeoutMs,
    });
    const body = res.text.trim();
    return res.status === 200 && (body === 'success' || body === '');
  } catch {
    return false;
  }
}
