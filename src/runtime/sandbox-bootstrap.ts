import { ALIBABA_WEBHOOK_PATH } from '../suppliers/alibaba-1688/message-receiver.js';
import { hasMappings } from '../sourcing/catalogue-admin.js';
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
      sandbox.wechat.addShop({
        appId: c.appId,
        secret: c.appSecret,
        push: { appId: c.appId, url: `${daifaUrl}${s.webhookPath}`, token: c.pushToken, encodingAesKey: c.encodingAesKey },
      });
    }
  }
}

/** What the merchant can turn in the sandbox (dashboard 沙箱 page): order rate and the scenario mix. */
export interface SandboxControls {
  ordersPerMinute: number;
  requestRate: number;
  multiLineRate: number;
  virtualNumberRate: number;
  refundRate: number;
  /**
   * Hours from payment to the ship-by deadline of new sandbox orders (WeChat's are 48): a few hours rehearse late
   * suppliers, deadline risks and negotiations in minutes instead of days.
   */
  shipByHours: number;
}

export interface OrderGenerator {
  controls(): SandboxControls;
  set(patch: Partial<SandboxControls>): SandboxControls;
  /** Paid orders right now, in every sandbox shop. */
  generate(count: number): number;
  stop(): void;
}

/** Paid orders at a steady rate from the scenario mix, so a merchant sees the loop move. */
export function startOrderGenerator(app: App, sandbox: Sandbox, perMinute: number): OrderGenerator {
  const c: SandboxControls = {
    ordersPerMinute: Math.max(0, perMinute),
    requestRate: 0.3,
    multiLineRate: 0.25,
    virtualNumberRate: 0.1,
    refundRate: 0.05,
    shipByHours: 48,
  };
  let timer: NodeJS.Timeout | undefined;
  const generate = (count: number): number => {
    let n = 0;
    sandbox.wechat.api.deliveryDeadlineHours = c.shipByHours;
    for (const appId of sandbox.wechat.shops.keys()) {
      n += sandbox.wechat.generate(appId, {
        count,
        requestRate: c.requestRate,
        multiLineRate: c.multiLineRate,
        virtualNumberRate: c.virtualNumberRate,
        refundRate: c.refundRate,
        refundDelayMs: 45_000,
      }).length;
      // Buyers confirm receipt a while after everything shipped; the platform then settles (commission final).
      const cutoff = Math.floor(app.clock.now() / 1000) - SANDBOX_CONFIRM_AFTER_S;
      for (const o of sandbox.wechat.shops.get(appId)!.orders.values())
        if (o.status === 30 && (o.shipDoneTime ?? Infinity) < cutoff) sandbox.wechat.confirmReceipt(appId, o.orderId, { settle: true });
    }
    return n;
  };
  const schedule = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (c.ordersPerMinute <= 0) return;
    timer = setInterval(() => generate(1), Math.max(50, Math.round(60_000 / c.ordersPerMinute)));
    timer.unref();
  };
  schedule();
  if (c.ordersPerMinute > 0) app.log.info({ perMinute: c.ordersPerMinute }, 'sandbox order generator started');
  return {
    controls: () => ({ ...c }),
    set(patch) {
      Object.assign(c, patch);
      schedule();
      app.log.info({ controls: c }, 'sandbox controls changed');
      return { ...c };
    },
    generate,
    stop: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Seconds after the last parcel shipped before a sandbox buyer confirms receipt. */
const SANDBOX_CONFIRM_AFTER_S = 120;

export const SANDBOX_1688_APP = { appKey: '8888001', appSecret: 'sandbox1688secret' };

/**
 * The sandbox's 1688 side: Daifa's 1688 account (created once, tokens sealed), registered with the simulator on
 * every start (the simulator keeps its orders across restarts — sandbox/persist.ts — but not apps, tokens or offers), and the catalogue on both sides.
 */
export async function bootstrapSandbox1688(app: App, sandbox: Sandbox, shopIds: number[], daifaUrl?: string): Promise<void> {
  const sim = sandbox.alibaba;
  sim.addApp(SANDBOX_1688_APP.appKey, SANDBOX_1688_APP.appSecret);
  // Sellers ship a while after payment (now and then in two parcels, now and then late), parcels move along,
  // and 1688 pushes its messages to Daifa's receiver.
  Object.assign(sim.knobs, { autoShipAfterMs: 20_000, splitShipRate: 0.1, lateRate: 0.03, traceStepMs: 30_000 });
  if (daifaUrl) sim.messageTarget = { url: `${daifaUrl}${ALIBABA_WEBHOOK_PATH}`, appSecret: SANDBOX_1688_APP.appSecret };
  const acct = await app.alibaba.stored();
  if (!acct) {
    const t = sim.issueToken('b2b-sandboxbuyer1');
    await app.alibaba.add({
      appKey: SANDBOX_1688_APP.appKey,
      appSecret: SANDBOX_1688_APP.appSecret,
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      accessExpiresAt: app.clock.now() + sim.knobs.accessTokenTtlMs,
      refreshExpiresAt: app.clock.now() + 180 * 86_400_000,
      memberId: t.memberId,
    });
  } else if (acct.access_token_enc) {
    sim.tokens.set(app.box.open(acct.access_token_enc), {
      memberId: acct.member_id ?? 'b2b-sandboxbuyer1',
      expiresAt: app.clock.now() + sim.knobs.accessTokenTtlMs,
      refreshToken: acct.refresh_token_enc ? app.box.open(acct.refresh_token_enc) : '',
    });
  }
  seedSimulatorOffers(sim);
  for (const shopId of shopIds) {
    if (!(await hasMappings(app.db, shopId))) await seedDaifaCatalogue(app.db, shopId, app.clock.now());
  }
}
