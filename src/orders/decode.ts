import { sql } from 'kysely';
import type { WeChatClients } from '../channels/wechat-shop/client.js';
import { mapAddress } from '../channels/wechat-shop/mapping.js';
import type { Db } from '../db/dialect.js';
import { preparedInsert } from '../db/prepared.js';
import { rowOrThrow } from '../db/lookups.js';
import { isMasked, type Address } from '../domain/address.js';
import { DaifaError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { ShopService } from '../shops/shops.js';

// Every order is decoded once for its supplier: compiled once (see prepared()).
const countDecode = preparedInsert('decode_usage', ['shop_id', 'day', 'used'], (q) =>
  q
    .onConflict((oc) => oc.columns(['shop_id', 'day']).doUpdateSet((eb) => ({ used: eb('decode_usage.used', '+', sql.lit(1)) })))
    .returning('used'),
);
const logDecode = preparedInsert('decode_log', ['shop_id', 'wx_order_id', 'actor', 'purpose', 'destination', 'created_at']);

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
      const { used } = rowOrThrow(
        (await countDecode(trx, { shop_id: input.shopId, day, used: 1 })).rows[0],
        'decode_usage',
        `${input.shopId}/${day}`,
      );
      if (used > this.dailyQuota)
        throw new DaifaError('CONFLICT', `今日解密额度已用完（${used - 1}/${this.dailyQuota}）/ daily decode quota used up`, {
          retryable: false,
        });
      await logDecode(trx, {
        shop_id: input.shopId,
        wx_order_id: input.wxOrderId,
        actor: input.actor,
        purpose: input.purpose,
        destination: input.destination,
        created_at: this.clock.now(),
      });
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
    const row = await this.db.kysely
      .selectFrom('decode_usage')
      .select('used')
      .where('shop_id', '=', shopId)
      .where('day', '=', day)
      .executeTakeFirst();
    return { day, used: row?.used ?? 0, quota: this.dailyQuota };
  }
}
