import { listPayments, paymentsTotal, voucherCount } from '../../payments/queries.js';
import { z } from 'zod';
import type { App } from '../../app.js';
import { DaifaError } from '../../lib/errors.js';
import { approvalQueue } from '../../dashboard/queries.js';
import { dailyMoney, reconcile, reconciliationCsv, reconciliationXlsx } from '../../payments/ledger.js';
import {
  listVouchers,
  readVoucher,
  storeVoucher,
  validateVoucher,
  VOUCHER_MAX_BYTES,
  VOUCHERS_PER_PAYMENT,
} from '../../payments/vouchers.js';
import { paidAtSchema, positiveFen } from '../money-inputs.js';
import type { FastifyInstance as Api } from 'fastify';
import { eachOnce, positiveId } from './inputs.js';
import type { Guards } from './guards.js';

/** Paying suppliers: payments, approvals (one or a batch), payment links, checks, recorded transfers, vouchers; the money pages (daily, reconciliation). */
export function paymentRoutes(api: Api, app: App, { operator, owner }: Guards): void {
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
    const id = positiveId(req.params);
    const b = z.object({ note: z.string().max(500).optional() }).parse(req.body ?? {});
    return { status: await app.payments.decideApproval(id, { approve: true, actor: `user:${req.principal!.username}`, note: b.note }) };
  });
  api.post('/api/payments/:id/reject', owner, async (req) => {
    const id = positiveId(req.params);
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
    status: await app.payments.checkNow(positiveId(req.params)),
  }));
  api.post('/api/payments/:id/record', owner, async (req) => {
    const id = positiveId(req.params);
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
    vouchers: await listVouchers(app.db, positiveId(req.params)),
  }));
  api.get('/api/vouchers/:id', async (req, reply) => {
    const v = await readVoucher(app.db, positiveId(req.params));
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
      const id = positiveId(req.params);
      const q = z.object({ fileName: z.string().max(200).optional() }).parse(req.query);
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const kind = validateVoucher(bytes, req.headers['content-type']);
      if ((await voucherCount(app.db, id)) >= VOUCHERS_PER_PAYMENT)
        throw new DaifaError(
          'LIMIT_REACHED',
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
}
