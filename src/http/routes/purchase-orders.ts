import { poMessages } from '../../dashboard/queries.js';
import { positiveId } from './inputs.js';
import { z } from 'zod';
import type { App } from '../../app.js';
import { DaifaError } from '../../lib/errors.js';
import { recordSupplierReply } from '../../purchasing/supplier-replies.js';
import { positiveFen } from '../money-inputs.js';
import type { FastifyInstance as Api } from 'fastify';
import type { Guards } from './guards.js';

/** Supplier orders: the e-mail thread, 催发货, 联系供应商, tracking numbers, forecasts, a supplier that settled or ran out. */
export function purchaseOrderRoutes(api: Api, app: App, { operator }: Guards): void {
  api.get('/api/purchase-orders/:id/messages', async (req) => {
    const id = positiveId(req.params);
    return { messages: await poMessages(app.db, id) };
  });
  api.post('/api/purchase-orders/:id/messages', operator, async (req) => {
    const id = positiveId(req.params);
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
  api.get('/api/purchase-orders/:id/forecast', async (req) => {
    const f = await app.deadlines.forecast(positiveId(req.params));
    if (!f) throw new DaifaError('NOT_FOUND', '没有发货期限信息 / no deadline known');
    return f;
  });
  api.post('/api/purchase-orders/:id/expedite', operator, async (req) =>
    app.deadlines.expedite(positiveId(req.params), `user:${req.principal!.username}`),
  );
  api.post('/api/purchase-orders/:id/contact', operator, async (req) => {
    const id = positiveId(req.params);
    const b = z.object({ body: z.string().trim().min(2, '请填写内容 / message required').max(2000) }).parse(req.body);
    return app.deadlines.contact(id, b.body, `user:${req.principal!.username}`);
  });
  api.post('/api/purchase-orders/:id/tracking', operator, async (req) => {
    const id = positiveId(req.params);
    const b = z.object({ courier: z.string().trim().min(1).max(40), waybill: z.string().trim().min(6).max(32) }).parse(req.body);
    return { packageId: await app.tracking.recordManual(id, { ...b, actor: `user:${req.principal!.username}` }) };
  });
  api.post('/api/purchase-orders/:id/supplier-settled', operator, async (req) => {
    const id = positiveId(req.params);
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
    outcome: await app.placement.supplierStockOut(positiveId(req.params)),
  }));
}
