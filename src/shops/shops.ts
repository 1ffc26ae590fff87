import { shopIds } from '../db/lookups.js';
import type { Selectable } from 'kysely';
import { aesKeyFromEncodingAesKey } from '../channels/wechat-shop/crypto.js';
import type { Db } from '../db/dialect.js';
import type { ShopsTable } from '../db/schema.js';
import { DaifaError } from '../lib/errors.js';
import { randomKey } from '../lib/random.js';
import type { SecretBox } from '../security/secrets.js';
import { z } from 'zod';

export type ShopRow = Selectable<ShopsTable>;

/** A shop with its secrets opened, for the code that needs them (never serialised to logs or the API). */
export interface ShopCredentials {
  id: number;
  shopKey: string;
  name: string;
  appId: string;
  appSecret: string;
  pushToken: string;
  encodingAesKey: string;
  aesKey: Buffer;
  mode: string;
  isSandbox: boolean;
}

/** What the API and CLI may show: no secrets. */
export interface ShopPublic {
  id: number;
  shopKey: string;
  name: string;
  appId: string;
  mode: string;
  isSandbox: boolean;
  webhookPath: string;
  createdAt: number;
}

export const newShopInput = z.object({
  name: z.string().trim().min(1, '店铺名称不能为空 / name is required').max(100),
  appId: z
    .string()
    .trim()
    .regex(/^wx[0-9a-zA-Z]{14,18}$/, 'AppID 形如 wx 开头的 16–20 位 / app id looks like wx0123456789abcdef'),
  appSecret: z.string().trim().min(8, 'AppSecret 太短 / app secret too short').max(128),
  pushToken: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9]{3,32}$/, 'Token 为 3–32 位字母或数字 / push token: 3–32 letters or digits'),
  encodingAesKey: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9]{43}$/, 'EncodingAESKey 为 43 位字母或数字 / EncodingAESKey: 43 letters or digits'),
  mode: z.enum(['live', 'shadow']).default('live'),
  isSandbox: z.boolean().default(false),
});
export type NewShopInput = z.input<typeof newShopInput>;

export function webhookPath(shopKey: string): string {
  return `/webhooks/wechat-shop/${shopKey}`;
}

export class ShopService {
  private cache = new Map<string, ShopCredentials>();

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly now: () => number,
  ) {}

  async add(input: NewShopInput): Promise<ShopPublic> {
    const parsed = newShopInput.safeParse(input);
    if (!parsed.success) {
      throw new DaifaError('VALIDATION', undefined, {
        details: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    }
    const v = parsed.data;
    const t = this.now();
    const row = await this.db.kysely
      .insertInto('shops')
      .values({
        shop_key: randomKey(12),
        name: v.name,
        app_id: v.appId,
        app_secret_enc: this.box.seal(v.appSecret),
        push_token_enc: this.box.seal(v.pushToken),
        aes_key_enc: this.box.seal(v.encodingAesKey),
        mode: v.mode,
        is_sandbox: v.isSandbox ? 1 : 0,
        poll_cursor_s: null,
        created_at: t,
        updated_at: t,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPublic(row);
  }

  async list(): Promise<ShopPublic[]> {
    const rows = await this.db.kysely.selectFrom('shops').selectAll().orderBy('id').execute();
    return rows.map(toPublic);
  }

  /** Every shop's id. */
  async ids(): Promise<number[]> {
    return shopIds(this.db.kysely);
  }

  /** Where the shop's order poll stopped last (seconds), or null before its first poll. */
  async pollCursor(id: number): Promise<number | null> {
    const row = await this.db.kysely.selectFrom('shops').select('poll_cursor_s').where('id', '=', id).executeTakeFirst();
    if (!row) throw new DaifaError('NOT_FOUND', `店铺 ${id} 不存在 / shop not found`);
    return row.poll_cursor_s;
  }

  /** The shop's order poll has read every change up to `cursorS` (seconds). */
  async savePollCursor(id: number, cursorS: number): Promise<void> {
    await this.db.kysely.updateTable('shops').set({ poll_cursor_s: cursorS, updated_at: this.now() }).where('id', '=', id).execute();
  }

  /** 正式 (live) or 影子 (shadow: everything up to the supplier call, recorded; nothing placed). */
  async setMode(id: number, mode: 'live' | 'shadow'): Promise<void> {
    const r = await this.db.kysely.updateTable('shops').set({ mode }).where('id', '=', id).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new DaifaError('NOT_FOUND', `店铺 ${id} 不存在 / shop not found`);
  }

  async countReal(): Promise<number> {
    const r = await this.db.kysely
      .selectFrom('shops')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('is_sandbox', '=', 0)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** Secrets are opened once per process and cached; shop credentials rarely change. */
  async credentialsByKey(shopKey: string): Promise<ShopCredentials | undefined> {
    const hit = this.cache.get(shopKey);
    if (hit) return hit;
    const row = await this.db.kysely.selectFrom('shops').selectAll().where('shop_key', '=', shopKey).executeTakeFirst();
    if (!row) return undefined;
    const creds = this.open(row);
    this.cache.set(shopKey, creds);
    return creds;
  }

  async credentialsById(id: number): Promise<ShopCredentials> {
    for (const c of this.cache.values()) if (c.id === id) return c;
    const row = await this.db.kysely.selectFrom('shops').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new DaifaError('NOT_FOUND', `店铺 ${id} 不存在 / shop ${id} not found`);
    const creds = this.open(row);
    this.cache.set(row.shop_key, creds);
    return creds;
  }

  private open(row: ShopRow): ShopCredentials {
    const encodingAesKey = this.box.open(row.aes_key_enc);
    return {
      id: row.id,
      shopKey: row.shop_key,
      name: row.name,
      appId: row.app_id,
      appSecret: this.box.open(row.app_secret_enc),
      pushToken: this.box.open(row.push_token_enc),
      encodingAesKey,
      aesKey: aesKeyFromEncodingAesKey(encodingAesKey),
      mode: row.mode,
      isSandbox: row.is_sandbox === 1,
    };
  }
}

export function toPublic(row: ShopRow): ShopPublic {
  return {
    id: row.id,
    shopKey: row.shop_key,
    name: row.name,
    appId: row.app_id,
    mode: row.mode,
    isSandbox: row.is_sandbox === 1,
    webhookPath: webhookPath(row.shop_key),
    createdAt: row.created_at,
  };
}
