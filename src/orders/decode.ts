import type { WeChatClients } from '../channels/wechat-shop/client.js';
import { mapAddress } from '../channels/wechat-shop/mapping.js';
import type { Db } from '../db/dialect.js';
import { countDecodeOn, decodesOn, markDecodesUsedUp, recordDecode } from '../db/repositories/decode-log.js';
import { isMasked, type Address } from '../domain/address.js';
import { DaifaError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { cnDate, nextCnTime } from '../lib/cn-time.js';
import type { Notifier } from '../notify/notifier.js';
import type { ShopService } from '../shops/shops.js';

/** Who decodes which order's buyer data, why, and where it goes (all recorded). */
export interface DecodeRequest {
  shopId: number;
  wxOrderId: string;
  actor: string;
  purpose: string;
  destination: string;
}

/**
 * Buyer plaintext is handled on purpose: every decode (sensitiveinfo/decode) counts against the shop's daily
 * quota and is recorded with who, when, why and where the data goes. The plaintext is returned to the
 * caller and never stored or logged here.
 */
export class DecodeService {
  constructor(
    private readonly db: Db,
    private readonly clients: WeChatClients,
    private readonly shops: ShopService,
    private readonly clock: Clock,
    private readonly dailyQuota: number,
    /** Told once a day per shop when the quota runs out (what waits, until when). */
    private readonly notifier?: Notifier,
  ) {}

  async decode(input: DecodeRequest): Promise<Address> {
    if (!input.purpose.trim() || !input.destination.trim())
      throw new DaifaError('VALIDATION', '解密必须说明用途和去向 / purpose and destination are required');
    const now = this.clock.now();
    const day = cnDate(now);
    try {
      await this.count(input, now, day);
    } catch (err) {
      if (err instanceof DaifaError && err.code === 'LIMIT_REACHED') await this.tellUsedUp(input.shopId, day);
      throw err;
    }
    const client = await this.clients.forShop(this.shops, input.shopId);
    let r: Awaited<ReturnType<typeof client.decodeSensitiveInfo>>;
    try {
      r = await client.decodeSensitiveInfo(input.wxOrderId);
    } catch (err) {
      // WeChat's own daily quota for decodes is used up before ours (its size is not published — one developer
      // reports 30 a day [U] — and the code it answers is not documented [U]: 45009, "daily API quota", is the closest
      // documented meaning and what the sandbox answers). The day counts as full here too, so later decodes are
      // refused without calling, and the caller waits for the next day exactly as under our own quota.
      if (err instanceof DaifaError && (err.details as { errcode?: number } | undefined)?.errcode === 45009) {
        await markDecodesUsedUp(this.db.kysely, input.shopId, day, this.dailyQuota);
        await this.tellUsedUp(input.shopId, day);
        throw usedUp(`微信：今日解密额度已用完（45009），明日 00:00 恢复 / WeChat's daily decode quota used up until tomorrow`, now, err);
      }
      throw err;
    }
    const address = mapAddress(r.address);
    const vn = r.virtualNumber as { virtual_number?: string; extension?: string } | undefined;
    if (vn?.virtual_number) {
      address.virtualTelNumber = vn.extension ? `${vn.virtual_number}-${vn.extension}` : String(vn.virtual_number);
      address.useTelNumber = true;
    }
    if (isMasked(address.userName) || isMasked(address.detailInfo))
      throw new DaifaError('WECHAT_API', '解密结果仍为脱敏数据 / decode returned masked data');
    return address;
  }

  /** Counts this decode against the shop's day, or refuses it (LIMIT_REACHED) when the day's quota is used up. */
  private async count(input: DecodeRequest, now: number, day: string): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      // Counted in one statement (concurrent decodes on PostgreSQL each add theirs); over the quota the
      // transaction rolls back, so a refused decode is not counted.
      const used = await countDecodeOn(trx, input.shopId, day);
      // Used up today: the quota is back with China's next day — a job asking (a purchase order waiting for its
      // address) waits until then instead of dying; a person asking is told so (the HTTP answer is a 409 either way).
      if (used > this.dailyQuota)
        throw usedUp(
          `今日解密额度已用完（${used - 1}/${this.dailyQuota}），明日 00:00 恢复 / daily decode quota used up until tomorrow`,
          now,
        );
      await recordDecode(trx, input, now);
    });
  }

  /** One alert per shop and China day (deduplicated by its subject), however many decodes are refused. */
  private async tellUsedUp(shopId: number, day: string): Promise<void> {
    await this.notifier?.raiseNow({
      event: 'decode_quota_used_up',
      shopId,
      subject: `${shopId}:${day}`,
      data: { date: day, detail: `${this.dailyQuota}/${this.dailyQuota}` },
    });
  }

  async usage(shopId: number): Promise<{ day: string; used: number; quota: number }> {
    const day = cnDate(this.clock.now());
    return { day, used: await decodesOn(this.db.kysely, shopId, day), quota: this.dailyQuota };
  }
}

/** The day's decodes are used up: retryable once China's next day has begun (a minute after its midnight). */
function usedUp(message: string, now: number, cause?: unknown): DaifaError {
  return new DaifaError('LIMIT_REACHED', message, { retryable: true, retryAfterMs: nextCnTime('00:00', now) - now + 60_000, cause });
}
