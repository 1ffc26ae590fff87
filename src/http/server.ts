import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ping } from '../db/dialect.js';
import { ZodError, z } from 'zod';
import type { App } from '../app.js';
import { registerPushReceiver } from '../channels/wechat-shop/push-receiver.js';
import { registerAlibabaReceiver } from '../suppliers/alibaba-1688/message-receiver.js';
import { DaifaError } from '../lib/errors.js';
import { registerSecurityHeaders } from './security-headers.js';
import { toPublic } from '../shops/shops.js';
import { MoneyInputError } from '../domain/money-input.js';
import { authenticate } from './auth.js';
import { issueToken, signIn, TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS } from '../security/accounts.js';
import { registerDashboardApi, registerStaticUi, type SandboxHooks } from './dashboard.js';
import { registerSessionRoutes } from './session.js';
import { collectRoutes } from './route-table.js';
import { takeDeliverEcho } from '../fulfilment/delivery-sync.js';

import { guards } from './routes/guards.js';
import { meRoutes } from './routes/me.js';
import { orderRoutes } from './routes/orders.js';
import { jobRoutes } from './routes/jobs.js';
import { shopRoutes } from './routes/shops.js';
import { purchaseOrderRoutes } from './routes/purchase-orders.js';
import { supplierRoutes } from './routes/suppliers.js';
import { paymentRoutes } from './routes/payments.js';
import { caseRoutes } from './routes/cases.js';

export interface HttpOptions {
  /** Sandbox mode: the simulator's state and knobs for GET /api/sandbox and the 沙箱 page. */
  sandbox?: SandboxHooks;
}

/** JSON HTTP API (the dashboard is built on it) plus the WeChat push receiver. */
export async function buildHttp(app: App, opts: HttpOptions = {}): Promise<FastifyInstance> {
  const http = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  const routes = collectRoutes(http);
  await registerSecurityHeaders(http, { https: (app.config.publicUrl ?? '').startsWith('https://') });

  http.setErrorHandler((err: FastifyError | DaifaError | ZodError, req, reply) => {
    if (err instanceof ZodError) {
      return reply.code(400).send({
        error: {
          code: 'VALIDATION',
          message: '请求参数不正确 / invalid request',
          fields: err.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
        },
      });
    }
    if (err instanceof MoneyInputError)
      return reply
        .code(400)
        .send({ error: { code: 'VALIDATION', message: err.message, fields: [{ field: err.field, message: err.message }] } });
    if (err instanceof DaifaError) {
      const fields = Array.isArray(err.details) ? err.details : undefined;
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...(fields ? { fields } : {}) } });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status === 413) return reply.code(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: '请求体过大 / payload too large' } });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: { code: 'BAD_REQUEST', message: err.message } });
    app.log.error({ err, url: req.url }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: '内部错误，已记录 / internal error (logged)' } });
  });

  registerAlibabaReceiver(http, { events: app.events, accounts: app.alibaba, queue: app.queue, log: app.log });
  registerPushReceiver(http, {
    events: app.events,
    queue: app.queue,
    shops: app.shops,
    log: app.log,
    bodyLimit: app.config.pushBodyLimit,
    deliverEcho: takeDeliverEcho,
    maxAgeSeconds: app.config.pushMaxAgeSeconds,
    now: () => app.clock.now(),
  });

  http.get('/health', async () => {
    await ping(app.db);
    return { ok: true };
  });

  // Token login (scripts, the CLI): the same attempt limit as the dashboard's; the token expires and may be read-only.
  http.post('/api/auth/login', async (req) => {
    const b = z
      .object({
        username: z.string().trim().min(1).max(64),
        password: z.string().min(1).max(200),
        tokenName: z.string().max(64).optional(),
        expiresInDays: z.number().int().min(1).max(TOKEN_MAX_DAYS).optional(),
        scope: z.enum(['full', 'read']).optional(),
      })
      .parse(req.body);
    const now = app.clock.now();
    const p = await signIn(app.db, { username: b.username, password: b.password, address: req.ip }, now);
    const days = b.expiresInDays ?? TOKEN_DEFAULT_DAYS;
    const token = await issueToken(app.db, p.userId, b.tokenName ?? 'login', now, { expiresInDays: days, scope: b.scope });
    return { token, expiresAt: now + days * 86_400_000, scope: b.scope ?? 'full', user: { username: p.username, role: p.role } };
  });

  registerSessionRoutes(http, app.db, app.clock, { secureCookie: (app.config.publicUrl ?? '').startsWith('https://') });
  await registerStaticUi(http);

  http.register(async (api) => {
    api.addHook(
      'onRequest',
      authenticate(app.db, () => app.clock.now()),
    );
    routes.signedIn(api);
    const roles = guards();
    meRoutes(api, app, roles);
    orderRoutes(api, app, roles);
    jobRoutes(api, app, roles);
    shopRoutes(api, app, roles);
    purchaseOrderRoutes(api, app, roles);
    supplierRoutes(api, app, roles);
    paymentRoutes(api, app, roles);
    caseRoutes(api, app, roles);
    registerDashboardApi(api, app, opts.sandbox);
  });

  return http;
}

export { toPublic };
