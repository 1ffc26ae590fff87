import { consentReminderJob, sourceJob, unwindJob } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { DaifaError } from '../lib/errors.js';
import { findCase, openCase, settleCase } from '../cases/cases.js';
import { getById } from '../db/lookups.js';
import { offerWithSupplier } from '../db/repositories/catalogue.js';
import { openPoIds } from '../db/repositories/purchase-orders.js';
import { orderHead, orderLine, setSubstitute } from '../db/repositories/shop-orders.js';
import { applyTransition } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import type { Notifier } from '../notify/notifier.js';
import { enqueue } from '../jobs/queue.js';
import { withdrawLines } from './buyer-refund.js';

/** The request fields a buyer's consent drops, by the blocker kind it answered (supplier-scoring REQUEST_BLOCKERS). */
const WAIVABLE: Record<string, string[]> = { courier: ['courier', 'avoidCouriers'], date: ['deliveryDate'] };

/**
 * A special request no supplier can meet: the order waits in AwaitingBuyer and Daifa never proceeds silently.
 * The operator records the buyer's answer — agreed (continue with the alternative: the request is dropped and
 * sourcing runs again) or refused (the order goes to cancellation). Unanswered, the merchant is reminded.
 */
export class ConsentService {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly reminderMs: number,
  ) {}

  async record(input: { caseId: number; answer: 'agreed' | 'refused'; actor: string; note: string }): Promise<{ orderState: string }> {
    if (!input.note.trim())
      throw new DaifaError('VALIDATION', '请记录买家答复的方式和内容 / note required', {
        details: [{ field: 'note', message: 'required' }],
      });
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const c = await findCase(trx, input.caseId);
      if (!c || (c.kind !== 'SPECIAL_REQUEST_CONSENT' && c.kind !== 'SUBSTITUTE_CONSENT'))
        throw new DaifaError('NOT_FOUND', `买家确认事项 ${input.caseId} 不存在`);
      if (c.state !== 'Open' || !c.shop_order_id) throw new DaifaError('ALREADY_DONE', '该事项已处理 / already resolved');
      const resolution = input.answer === 'agreed' ? `买家同意替代方案：${input.note.trim()}` : `买家拒绝：${input.note.trim()}`;
      await settleCase(
        trx,
        { id: c.id, shopOrderId: c.shop_order_id },
        { resolution, note: resolution, actor: input.actor, event: `consent.${input.answer}`, data: { answer: input.answer } },
        now,
      );
      if (input.answer === 'agreed' && c.kind === 'SUBSTITUTE_CONSENT') {
        // The buyer accepted the other product: that line is sourced from the proposed offer, and only from it.
        const d = JSON.parse(c.data ?? '{}') as { lineNo: number; offerRef: number; title: string };
        await setSubstitute(trx, c.shop_order_id, d.lineNo, d.offerRef);
        const t = await applyTransition(
          trx,
          {
            entity: 'shop_order',
            id: c.shop_order_id,
            to: 'Confirmed',
            expectFrom: 'AwaitingBuyer',
            event: 'order.substitute_agreed',
            actor: input.actor,
            note: `第 ${d.lineNo} 行改为“${d.title}”：${resolution}`,
            data: { lineNo: d.lineNo, offerRef: d.offerRef },
            jobs: [sourceJob(c.shop_order_id)],
          },
          now,
        );
        if (!t.ok) throw new DaifaError('WRONG_STATE', t.reason);
        return { orderState: 'Confirmed' };
      }
      if (input.answer === 'agreed') {
        // The buyer accepted the alternative: forget the requests that blocked every supplier (the kinds the case
        // names; a named courier for cases from before dates were checked), source again.
        const order = await getById(trx, 'shop_orders', c.shop_order_id);
        const r = JSON.parse(order.special_requests || '{}');
        const kinds = (JSON.parse(c.data ?? '{}') as { waive?: string[] }).waive ?? ['courier'];
        const fields = kinds.flatMap((k) => WAIVABLE[k] ?? []);
        const waived = {
          ...r,
          ...Object.fromEntries(fields.map((f) => [f, f === 'avoidCouriers' ? [] : undefined])),
          waived: { ...Object.fromEntries(fields.map((f) => [f, r[f]])), by: input.actor, at: now },
        };
        const t = await applyTransition(
          trx,
          {
            entity: 'shop_order',
            id: c.shop_order_id,
            to: 'Confirmed',
            expectFrom: 'AwaitingBuyer',
            event: 'order.buyer_consented',
            actor: input.actor,
            note: resolution,
            patch: { special_requests: JSON.stringify(waived) },
            jobs: [sourceJob(c.shop_order_id)],
          },
          now,
        );
        if (!t.ok) throw new DaifaError('WRONG_STATE', t.reason);
        return { orderState: 'Confirmed' };
      }
      const t = await applyTransition(
        trx,
        {
          entity: 'shop_order',
          id: c.shop_order_id,
          to: 'Cancelled',
          expectFrom: 'AwaitingBuyer',
          event: 'order.buyer_refused',
          actor: input.actor,
          note: `${resolution}（Daifa 为买家发起退款）`,
          data: { reason: '10000014' },
        },
        now,
      );
      if (!t.ok) throw new DaifaError('WRONG_STATE', t.reason);
      // The buyer gets the money back for everything not shipped, without having to ask (BuyerRefunds).
      await withdrawLines(trx, c.shop_order_id, 'all', now);
      // Other lines may already be with suppliers (a re-sourcing after a stock-out): those orders are cancelled or refunded too.
      const live = await openPoIds(trx, c.shop_order_id);
      for (const poId of live) await enqueue(trx, unwindJob(poId, 'buyer_refund'), now);
      return { orderState: 'Cancelled' };
    });
  }

  /**
   * 更换商品: every supplier is out of stock for a line; the operator proposes another product. The order waits for
   * the buyer (AwaitingBuyer, reminders) and goes on only when the buyer's agreement is recorded (record()).
   */
  async proposeSubstitute(input: { caseId: number; offerRef: number; note: string; actor: string }): Promise<{ consentCaseId: number }> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const c = await findCase(trx, input.caseId);
      if (!c || c.kind !== 'OUT_OF_STOCK' || !c.shop_order_id)
        throw new DaifaError('NOT_FOUND', `缺货事项 ${input.caseId} 不存在 / no out-of-stock case ${input.caseId}`);
      if (c.state !== 'Open') throw new DaifaError('ALREADY_DONE', '该事项已处理 / already resolved');
      const lineNo = (JSON.parse(c.data ?? '{}') as { lineNo?: number }).lineNo;
      const line = await orderLine(trx, c.shop_order_id, lineNo ?? -1);
      if (!line) throw new DaifaError('WRONG_STATE', '找不到缺货的商品行 / the line is gone');
      const offer = await offerWithSupplier(trx, input.offerRef);
      if (!offer || !offer.active)
        throw new DaifaError('VALIDATION', '替换商品不存在或供应商已停用 / no such offer', {
          details: [{ field: 'offerRef', message: 'not found' }],
        });
      if (offer.stock < line.quantity)
        throw new DaifaError('LIMIT_REACHED', `替换商品库存 ${offer.stock} 不足 ${line.quantity} 件 / not enough stock`);
      const proposal = `缺货，建议改为 ${offer.name}“${offer.title}”（${offer.sku_attrs === '[]' ? '' : `${offer.sku_attrs}，`}¥${(offer.unit_price / 100).toFixed(2)}）：${input.note.trim()}`;
      await settleCase(
        trx,
        { id: c.id, shopOrderId: c.shop_order_id },
        { resolution: '已向买家提议更换商品', note: proposal, actor: input.actor, event: 'case.substitute_proposed' },
        now,
      );
      const consentCaseId = await openCase(
        trx,
        {
          kind: 'SUBSTITUTE_CONSENT',
          shopOrderId: c.shop_order_id,
          message: `第 ${line.line_no} 行“${line.title}”${proposal}。请征得买家同意后记录答复`,
          data: { lineNo: line.line_no, offerRef: offer.id, title: offer.title },
          dedupKey: `SUBSTITUTE_CONSENT:${c.shop_order_id}:${line.line_no}:${offer.id}`,
        },
        now,
      );
      if (consentCaseId === undefined) throw new DaifaError('ALREADY_DONE', '已提议过该替换商品 / already proposed');
      const t = await applyTransition(
        trx,
        {
          entity: 'shop_order',
          id: c.shop_order_id,
          to: 'AwaitingBuyer',
          expectFrom: 'NeedsReview',
          event: 'order.substitute_proposed',
          actor: input.actor,
          note: proposal,
        },
        now,
      );
      if (!t.ok) throw new DaifaError('WRONG_STATE', t.reason);
      const order = await getById(trx, 'shop_orders', c.shop_order_id);
      await this.notifier.raise(trx, {
        event: 'buyer_consent_needed',
        shopId: order.shop_id,
        subject: `${consentCaseId}:0`,
        data: { orderId: order.wx_order_id, detail: proposal },
      });
      await enqueue(trx, consentReminderJob(consentCaseId, this.reminderMs), now);
      return { consentCaseId };
    });
  }

  /** Job: still unanswered → the order stays held, the merchant is alerted again, and the next reminder is set. */
  reminderHandler = async (p: { caseId: number }): Promise<void> => {
    const c = await findCase(this.db.kysely, p.caseId);
    if (!c || c.state !== 'Open') return;
    const order = c.shop_order_id ? await orderHead(this.db.kysely, c.shop_order_id) : undefined;
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await this.notifier.raise(trx, {
        event: 'buyer_consent_needed',
        shopId: order?.shop_id ?? null,
        subject: `${c.id}:${Math.floor(now / this.reminderMs)}`,
        data: { orderId: order?.wx_order_id, detail: `仍在等待买家答复：${c.message}` },
      });
      await enqueue(trx, consentReminderJob(c.id, this.reminderMs), now);
    });
  };
}
