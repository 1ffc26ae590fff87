import { ALIBABA_WEBHOOK_PATH } from '../suppliers/alibaba-1688/message-receiver.js';
import { randomBytes } from 'node:crypto';
import type { App } from '../app.js';
import { randomAlnum } from '../lib/random.js';
import type { Sandbox } from '../../sandbox/server.js';
import { seedDaifaCatalogue, seedSimulatorOffers } from '../../sandbox/catalogue.js';

export const SANDBOX_WECOM_KEY = 'sandbox-demo';

/** Make sure a sandbox shop exists in Daifa and every sandbox shop is registered with the simulator. */
export async function bootstrapSandboxShops(app: App, sandbox: Sandbox, daifaUrl: string): Promise<void> {
  const shops = await app.shops.list();
  if (!shops.some((s) => s.isSandbox)) {
    await app.shops.add({
      name: '沙箱小店 Sandbox Shop',
      appId: `wx${randomBytes(8).toString('hex')}`,
      appSecret: randomAlnum(32),
      pushToken: randomAlnum(16),
      encodingAesKey: randomAlnum(43),
      isSandbox: true,
    });
  }
  for (const s of (await app.shops.list()).filter((x) => x.isSandbox)) {
    const c = await app.shops.credentialsById(s.id);
    if (!sandbox.wechat.shops.has(c.appId)) {
      sandbox.wechat.addShop({ appId: c.appId, secret: c.appSecret, push: { appId: c.appId, url: `${daifaUrl}${s.webhookPath}`, token: c.pushToken, encodingAesKey: c.encodingAesKey } });
    }
  }
}

/** Paid orders at a steady rate from the scenario mix, so a merchant sees the loop move. */
export function startOrderGenerator(app: App, sandbox: Sandbox, perMinute: number): () => void {
  if (perMinute <= 0) return () => undefined;
  const everyMs = Math.max(50, Math.round(60_000 / perMinute));
  const timer = setInterval(() => {
    for (const appId of sandbox.wechat.shops.keys()) {
      sandbox.wechat.generate(appId, { count: 1, requestRate: 0.3, multiLineRate: 0.25, virtualNumberRate: 0.1, refundRate: 0.05, refundDelayMs: 45_000 });
      // Buyers confirm receipt a while after everything shipped; the platform then settles (commission final).
      const cutoff = Math.floor(Date.now() / 1000) - SANDBOX_CONFIRM_AFTER_S;
      for (const o of sandbox.wechat.shops.get(appId)!.orders.values()) if (o.status === 30 && (o.shipDoneTime ?? Infinity) < cutoff) sandbox.wechat.confirmReceipt(appId, o.orderId, { settle: true });
    }
  }, everyMs);
  timer.unref();
  app.log.info({ perMinute }, 'sandbox order generator started');
  return () => clearInterval(timer);
}

/** Seconds after the last parcel shipped before a sandbox buyer confirms receipt. */
const SANDBOX_CONFIRM_AFTER_S = 120;

export const SANDBOX_1688_APP = { appKey: '8888001', appSecret: 'sandbox1688secret' };

/**
 * The sandbox's 1688 side: Daifa's 1688 account (created once, tokens sealed), registered with the simulator on
 * every start (the simulator keeps no state across restarts), and the catalogue on both sides.
 */
export async function bootstrapSandbox1688(app: App, sandbox: Sandbox, shopIds: number[], daifaUrl?: string): Promise<void> {
  const sim = sandbox.alibaba;
  sim.addApp(SANDBOX_1688_APP.appKey, SANDBOX_1688_APP.appSecret);
  // Sellers ship a while after payment (now and then in two parcels, now and then late), parcels move along,
  // and 1688 pushes its messages to Daifa's receiver.
  Object.assign(sim.knobs, { autoShipAfterMs: 20_000, splitShipRate: 0.1, lateRate: 0.03, traceStepMs: 30_000 });
  if (daifaUrl) sim.messageTarget = { url: `${daifaUrl}${ALIBABA_WEBHOOK_PATH}`, appSecret: SANDBOX_1688_APP.appSecret };
  const acct = await app.db.kysely.selectFrom('supplier_accounts').selectAll().where('kind', '=', '1688').executeTakeFirst();
  if (!acct) {
    const t = sim.issueToken('b2b-sandboxbuyer1');
    await app.alibaba.add({ appKey: SANDBOX_1688_APP.appKey, appSecret: SANDBOX_1688_APP.appSecret, accessToken: t.accessToken, refreshToken: t.refreshToken, accessExpiresAt: Date.now() + sim.knobs.accessTokenTtlMs, refreshExpiresAt: Date.now() + 180 * 86_400_000, memberId: t.memberId });
  } else if (acct.access_token_enc) {
    sim.tokens.set(app.box.open(acct.access_token_enc), { memberId: acct.member_id ?? 'b2b-sandboxbuyer1', expiresAt: Date.now() + sim.knobs.accessTokenTtlMs, refreshToken: acct.refresh_token_enc ? app.box.open(acct.refresh_token_enc) : '' });
  }
  seedSimulatorOffers(sim);
  for (const shopId of shopIds) {
    const mapped = await app.db.kysely.selectFrom('sku_mappings').select('id').where('shop_id', '=', shopId).limit(1).executeTakeFirst();
    if (!mapped) await seedDaifaCatalogue(app.db, shopId, Date.now());
  }
}
