import { listCases } from '../../cases/queries.js';
import { z } from 'zod';
import type { App } from '../../app.js';
import { caseContext } from '../../dashboard/queries.js';
import { recordSupplierPartialRefund } from '../../fulfilment/line-refunds.js';
import { actionsOf, resolveCase } from '../../cases/cases.js';
import { approveMapping } from '../../sourcing/suggestions.js';
import { acceptPrice } from '../../payments/price-change.js';
import { positiveFen } from '../money-inputs.js';
import { retryCase } from '../../cases/retry.js';
import { confirmReadback } from '../../purchasing/readback.js';
import { settleUnknownEmail } from '../../purchasing/unknown-email.js';
import type { FastifyInstance as Api } from 'fastify';
import { eachOnce, positiveId } from './inputs.js';
import type { Guards } from './guards.js';

/** Cases (异常): the inbox and the actions that settle each kind. */
export function caseRoutes(api: Api, app: App, { operator, owner }: Guards): void {
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
    const id = positiveId(req.params);
    const b = z.object({ note: z.string().max(500).optional() }).parse(req.body ?? {});
    return acceptPrice(app.db, app.clock, { caseId: id, actor: `user:${req.principal!.username}`, note: b.note });
  });
  api.post('/api/cases/:id/confirm-readback', operator, async (req) => {
    const id = positiveId(req.params);
    const b = z.object({ note: z.string().trim().min(2).max(500) }).parse(req.body ?? {});
    return confirmReadback(app.db, app.clock, { caseId: id, actor: `user:${req.principal!.username}`, note: b.note });
  });
  api.post('/api/cases/:id/email-outcome', operator, async (req) => {
    const id = positiveId(req.params);
    const b = z.object({ sent: z.boolean(), note: z.string().trim().min(2).max(500) }).parse(req.body ?? {});
    return settleUnknownEmail(app.db, app.clock, { caseId: id, sent: b.sent, actor: `user:${req.principal!.username}`, note: b.note });
  });
  api.post('/api/cases/:id/supplier-refund', owner, async (req) => {
    const id = positiveId(req.params);
    const b = z
      .object({ amount: positiveFen, reference: z.string().trim().min(1).max(100), note: z.string().trim().min(1).max(500) })
      .parse(req.body);
    return recordSupplierPartialRefund(app.db, app.clock, { caseId: id, ...b, actor: `user:${req.principal!.username}` });
  });
  api.post('/api/cases/:id/courier', operator, async (req) => {
    const id = positiveId(req.params);
    const b = z.object({ deliveryId: z.string().trim().min(1).max(20) }).parse(req.body);
    return app.tracking.setCourier(id, b.deliveryId, `user:${req.principal!.username}`);
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
    const id = positiveId(req.params);
    const b = z
      .object({ answer: z.enum(['agreed', 'refused']), note: z.string().trim().min(1, '请记录买家答复 / note required').max(1000) })
      .parse(req.body);
    return app.consent.record({ caseId: id, answer: b.answer, note: b.note, actor: `user:${req.principal!.username}` });
  });
  api.post('/api/cases/:id/substitute', operator, async (req) => {
    const id = positiveId(req.params);
    const b = z
      .object({ offerRef: z.number().int().positive(), note: z.string().trim().min(1, '请说明替换原因 / note required').max(500) })
      .parse(req.body);
    return app.consent.proposeSubstitute({ caseId: id, ...b, actor: `user:${req.principal!.username}` });
  });
  api.post('/api/cases/:id/approve-mapping', operator, async (req) => {
    const id = positiveId(req.params);
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
  api.post('/api/cases/:id/retry', operator, async (req) => retryCase(app, positiveId(req.params), `user:${req.principal!.username}`));
  api.post('/api/cases/:id/resolve', operator, async (req) => {
    const id = positiveId(req.params);
    const b = z.object({ resolution: z.string().trim().min(1).max(1000), dismiss: z.boolean().optional() }).parse(req.body);
    await resolveCase(
      app.db,
      { caseId: id, resolution: b.resolution, actor: `user:${req.principal!.username}`, dismiss: b.dismiss },
      app.clock.now(),
    );
    return { ok: true };
  });
}
