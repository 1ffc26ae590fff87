import type { WeChatClients } from '../channels/wechat-shop/client.js';
import { mapAddress } from '../channels/wechat-shop/mapping.js';
import type { Db } from '../db/dialect.js';
import { countDecodeOn, decodesOn, recordDecode } from '../db/repositories/decode-log.js';
import { isMasked, type Address } from '../domain/address.js';
import { DaifaError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { ShopService } from '../shops/shops.js';

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
  ) {}

  async decode(input: { shopId: number; wxOrderId: string; actor: string; purpose: string; destination: string }): Promise<Address> {
    if (!input.purpose.trim() || !input.destination.trim())
      throw new DaifaError('VALIDATION', '解密必须说明用途和去向 / purpose and destination are required');
    const day = new Date(this.clock.now() + 8 * 3600_000).toISOString().slice(0, 10); // China day (UTC+8)
    await this.db.kysely.transaction().execute(async (trx) => {
      // Counted in one statement (concurrent decodes on PostgreSQL each add theirs); over the quota the
      // transaction rolls back, so a refused decode is not counted.
      const used = await countDecodeOn(trx, input.shopId, day);
      if (used > this.dailyQuota)
        throw new DaifaError('LIMIT_REACHED', `今日解密额度已用完（${used - 1}/${this.dailyQuota}）/ daily decode quota used up`, {
          retryable: false,
        });
      await recordDecode(trx, input, this.clock.now());
    });
    const client = await this.clients.forShop(this.shops, input.shopId);
    const r = await client.decodeSensitiveInfo(input.wxOrderId);
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

  async usage(shopId: number): Promise<{ day: string; used: number; quota: number }> {
    const day = new Date(this.clock.now() + 8 * 3600_000).toISOString().slice(0, 10);
    return { day, used: await decodesOn(this.db.kysely, shopId, day), quota: this.dailyQuota };
  }
}
