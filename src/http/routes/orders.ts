import { orderRef } from '../../orders/queries.js';
import { z } from 'zod';
import type { App } from '../../app.js';
import { findOrderId, listOrders, orderDetail, stats } from '../../orders/queries.js';
import { resolveReview } from '../../orders/review.js';
import { decideBuyerRefund } from '../../orders/buyer-refund.js';
import { toCsv } from '../../sourcing/csv.js';
import { overrideSupplier } from '../../sourcing/override.js';
import { recordEntry } from '../../payments/ledger.js';
import { fen, idempotencyKey } from '../money-inputs.js';
import type { FastifyInstance as Api } from 'fastify';
import { decodeBody, idParam, orderQuery, refundBody, reviewBody } from './inputs.js';
import type { Guards } from './guards.js';

/** Orders: the list (filters, export), one order, review (改规格 included), buyer refunds, a line's supplier, decode (logged), stats, ledger entries, delivery negotiations. */
export function orderRoutes(api: Api, app: App, { operator, owner }: Guards): void {
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
      const page = await listOrders(app.db, { ...f, cursor, limit: 200 }, { total: false });
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
}
