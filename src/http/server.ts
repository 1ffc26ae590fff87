import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { listCases } from '../cases/queries.js';
import { listPayments, paymentsTotal, voucherCount } from '../payments/queries.js';
import { poMessages } from '../dashboard/queries.js';
import { listNotifications } from '../notify/queries.js';
import { orderRef } from '../orders/queries.js';
import { ping } from '../db/dialect.js';
import { ZodError, z } from 'zod';
import type { App } from '../app.js';
import { registerPushReceiver } from '../channels/wechat-shop/push-receiver.js';
import { registerAlibabaReceiver } from '../suppliers/alibaba-1688/message-receiver.js';
import { shopOrderStates } from '../domain/shop-order.lifecycle.js';
import { DaifaError } from '../lib/errors.js';
import { registerSecurityHeaders } from './security-headers.js';
import { findOrderId, listOrders, orderDetail, stats } from '../orders/queries.js';
import { approvalQueue, caseContext } from '../dashboard/queries.js';
import { resolveReview } from '../orders/review.js';
import { WECHAT_COURIERS } from '../fulfilment/couriers.js';
import { recordSupplierPartialRefund } from '../fulfilment/line-refunds.js';
import { decideBuyerRefund, REFUND_REASONS, type RefundReason } from '../orders/buyer-refund.js';
import { toPublic } from '../shops/shops.js';
import { ALERT_EVENTS, DEFAULT_ROUTES, loadSettings, maskSettings, saveSettings } from '../notify/settings.js';
import { CHANNELS } from '../notify/senders.js';
import { MappingsIO } from '../sourcing/mappings-io.js';
import { toCsv } from '../sourcing/csv.js';
import { recordSupplierReply } from '../purchasing/supplier-replies.js';
import { actionsOf, resolveCase } from '../cases/cases.js';
import { approveMapping } from '../sourcing/suggestions.js';
import { overrideSupplier } from '../sourcing/override.js';
import { addOffer, addSupplier, listSuppliers, loadWeights, saveWeights } from '../sourcing/catalogue-admin.js';
import { loadLimits, saveLimits } from '../payments/limits.js';
import { dailyMoney, reconcile, reconciliationCsv, reconciliationXlsx, recordEntry } from '../payments/ledger.js';
import { acceptPrice } from '../payments/price-change.js';
import { listVouchers, readVoucher, storeVoucher, validateVoucher, VOUCHER_MAX_BYTES, VOUCHERS_PER_PAYMENT } from '../payments/vouchers.js';
import { MoneyInputError } from '../domain/money-input.js';
import { fen, idempotencyKey, paidAtSchema, positiveFen } from './money-inputs.js';
import { authenticate, requireRole } from './auth.js';
import {
  issueToken,
  listTokens,
  login,
  revokeTokens,
  setPassword,
  signIn,
  TOKEN_DEFAULT_DAYS,
  TOKEN_MAX_DAYS,
} from '../security/accounts.js';
import { registerDashboardApi, registerStaticUi, type SandboxHooks } from './dashboard.js';
import { registerSessionRoutes } from './session.js';
import { collectRoutes } from './route-table.js';
import { takeDeliverEcho } from '../fulfilment/delivery-sync.js';
import { retryCase } from '../cases/retry.js';
import { confirmReadback } from '../purchasing/readback.js';
import { settleUnknownEmail } from '../purchasing/unknown-email.js';

export interface HttpOptions {
  /** Sandbox mode: the simulator's state and knobs for GET /api/sandbox and the 沙箱 page. */
  sandbox?: SandboxHooks;
}

const orderQuery = z.object({
  shopId: z.coerce.number().int().positive().optional(),
  state: z.enum(shopOrderStates).optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  q: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
});
const refundBody = z.object({
  lines: z.array(z.number().int().positive()).min(1).max(100).optional(),
  reason: z.enum(Object.keys(REFUND_REASONS) as [RefundReason, ...RefundReason[]]).default('10000001'),
  note: z.string().trim().min(1, '请填写退款说明 / note is required').max(1000),
});
const reviewBody = z
  .object({
    decision: z.enum(['confirm', 'cancel']),
    note: z.string().trim().min(1, '请填写处理说明 / note is required').max(1000),
    specChanges: z
      .array(
        z
          .object({ lineNo: z.number().int().positive(), skuId: z.string().regex(/^\d{1,20}$/, 'SKU ID 应为数字 / numeric SKU id') })
          .strict(),
      )
      .max(50)
      .optional(),
  })
  .strict();
const idParam = z.object({ id: z.string().min(1).max(32) });
const decodeBody = z.object({ purpose: z.string().trim().min(2).max(200), destination: z.string().trim().min(2).max(200) });

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
    const operator = { preHandler: requireRole('operator') };
    const owner = { preHandler: requireRole('owner') };

    api.get('/api/me', async (req) => req.principal);
    // Change one's own password: the current one is checked first.
    api.post('/api/me/password', async (req) => {
      const b = z.object({ currentPassword: z.string().min(1), newPassword: z.string().max(200) }).parse(req.body);
      // A wrong current password is a field error (not 401: the session itself is fine).
      await login(app.db, req.principal!.username, b.currentPassword).catch(() => {
        throw new DaifaError('VALIDATION', '当前密码不正确 / the current password is wrong', {
          details: [{ field: 'currentPassword', message: 'wrong password' }],
        });
      });
      await setPassword(app.db, req.principal!.username, b.newPassword);
      return { ok: true };
    });
    // One's own API tokens: which exist (never the secret), and revoking one (a script retired, a token leaked).
    api.get('/api/me/tokens', async (req) => ({ tokens: await listTokens(app.db, req.principal!.userId, req.headers.authorization) }));
    api.delete('/api/me/tokens/:id', async (req) => ({
      revoked: await revokeTokens(
        app.db,
        req.principal!.userId,
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
      ),
    }));
    api.get('/api/orders', async (req) => listOrders(app.db, orderQuery.parse(req.query)));
    // The order list as a CSV file (the same filters as the list; up to 10,000 orders, newest first; Excel opens it).
    api.get('/api/orders/export', async (req, reply) => {
      const f = orderQuery.omit({ cursor: true, limit: true }).parse(req.query);
      const rows: (string | number)[][] = [
        [
          '微信订单号 wx_order_id',
          '状态 state',
          '商品 products',
          '金额(元) amount',
          '最晚发货 ship_by',
          '收件人(脱敏) receiver',
          '付款时间 paid_at',
          '店铺 shop',
        ],
      ];
      const cn = (s: number | null) => (s ? new Date(s * 1000 + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19) : '');
      for (let cursor: string | undefined, n = 0; n < 50; n++) {
        const page = await listOrders(app.db, { ...f, cursor, limit: 200 });
        for (const o of page.orders)
          rows.push([
            o.wxOrderId,
            o.stateLabel,
            o.products,
            (Number(o.orderPrice) / 100).toFixed(2),
            cn(o.shipBy),
            o.receiver,
            cn(o.payTime),
            o.shopName,
          ]);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="orders.csv"').send(toCsv(rows));
    });
    api.get('/api/orders/:id', async (req) => orderDetail(app.db, await findOrderId(app.db, idParam.parse(req.params).id)));
    api.post('/api/orders/:id/review', operator, async (req) => {
      const b = reviewBody.parse(req.body);
      const id = await findOrderId(app.db, idParam.parse(req.params).id);
      return resolveReview(app.db, app.clock, {
        shopOrderId: id,
        decision: b.decision,
        note: b.note,
        specChanges: b.specChanges,
        actor: `user:${req.principal!.username}`,
      });
    });
    // 退款给买家: the whole order or some lines (not held by a live supplier order), with WeChat's 售后原因.
    api.post('/api/orders/:id/refund-buyer', operator, async (req) => {
      const b = refundBody.parse(req.body);
      const id = await findOrderId(app.db, idParam.parse(req.params).id);
      return decideBuyerRefund(app.db, app.clock, {
        shopOrderId: id,
        lines: b.lines,
        reason: b.reason,
        note: b.note,
        actor: `user:${req.principal!.username}`,
      });
    });
    api.post('/api/orders/:id/lines/:lineNo/supplier', operator, async (req) => {
      const id = await findOrderId(app.db, idParam.parse(req.params).id);
      const lineNo = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { lineNo: string }).lineNo);
      const b = z
        .object({ supplierId: z.number().int().positive(), reason: z.string().trim().min(1, '请说明原因 / reason required').max(500) })
        .parse(req.body);
      return overrideSupplier(app.db, app.clock, {
        shopOrderId: id,
        lineNo,
        supplierId: b.supplierId,
        reason: b.reason,
        actor: `user:${req.principal!.username}`,
      });
    });
    api.post('/api/orders/:id/decode', owner, async (req) => {
      const b = decodeBody.parse(req.body);
      const id = await findOrderId(app.db, idParam.parse(req.params).id);
      const o = await orderRef(app.db, id);
      const address = await app.decode.decode({
        shopId: o.shop_id,
        wxOrderId: o.wx_order_id,
        actor: `user:${req.principal!.username}`,
        purpose: b.purpose,
        destination: b.destination,
      });
      return { address };
    });
    api.get('/api/stats', async (req) =>
      stats(app.db, { shopId: z.object({ shopId: z.coerce.number().int().positive().optional() }).parse(req.query).shopId }),
    );
    api.get('/api/jobs', async (req) => {
      const q = z
        .object({
          status: z.enum(['pending', 'running', 'done', 'dead']).optional(),
          kind: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        })
        .parse(req.query);
      return { jobs: await app.queue.list(q) };
    });
    api.post('/api/jobs/:id/retry', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const n = await app.queue.retryDead([id]);
      if (n === 0) throw new DaifaError('CONFLICT', `任务 ${id} 不是失败任务 / job ${id} is not dead`);
      return { retried: n };
    });
    api.post('/api/jobs/retry-dead', operator, async () => ({ retried: await app.queue.retryDead('all') }));
    api.get('/api/shops', async () => ({ shops: await app.shops.list() }));
    api.post('/api/shops', owner, async (req) => {
      const shop = await app.shops.add(req.body as never);
      await app.poller.ensureScheduled();
      return { shop, webhookUrl: `${app.config.publicUrl ?? `http://<your-host>:${app.config.port}`}${shop.webhookPath}` };
    });
    api.get('/api/notifications', async (req) => {
      const q = z
        .object({
          status: z.enum(['pending', 'sending', 'sent', 'failed', 'folded', 'digested']).optional(),
          event: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        })
        .parse(req.query);
      return { notifications: await listNotifications(app.db, q) };
    });
    api.post('/api/notifications/retry-failed', operator, async () => ({ retried: await app.notifier.retryFailed() }));
    // What the alert-rules form offers: the events, the channels, and where each event goes by default.
    api.get('/api/alerts/catalog', async () => ({ events: ALERT_EVENTS, channels: CHANNELS, defaults: DEFAULT_ROUTES }));
    // Recipients are masked for everyone (the robot key, phones and addresses are secrets); saving them back unchanged keeps them.
    api.get('/api/shops/:id/alerts', async (req) =>
      maskSettings(
        await loadSettings(
          app.db.kysely,
          app.box,
          z.coerce
            .number()
            .int()
            .min(0)
            .parse((req.params as { id: string }).id),
        ),
      ),
    );
    api.put('/api/shops/:id/alerts', owner, async (req) => {
      const shopId = z.coerce
        .number()
        .int()
        .min(0)
        .parse((req.params as { id: string }).id);
      const settings = await saveSettings(app.db, app.box, app.outbound, shopId, req.body, app.clock.now());
      await app.notifier.ensureDigestsScheduled();
      return maskSettings(settings);
    });
    // SKU ↔ supplier-offer mappings: export as CSV or Excel; import either (bad rows reported, good rows kept).
    const mappings = new MappingsIO(app.db, app.clock);
    api.get('/api/shops/:id/mappings', async (req, reply) => {
      const shopId = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const format = z
        .enum(['csv', 'xlsx'])
        .default('csv')
        .parse((req.query as { format?: string }).format);
      if (format === 'xlsx')
        return reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="mappings-${shopId}.xlsx"`)
          .send(await mappings.exportXlsx(shopId));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="mappings-${shopId}.csv"`)
        .send(await mappings.exportCsv(shopId));
    });
    api.register(async (upload) => {
      upload.addContentTypeParser(
        ['text/csv', 'application/octet-stream', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 },
        (_r, body, done) => done(null, body),
      );
      upload.post('/api/shops/:id/mappings', { preHandler: requireRole('operator') }, async (req) => {
        const shopId = z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id);
        const body = req.body as Buffer;
        if (!Buffer.isBuffer(body) || body.length === 0)
          throw new DaifaError('VALIDATION', '请上传 CSV 或 .xlsx 文件 / upload a CSV or .xlsx file');
        // .xlsx files are zip archives ("PK"); anything else is read as CSV text.
        return body[0] === 0x50 && body[1] === 0x4b ? mappings.importXlsx(shopId, body) : mappings.importCsv(shopId, body.toString('utf8'));
      });
    });
    api.get('/api/purchase-orders/:id/messages', async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      return { messages: await poMessages(app.db, id) };
    });
    api.post('/api/purchase-orders/:id/messages', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z
        .object({
          body: z.string().trim().min(1).max(5000),
          supplierOrderId: z.string().max(64).optional(),
          courier: z.string().max(32).optional(),
          trackingNumber: z.string().max(64).optional(),
          stockOut: z.boolean().optional(),
        })
        .parse(req.body);
      return recordSupplierReply(
        app.db,
        app.clock,
        { purchaseOrderId: id, actor: `user:${req.principal!.username}`, ...b },
        (poId) => app.placement.supplierStockOut(poId),
        (poId, courier, waybill) => app.tracking.recordManual(poId, { courier, waybill, actor: `user:${req.principal!.username}` }),
      );
    });
    // 1688 OAuth: the URL to send the merchant to, and the callback exchange (code valid 2 minutes).
    api.get('/api/alibaba/authorize-url', owner, async (req) => {
      const q = z
        .object({ appKey: z.string().min(1), redirectUri: z.string().url(), state: z.string().max(64).optional() })
        .parse(req.query);
      return {
        url: `https://auth.1688.com/oauth/authorize?client_id=${encodeURIComponent(q.appKey)}&site=1688&redirect_uri=${encodeURIComponent(q.redirectUri)}&state=${encodeURIComponent(q.state ?? '')}`,
      };
    });
    api.post('/api/alibaba/connect', owner, async (req) => {
      const b = z
        .object({ appKey: z.string().min(1), appSecret: z.string().min(1), code: z.string().min(1), redirectUri: z.string().url() })
        .parse(req.body);
      return { accountId: await app.alibaba.connect(b) };
    });
    api.get('/api/alibaba/accounts', async () => ({
      accounts: await app.alibaba.list(),
    }));
    api.get('/api/suppliers', async () => ({ suppliers: await listSuppliers(app.db) }));
    api.post('/api/suppliers', owner, async (req) => ({ id: await addSupplier(app.db, req.body, app.clock.now()) }));
    api.post('/api/suppliers/:id/offers', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      return { id: await addOffer(app.db, id, req.body, app.clock.now()) };
    });
    api.get('/api/shops/:id/scoring-weights', async (req) =>
      loadWeights(
        app.db.kysely,
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
      ),
    );
    api.put('/api/shops/:id/scoring-weights', owner, async (req) =>
      saveWeights(
        app.db,
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
        req.body,
      ),
    );
    api.get('/api/payments', async (req) => {
      const q = z
        .object({ status: z.enum(['AwaitingApproval', 'AwaitingPayer', 'Paying', 'Paid', 'Rejected', 'Blocked', 'Failed']).optional() })
        .parse(req.query);
      return { payments: await listPayments(app.db, q) };
    });
    // 待审批付款 as an owner decides them (order, product, supplier, margin), with the queue's count and total.
    api.get('/api/payments/approvals', async (req) =>
      approvalQueue(
        app.db,
        z
          .object({
            shopId: z.coerce.number().int().positive().optional(),
            limit: z.coerce.number().int().min(1).max(200).optional(),
            cursor: z.coerce.number().int().positive().optional(),
          })
          .parse(req.query),
      ),
    );
    // Approve several at once: each is decided like one approve (only while it still awaits approval); the answer
    // lists what was approved (with the total) and what was not, with why.
    api.post('/api/payments/approve-batch', owner, async (req) => {
      const b = z
        .object({
          paymentIds: z.array(z.number().int().positive()).min(1).max(200, '一次最多 200 笔 / at most 200'),
          note: z.string().max(500).optional(),
        })
        .parse(req.body);
      const { done: approved, refused } = await eachOnce(b.paymentIds, (id) =>
        app.payments.decideApproval(id, { approve: true, actor: `user:${req.principal!.username}`, note: b.note ?? '批量批准' }),
      );
      const total = await paymentsTotal(app.db, approved);
      return { approved, total, refused: refused.map((r) => ({ paymentId: r.id, reason: r.reason })) };
    });
    api.post('/api/payments/:id/approve', owner, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ note: z.string().max(500).optional() }).parse(req.body ?? {});
      return { status: await app.payments.decideApproval(id, { approve: true, actor: `user:${req.principal!.username}`, note: b.note }) };
    });
    api.post('/api/payments/:id/reject', owner, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ note: z.string().trim().min(1, '请说明原因 / reason required').max(500) }).parse(req.body);
      return { status: await app.payments.decideApproval(id, { approve: false, actor: `user:${req.principal!.username}`, note: b.note }) };
    });
    api.post('/api/payments/link', owner, async (req) => {
      const b = z
        .object({ paymentIds: z.array(z.number().int().positive()).min(1).max(100, '一次最多 100 笔 / at most 100') })
        .parse(req.body);
      return app.payments.paymentLink(b.paymentIds, `user:${req.principal!.username}`);
    });
    api.post('/api/payments/:id/check', operator, async (req) => ({
      status: await app.payments.checkNow(
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
      ),
    }));
    api.post('/api/payments/:id/record', owner, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z
        .object({
          amount: positiveFen,
          paidAt: paidAtSchema(app.clock.now()),
          reference: z.string().trim().min(2, '请填写转账流水号或参考号 / reference required').max(100),
          channel: z.enum(['bank_transfer', 'other']).default('bank_transfer'),
        })
        .parse(req.body);
      return { status: await app.payments.recordManual(id, { ...b, actor: `user:${req.principal!.username}` }) };
    });
    api.get('/api/payments/:id/vouchers', async (req) => ({
      vouchers: await listVouchers(
        app.db,
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
      ),
    }));
    api.get('/api/vouchers/:id', async (req, reply) => {
      const v = await readVoucher(
        app.db,
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
      );
      return reply
        .type(v.mime)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(v.fileName)}`)
        .header('x-content-sha256', v.sha256)
        .send(v.content);
    });
    // Vouchers arrive as the raw file body (Content-Type image/png|jpeg|webp or application/pdf); checked before storing.
    api.register(async (upload) => {
      upload.removeAllContentTypeParsers();
      upload.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: VOUCHER_MAX_BYTES * 2 }, (_r, body, done) => done(null, body));
      upload.post('/api/payments/:id/vouchers', operator, async (req, reply) => {
        const id = z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id);
        const q = z.object({ fileName: z.string().max(200).optional() }).parse(req.query);
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const kind = validateVoucher(bytes, req.headers['content-type']);
        if ((await voucherCount(app.db, id)) >= VOUCHERS_PER_PAYMENT)
          throw new DaifaError(
            'CONFLICT',
            `每笔付款最多 ${VOUCHERS_PER_PAYMENT} 个凭证 / at most ${VOUCHERS_PER_PAYMENT} vouchers per payment`,
          );
        const v = await storeVoucher(
          app.db.kysely,
          {
            paymentId: id,
            kind: 'upload',
            fileName: q.fileName ?? `voucher.${kind.ext}`,
            mime: kind.mime,
            bytes,
            actor: `user:${req.principal!.username}`,
          },
          app.clock.now(),
        );
        return reply.code(v.created ? 201 : 200).send(v);
      });
    });
    api.post('/api/orders/:id/ledger', owner, async (req) => {
      const shopOrderId = await findOrderId(app.db, idParam.parse(req.params).id);
      const b = z
        .object({
          kind: z.enum(['refund_to_buyer', 'refund_from_supplier', 'commission', 'correction']),
          amount: fen,
          note: z.string().trim().min(1).max(500),
          purchaseOrderId: z.number().int().positive().optional(),
          ref: z.string().max(100).optional(),
        })
        .parse(req.body);
      // Idempotent by key: the same correction submitted twice (a double click, a retry) is booked once.
      return recordEntry(
        app.db,
        { shopOrderId, ...b, ref: idempotencyKey(req, b.ref), actor: `user:${req.principal!.username}` },
        app.clock.now(),
      );
    });
    const dayStr = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式 YYYY-MM-DD / date as YYYY-MM-DD');
    api.get('/api/money/daily', async (req) => {
      const q = z.object({ shopId: z.coerce.number().int().positive().optional(), from: dayStr, to: dayStr }).parse(req.query);
      return { days: await dailyMoney(app.db, q) };
    });
    api.get('/api/money/reconciliation', async (req, reply) => {
      const q = z
        .object({
          shopId: z.coerce.number().int().positive().optional(),
          day: dayStr,
          format: z.enum(['json', 'csv', 'xlsx']).default('json'),
        })
        .parse(req.query);
      const r = await reconcile(app.db, q);
      if (q.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="reconciliation-${q.day}.csv"`)
          .send(reconciliationCsv(r));
      if (q.format === 'xlsx')
        return reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="reconciliation-${q.day}.xlsx"`)
          .send(await reconciliationXlsx(r));
      return r;
    });
    // 采购价变化 in bulk: each case accepted as one would be (its margin re-checked against the floor); the answer
    // lists the accepted and the refused, with why.
    api.post('/api/cases/accept-price-batch', owner, async (req) => {
      const b = z
        .object({
          caseIds: z.array(z.number().int().positive()).min(1).max(500, '一次最多 500 个 / at most 500'),
          note: z.string().max(500).optional(),
        })
        .parse(req.body);
      const r = await eachOnce(b.caseIds, (id) =>
        acceptPrice(app.db, app.clock, { caseId: id, actor: `user:${req.principal!.username}`, note: b.note ?? '批量接受新价格' }),
      );
      return { accepted: r.done, refused: r.refused.map((x) => ({ caseId: x.id, reason: x.reason })) };
    });
    api.post('/api/cases/:id/accept-price', owner, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ note: z.string().max(500).optional() }).parse(req.body ?? {});
      return acceptPrice(app.db, app.clock, { caseId: id, actor: `user:${req.principal!.username}`, note: b.note });
    });
    api.post('/api/cases/:id/confirm-readback', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ note: z.string().trim().min(2).max(500) }).parse(req.body ?? {});
      return confirmReadback(app.db, app.clock, { caseId: id, actor: `user:${req.principal!.username}`, note: b.note });
    });
    api.post('/api/cases/:id/email-outcome', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ sent: z.boolean(), note: z.string().trim().min(2).max(500) }).parse(req.body ?? {});
      return settleUnknownEmail(app.db, app.clock, { caseId: id, sent: b.sent, actor: `user:${req.principal!.username}`, note: b.note });
    });
    api.get('/api/purchase-orders/:id/forecast', async (req) => {
      const f = await app.deadlines.forecast(
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
      );
      if (!f) throw new DaifaError('NOT_FOUND', '没有发货期限信息 / no deadline known');
      return f;
    });
    api.post('/api/purchase-orders/:id/expedite', operator, async (req) =>
      app.deadlines.expedite(
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
        `user:${req.principal!.username}`,
      ),
    );
    api.post('/api/purchase-orders/:id/contact', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ body: z.string().trim().min(2, '请填写内容 / message required').max(2000) }).parse(req.body);
      return app.deadlines.contact(id, b.body, `user:${req.principal!.username}`);
    });
    api.post('/api/purchase-orders/:id/tracking', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ courier: z.string().trim().min(1).max(40), waybill: z.string().trim().min(6).max(32) }).parse(req.body);
      return { packageId: await app.tracking.recordManual(id, { ...b, actor: `user:${req.principal!.username}` }) };
    });
    api.post('/api/cases/:id/supplier-refund', owner, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z
        .object({ amount: positiveFen, reference: z.string().trim().min(1).max(100), note: z.string().trim().min(1).max(500) })
        .parse(req.body);
      return recordSupplierPartialRefund(app.db, app.clock, { caseId: id, ...b, actor: `user:${req.principal!.username}` });
    });
    api.get('/api/couriers', async () => ({
      couriers: Object.entries(WECHAT_COURIERS)
        .filter(([id]) => id !== 'OTHER')
        .map(([deliveryId, name]) => ({ deliveryId, name })),
    }));
    api.post('/api/cases/:id/courier', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ deliveryId: z.string().trim().min(1).max(20) }).parse(req.body);
      return app.tracking.setCourier(id, b.deliveryId, `user:${req.principal!.username}`);
    });
    api.post('/api/purchase-orders/:id/supplier-settled', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z
        .object({
          note: z.string().trim().min(2).max(500),
          amount: positiveFen.optional(),
          reference: z.string().trim().max(100).optional(),
        })
        .parse(req.body ?? {});
      return app.unwind.supplierSettled(id, {
        actor: `user:${req.principal!.username}`,
        note: b.note,
        amount: b.amount,
        reference: b.reference,
      });
    });
    api.post('/api/purchase-orders/:id/stock-out', operator, async (req) => ({
      outcome: await app.placement.supplierStockOut(
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
      ),
    }));
    api.post('/api/orders/:id/delivery-negotiation', operator, async (req) => {
      const shopOrderId = await findOrderId(app.db, idParam.parse(req.params).id);
      const b = z
        .object({
          predictDeliveryTime: z.union([
            z.number().int().positive(),
            z
              .string()
              .datetime({ offset: true })
              .transform((t) => Math.floor(Date.parse(t) / 1000)),
          ]),
          reason: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
          remark: z.string().trim().min(2).max(200),
        })
        .parse(req.body);
      return { negotiationId: await app.deadlines.negotiate(shopOrderId, { ...b, actor: `user:${req.principal!.username}` }) };
    });
    api.get('/api/shops/:id/payment-limits', async (req) =>
      loadLimits(
        app.db.kysely,
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
      ),
    );
    api.put('/api/shops/:id/payment-limits', owner, async (req) => {
      const shopId = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间格式 HH:MM / time as HH:MM');
      const limits = z
        .object({
          maxPerOrder: fen.positive(),
          maxPerDay: fen.positive(),
          minMargin: fen,
          approvalAbove: fen.min(0),
          payHours: z.object({ from: hhmm, to: hhmm }).nullable().optional(),
          method1688: z.enum(['protocol', 'link']).optional(),
          autoAcceptRise: fen.min(0).optional(),
        })
        .parse(req.body);
      await saveLimits(app.db, shopId, limits, app.clock.now());
      return limits;
    });
    api.get('/api/cases', async (req) => {
      const q = z
        .object({
          state: z.enum(['Open', 'Resolved', 'Dismissed']).optional(),
          kind: z.string().max(64).optional(),
          shopId: z.coerce.number().int().positive().optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          order: z.enum(['asc', 'desc']).optional(),
          cursor: z.coerce.number().int().positive('cursor 无效 / invalid cursor').optional(),
        })
        .parse(req.query);
      // `nextCursor` is there while more remain.
      const { cases: page, more } = await listCases(app.db, q);
      const context = await caseContext(
        app.db,
        page.map((c) => c.shop_order_id).filter((x): x is number => x !== null),
      );
      return {
        cases: page.map((c) => ({
          ...c,
          actions: actionsOf(c.kind, c.actions),
          data: c.data ? JSON.parse(c.data) : null,
          order: c.shop_order_id ? context.get(c.shop_order_id) : undefined,
        })),
        nextCursor: more ? String(page[page.length - 1]!.id) : null,
      };
    });
    api.post('/api/cases/:id/consent', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z
        .object({ answer: z.enum(['agreed', 'refused']), note: z.string().trim().min(1, '请记录买家答复 / note required').max(1000) })
        .parse(req.body);
      return app.consent.record({ caseId: id, answer: b.answer, note: b.note, actor: `user:${req.principal!.username}` });
    });
    api.post('/api/cases/:id/substitute', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z
        .object({ offerRef: z.number().int().positive(), note: z.string().trim().min(1, '请说明替换原因 / note required').max(500) })
        .parse(req.body);
      return app.consent.proposeSubstitute({ caseId: id, ...b, actor: `user:${req.principal!.username}` });
    });
    api.post('/api/cases/:id/approve-mapping', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z
        .object({ offerRef: z.number().int().positive(), quantityPerUnit: z.number().int().min(1).max(10_000).default(1) })
        .parse(req.body);
      return approveMapping(app.db, app.clock, {
        caseId: id,
        offerRef: b.offerRef,
        quantityPerUnit: b.quantityPerUnit,
        actor: `user:${req.principal!.username}`,
      });
    });
    api.post('/api/cases/:id/retry', operator, async (req) =>
      retryCase(
        app,
        z.coerce
          .number()
          .int()
          .positive()
          .parse((req.params as { id: string }).id),
        `user:${req.principal!.username}`,
      ),
    );
    api.post('/api/cases/:id/resolve', operator, async (req) => {
      const id = z.coerce
        .number()
        .int()
        .positive()
        .parse((req.params as { id: string }).id);
      const b = z.object({ resolution: z.string().trim().min(1).max(1000), dismiss: z.boolean().optional() }).parse(req.body);
      await resolveCase(
        app.db,
        { caseId: id, resolution: b.resolution, actor: `user:${req.principal!.username}`, dismiss: b.dismiss },
        app.clock.now(),
      );
      return { ok: true };
    });
    registerDashboardApi(api, app, opts.sandbox);
  });

  return http;
}

export { toPublic };

/**
 * A batch action: each id once, one after the other, each decided as a single request would be; an id the action
 * refuses (a DaifaError: decided meanwhile, margin below the floor …) is listed with why, anything else fails the batch.
 */
async function eachOnce(
  ids: number[],
  act: (id: number) => Promise<unknown>,
): Promise<{ done: number[]; refused: { id: number; reason: string }[] }> {
  const done: number[] = [];
  const refused: { id: number; reason: string }[] = [];
  for (const id of [...new Set(ids)]) {
    try {
      await act(id);
      done.push(id);
    } catch (err) {
      if (!(err instanceof DaifaError)) throw err;
      refused.push({ id, reason: err.message });
    }
  }
  return { done, refused };
}
