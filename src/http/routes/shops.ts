import { listNotifications } from '../../notify/queries.js';
import { positiveId } from './inputs.js';
import { z } from 'zod';
import type { App } from '../../app.js';
import { DaifaError } from '../../lib/errors.js';
import { ALERT_EVENTS, DEFAULT_ROUTES, loadSettings, maskSettings, saveSettings } from '../../notify/settings.js';
import { CHANNELS } from '../../notify/senders.js';
import { MappingsIO } from '../../sourcing/mappings-io.js';
import { loadWeights, saveWeights } from '../../sourcing/catalogue-admin.js';
import { loadLimits, saveLimits } from '../../payments/limits.js';
import { fen } from '../money-inputs.js';
import { requireRole } from '../auth.js';
import type { FastifyInstance as Api } from 'fastify';
import type { Guards } from './guards.js';

/** Shops: adding one, its alert rules and the alerts sent, mappings, scoring weights, payment limits. */
export function shopRoutes(api: Api, app: App, { operator, owner }: Guards): void {
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
  // The day's buyer-data decodes against the quota: people and supplier orders (1688, e-mail) draw on the same one.
  api.get('/api/shops/:id/decode-usage', async (req) => {
    const shopId = positiveId(req.params);
    await app.shops.credentialsById(shopId); // NOT_FOUND for a shop that does not exist (cached after the first read)
    return app.decode.usage(shopId);
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
    const shopId = positiveId(req.params);
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
      const shopId = positiveId(req.params);
      const body = req.body as Buffer;
      if (!Buffer.isBuffer(body) || body.length === 0)
        throw new DaifaError('VALIDATION', '请上传 CSV 或 .xlsx 文件 / upload a CSV or .xlsx file');
      // .xlsx files are zip archives ("PK"); anything else is read as CSV text.
      return body[0] === 0x50 && body[1] === 0x4b ? mappings.importXlsx(shopId, body) : mappings.importCsv(shopId, body.toString('utf8'));
    });
  });
  api.get('/api/shops/:id/scoring-weights', async (req) => loadWeights(app.db.kysely, positiveId(req.params)));
  api.put('/api/shops/:id/scoring-weights', owner, async (req) => saveWeights(app.db, positiveId(req.params), req.body));
  api.get('/api/shops/:id/payment-limits', async (req) => loadLimits(app.db.kysely, positiveId(req.params)));
  api.put('/api/shops/:id/payment-limits', owner, async (req) => {
    const shopId = positiveId(req.params);
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
}
