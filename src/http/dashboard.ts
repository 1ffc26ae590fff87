import { existsSync, readFileSync } from 'node:fs';
import { positiveId } from './routes/inputs.js';
import { updateMapping } from '../sourcing/catalogue-admin.js';
import { assertUserExists, listUsers, updateUser } from '../security/accounts.js';
import { changeVersions, offersInStock, poMessages, shopOrderOfPo } from '../dashboard/queries.js';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { z } from 'zod';
import type { App } from '../app.js';
import { listMappings, listPurchaseOrders, overview, supplierScorecards } from '../dashboard/queries.js';
import { purchaseOrderStates } from '../domain/purchase-order.lifecycle.js';
import { orderDetail } from '../orders/queries.js';
import { DaifaError } from '../lib/errors.js';
import type { OrderGenerator } from '../runtime/sandbox-bootstrap.js';
import { SandboxClock } from '../lib/clock.js';
import { requireRole, type Role } from './auth.js';
import { createUser, revokeTokens } from '../security/accounts.js';

/** Sandbox mode only: what the 沙箱 page shows and turns. */
export interface SandboxHooks {
  info(): Promise<unknown>;
  generator(): OrderGenerator | undefined;
  /** The 1688 simulator's knobs (mutable); only the fault knobs below are exposed. */
  knobs1688: object;
  /** 沙箱时间, when the simulators run in this process. */
  clock?: SandboxClock;
  clockChanged?: () => void;
}

/** Live-update streams open at once, per user and per process. */
export const STREAMS_PER_USER = 8;
export const STREAMS_PER_PROCESS = 500;

const faultKnobs = z
  .object({
    lateRate: z.number().min(0).max(1),
    stockOutAfterPayRate: z.number().min(0).max(1),
    splitShipRate: z.number().min(0).max(1),
    lostResponseRate: z.number().min(0).max(1),
    payResponseLostRate: z.number().min(0).max(1),
    priceRiseFen: z.number().int().min(0).max(100_000),
    latencyMs: z.number().int().min(0).max(10_000),
  })
  .partial()
  .strict();
const FAULT_KEYS = Object.keys(faultKnobs.shape) as (keyof z.infer<typeof faultKnobs>)[];
const controlsBody = z
  .object({
    ordersPerMinute: z.number().min(0).max(600),
    requestRate: z.number().min(0).max(1),
    multiLineRate: z.number().min(0).max(1),
    virtualNumberRate: z.number().min(0).max(1),
    refundRate: z.number().min(0).max(1),
    shipByHours: z.number().min(1).max(240),
  })
  .partial()
  .strict();

const posQuery = z.object({
  state: z.enum(purchaseOrderStates).optional(),
  route: z.string().max(32).optional(),
  q: z.string().trim().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
});
const pickFaults = (knobs: object) => Object.fromEntries(FAULT_KEYS.map((k) => [k, (knobs as Record<string, unknown>)[k]]));

/** The dashboard's own API (inside the authenticated /api scope). */
const clockBody = z
  .object({
    rate: z.number().int().min(1).max(SandboxClock.MAX_RATE).optional(),
    advanceHours: z
      .number()
      .positive()
      .max(24 * 30)
      .optional(),
  })
  .strict()
  .refine((b) => b.rate !== undefined || b.advanceHours !== undefined, { message: '请给出倍速或快进小时数 / give rate or advanceHours' });

const clockView = (c: SandboxClock | undefined) =>
  c ? { now: Math.round(c.now()), offsetMs: Math.round(c.offsetMs), rate: c.rate } : null;

export function registerDashboardApi(api: FastifyInstance, app: App, sandbox: SandboxHooks | undefined): void {
  const owner = { preHandler: requireRole('owner') };
  const operator = { preHandler: requireRole('operator') };
  api.get('/api/overview', async (req) =>
    overview(app.db, app.clock.now(), z.object({ shopId: z.coerce.number().int().positive().optional() }).parse(req.query).shopId),
  );
  api.get('/api/purchase-orders', async (req) => listPurchaseOrders(app.db, posQuery.parse(req.query)));
  api.get('/api/purchase-orders/:id', async (req) => {
    const id = positiveId(req.params);
    const order = await orderDetail(app.db, await shopOrderOfPo(app.db, id));
    const messages = (await poMessages(app.db, id)).map((m) => ({
      id: m.id,
      direction: m.direction,
      channel: m.channel,
      subject: m.subject,
      body: m.body,
      created_at: m.created_at,
    }));
    return {
      purchaseOrder: order.purchaseOrders.find((p) => p.id === id),
      order: { id: order.id, wxOrderId: order.wxOrderId, state: order.state },
      payments: order.payments.filter((p) => p.purchase_order_id === id),
      packages: order.packages.filter((p) => p.purchaseOrderId === id),
      cases: order.cases,
      messages,
    };
  });
  // Offers in stock, for choosing a substitute or a supplier (title search).
  api.get('/api/offers', async (req) => {
    const q = z
      .object({ q: z.string().trim().max(50).optional(), limit: z.coerce.number().int().min(1).max(100).default(30) })
      .parse(req.query);
    return { offers: await offersInStock(app.db, q) };
  });
  api.get('/api/suppliers/scorecards', async () => ({ suppliers: await supplierScorecards(app.db, app.clock.now()) }));
  api.get('/api/shops/:id/mappings/rows', async (req) => ({ mappings: await listMappings(app.db, positiveId(req.params)) }));
  api.patch('/api/mappings/:id', operator, async (req) => {
    const id = positiveId(req.params);
    const b = z
      .object({ quantityPerUnit: z.number().int().min(1).max(10_000), priority: z.number().int().min(-100).max(100), enabled: z.boolean() })
      .partial()
      .strict()
      .parse(req.body);
    await updateMapping(app.db, id, b);
    return { ok: true };
  });
  api.get('/api/users', owner, async () => ({ users: await listUsers(app.db) }));
  api.post('/api/users', owner, async (req) => {
    const b = z
      .object({ username: z.string().trim(), password: z.string(), role: z.enum(['owner', 'operator', 'viewer']) })
      .parse(req.body);
    return { id: await createUser(app.db, b, app.clock.now()) };
  });
  // Every API token of a user revoked at once (someone else's script token leaked, say); their sessions are not tokens.
  api.delete('/api/users/:id/tokens', owner, async (req) => {
    const id = positiveId(req.params);
    await assertUserExists(app.db, id);
    return { revoked: await revokeTokens(app.db, id) };
  });
  api.patch('/api/users/:id', owner, async (req) => {
    const id = positiveId(req.params);
    const b = z
      .object({ role: z.enum(['owner', 'operator', 'viewer']).optional(), disabled: z.boolean().optional() })
      .strict()
      .parse(req.body);
    if (id === req.principal!.userId)
      throw new DaifaError('NOT_APPLICABLE', '不能修改自己的角色或停用自己 / you cannot change or disable yourself');
    if (!b.role && b.disabled === undefined)
      throw new DaifaError('VALIDATION', '请给出 role 或 disabled / nothing to change', {
        details: [{ field: 'role', message: 'role or disabled required' }],
      });
    await updateUser(app.db, id, { role: b.role as Role | undefined, disabled: b.disabled });
    return { ok: true };
  });
  // The add-shop wizard's last step: can Daifa get an access token with these credentials?
  api.post('/api/shops/:id/test', owner, async (req) => {
    const client = await app.clients.forShop(app.shops, positiveId(req.params));
    try {
      await client.accessToken();
      return { ok: true, message: '凭证有效，已取得 access token / credentials work' };
    } catch (err) {
      return { ok: false, message: `凭证测试失败 / credential test failed: ${(err as Error).message}` };
    }
  });
  api.put('/api/shops/:id/mode', owner, async (req) => {
    const id = positiveId(req.params);
    const { mode } = z.object({ mode: z.enum(['live', 'shadow']) }).parse(req.body);
    await app.shops.setMode(id, mode);
    return { mode };
  });

  // Live updates: one poller per process reads a few cheap "versions" each second and tells every open page.
  const feed = new ChangeFeed(app);
  api.addHook('onClose', async () => feed.stop());
  // Capped: a few open pages per user and a bound for the process (each stream holds a connection and a subscriber).
  const streams = new Map<number, number>();
  let openStreams = 0;
  api.get('/api/stream', async (req, reply) => {
    const user = req.principal!.userId;
    if ((streams.get(user) ?? 0) >= STREAMS_PER_USER || openStreams >= STREAMS_PER_PROCESS)
      throw new DaifaError('RATE_LIMITED', `实时更新连接过多（每个用户最多 ${STREAMS_PER_USER} 个页面）/ too many live-update streams`);
    streams.set(user, (streams.get(user) ?? 0) + 1);
    openStreams++;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    reply.raw.write('retry: 3000\n\n');
    const off = feed.subscribe((frame) => reply.raw.write(frame));
    req.raw.on('close', () => {
      off();
      openStreams--;
      const n = (streams.get(user) ?? 1) - 1;
      if (n > 0) streams.set(user, n);
      else streams.delete(user);
    });
  });

  api.get('/api/sandbox', async (req) => {
    if (!sandbox) throw new DaifaError('NOT_FOUND', '沙箱未开启 / sandbox mode is off');
    const info = (await sandbox.info()) as { emails?: { text?: string }[] };
    // The supplier e-mails carry the decoded address: their text is for owners only (as a decode is).
    const emails =
      req.principal!.role === 'owner'
        ? info.emails
        : info.emails?.map((m) => ({
            ...m,
            text: '（邮件正文含买家完整地址，仅管理员可见 / the body holds the buyer address: owners only）',
          }));
    return {
      ...info,
      emails,
      controls: sandbox.generator()?.controls() ?? null,
      faults: pickFaults(sandbox.knobs1688),
      clock: clockView(sandbox.clock),
    };
  });
  // 沙箱时间: run faster (rate ×1…×1440) or jump ahead (hours), so deadlines, late sellers and retries come in minutes.
  api.put('/api/sandbox/clock', operator, async (req) => {
    if (!sandbox?.clock)
      throw new DaifaError(
        'NOT_FOUND',
        '沙箱时间只在沙箱模式的单进程（npm start）中可调 / sandbox time is adjustable only with the sandbox in this process',
      );
    const b = clockBody.parse(req.body);
    if (b.rate !== undefined) sandbox.clock.setRate(b.rate);
    if (b.advanceHours !== undefined) sandbox.clock.advance(b.advanceHours * 3_600_000);
    sandbox.clockChanged?.();
    app.log.info({ rate: sandbox.clock.rate, offsetMs: Math.round(sandbox.clock.offsetMs) }, 'sandbox time changed');
    return clockView(sandbox.clock);
  });
  api.put('/api/sandbox/controls', operator, async (req) => {
    const g = sandbox?.generator();
    if (!sandbox || !g) throw new DaifaError('NOT_FOUND', '沙箱未开启 / sandbox mode is off');
    return g.set(controlsBody.parse(req.body));
  });
  api.put('/api/sandbox/faults', operator, async (req) => {
    if (!sandbox) throw new DaifaError('NOT_FOUND', '沙箱未开启 / sandbox mode is off');
    Object.assign(sandbox.knobs1688, faultKnobs.parse(req.body));
    return pickFaults(sandbox.knobs1688);
  });
  api.post('/api/sandbox/orders', operator, async (req) => {
    const g = sandbox?.generator();
    if (!sandbox || !g) throw new DaifaError('NOT_FOUND', '沙箱未开启 / sandbox mode is off');
    return { generated: g.generate(z.object({ count: z.number().int().min(1).max(200) }).parse(req.body).count) };
  });
}

/** Polls the database (so it sees changes made by any machine) and fans out to the open streams. */
class ChangeFeed {
  /** Each subscriber receives whole SSE frames. */
  private readonly subs = new Set<(frame: string) => void>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private last = '';
  private busy = false;

  constructor(private readonly app: App) {}

  subscribe(fn: (frame: string) => void): () => void {
    this.subs.add(fn);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), 1000);
      this.heartbeat = setInterval(() => this.send(': ping\n\n'), 15_000);
    }
    return () => {
      this.subs.delete(fn);
      if (!this.subs.size) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.timer = this.heartbeat = undefined;
    this.last = '';
  }

  private send(raw: string): void {
    for (const fn of this.subs) {
      try {
        fn(raw);
      } catch {
        /* a closed stream goes away on its own */
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const data = JSON.stringify(await changeVersions(this.app.db));
      if (data !== this.last) {
        this.last = data;
        // Lines of an SSE message must not contain a newline; JSON.stringify never adds one.
        this.send(`event: change\ndata: ${data}\n\n`);
      }
    } catch (err) {
      this.app.log.warn({ err }, 'change feed poll failed');
    } finally {
      this.busy = false;
    }
  }
}

/** Where `npm run build:ui` puts the dashboard. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Serve the built dashboard; any other GET outside /api and the webhooks gets index.html (client routing). */
export async function registerStaticUi(http: FastifyInstance): Promise<void> {
  const indexFile = `${WEB_DIST}index.html`;
  const built = existsSync(indexFile);
  // Read once: the build does not change under a running server.
  const index = built ? readFileSync(indexFile) : undefined;
  if (built) await http.register(fastifyStatic, { root: WEB_DIST, wildcard: false, index: false, maxAge: '1h', immutable: false });
  http.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (req.method !== 'GET' || path.startsWith('/api/') || path.startsWith('/webhooks/') || path.startsWith('/wechat/')) {
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `未找到 / not found: ${req.method} ${path}` } });
    }
    if (!index)
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><meta charset="utf-8"><p>控制台尚未构建，请运行 <code>npm run build:ui</code> / the dashboard is not built: run <code>npm run build:ui</code></p>',
        );
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  });
}
