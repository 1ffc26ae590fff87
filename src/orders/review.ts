import { sourceJob } from '../jobs/catalogue.js';
import type { Db } from '../db/dialect.js';
import { DaifaError } from '../lib/errors.js';
import { appendEvent, applyTransition } from '../lifecycle/apply-transition.js';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { withdrawLines } from './buyer-refund.js';
import { openCaseIdsOf, settleCase } from '../cases/cases.js';
import { orderLines } from '../db/lookups.js';
import { mappedOfferSpecs } from '../db/repositories/catalogue.js';
import { orderHead, setSourcedSku } from '../db/repositories/shop-orders.js';
import type { Clock } from '../lib/clock.js';

export type ReviewDecision = 'confirm' | 'cancel';

/** One attribute of a spec (颜色: 红色), in the shape the order lines use; offers and WeChat name the fields differently. */
export interface SpecAttr {
  key: string;
  value: string;
}
const specAttr = (a: Record<string, string>): SpecAttr => ({
  key: a.key ?? a.attr_key ?? a.name ?? '',
  value: a.value ?? a.attr_value ?? '',
});

/** A line bought as another spec of the same product (the buyer asked in a note: 请把颜色换成红色). */
export interface SpecChange {
  lineNo: number;
  skuId: string;
}

/**
 * The other specs a line can be bought in: the SKUs of the same WeChat product that have an enabled supplier
 * mapping in this shop, each with its attributes (颜色: 红色 …) as the supplier's offer names them.
 */
export async function specOptions(
  db: Kysely<Database>,
  shopId: number,
  productIds: string[],
): Promise<Map<string, { skuId: string; attrs: SpecAttr[] }[]>> {
  const out = new Map<string, { skuId: string; attrs: SpecAttr[] }[]>();
  if (!productIds.length) return out;
  const rows = await mappedOfferSpecs(db, shopId, productIds);
  for (const r of rows) {
    const list = out.get(r.product_id) ?? [];
    if (list.some((x) => x.skuId === r.sku_id)) continue;
    let attrs: SpecAttr[] = [];
    try {
      attrs = (JSON.parse(r.sku_attrs ?? '[]') as Record<string, string>[]).map(specAttr);
    } catch {
      attrs = [];
    }
    list.push({ skuId: r.sku_id, attrs });
    out.set(r.product_id, list);
  }
  return out;
}

const attrsText = (attrs: SpecAttr[]) => attrs.map((a) => `${a.key}: ${a.value}`).join('，') || '—';

/** Record each line's new spec (a spec of the same product that has a supplier); the bought SKU itself undoes a change. */
async function changeSpecs(
  trx: Transaction<Database>,
  shopOrderId: number,
  changes: SpecChange[],
  note: string,
  actor: string,
  now: number,
): Promise<void> {
  const order = await orderHead(trx, shopOrderId);
  if (!order) throw new DaifaError('NOT_FOUND', `订单 ${shopOrderId} 不存在`);
  const lines = await orderLines(trx, shopOrderId);
  const seen = new Set<number>();
  for (const c of changes) {
    if (seen.has(c.lineNo))
      throw new DaifaError('VALIDATION', `第 ${c.lineNo} 行的规格改了两次 / line ${c.lineNo} changed twice`, {
        details: [{ field: 'specChanges', message: 'one change per line' }],
      });
    seen.add(c.lineNo);
    const line = lines.find((l) => l.line_no === c.lineNo);
    if (!line)
      throw new DaifaError('VALIDATION', `订单没有第 ${c.lineNo} 行 / no line ${c.lineNo}`, {
        details: [{ field: 'specChanges', message: `no line ${c.lineNo}` }],
      });
    const options = (await specOptions(trx, order.shop_id, [line.product_id])).get(line.product_id) ?? [];
    const to = options.find((o) => o.skuId === c.skuId);
    if (!to)
      throw new DaifaError(
        'VALIDATION',
        `“${line.title}”没有已关联供应商的规格 ${c.skuId} / SKU ${c.skuId} of this product has no supplier`,
        { details: [{ field: 'specChanges', message: `SKU ${c.skuId} has no supplier mapping for product ${line.product_id}` }] },
      );
    const from = (JSON.parse(line.sku_attrs || '[]') as Record<string, string>[]).map(specAttr);
    const next = c.skuId === line.sku_id ? null : c.skuId;
    await setSourcedSku(trx, line.id, next);
    await appendEvent(
      trx,
      {
        entity: 'shop_order',
        id: shopOrderId,
        event: 'order.spec_changed',
        actor,
        note: `“${line.title}”改为 ${attrsText(to.attrs)}（买家下单 ${attrsText(from)}）：${note}`,
        data: { lineNo: c.lineNo, boughtSkuId: line.sku_id, sourcedSkuId: c.skuId },
      },
      now,
    );
  }
}

/**
 * A person resolves a NeedsReview order: confirm it (continue the loop), with lines changed to another spec the
 * buyer asked for in writing, or cancel it; the note is recorded.
 */
export async function resolveReview(
  db: Db,
  clock: Clock,
  input: { shopOrderId: number; decision: ReviewDecision; note: string; actor: string; specChanges?: SpecChange[] },
): Promise<{ state: string }> {
  if (!input.note.trim())
    throw new DaifaError('VALIDATION', '请填写处理说明 / a note is required', {
      details: [{ field: 'note', message: '处理说明不能为空 / note is required' }],
    });
  if (input.specChanges?.length && input.decision !== 'confirm')
    throw new DaifaError('VALIDATION', '只有确认订单时才能改规格 / specs are changed only when confirming', {
      details: [{ field: 'specChanges', message: 'only with decision confirm' }],
    });
  return db.kysely.transaction().execute(async (trx) => {
    // Spec changes first: if the order is no longer under review the transition below refuses and all is rolled back.
    if (input.specChanges?.length)
      await changeSpecs(trx, input.shopOrderId, input.specChanges, input.note.trim(), input.actor, clock.now());
    const r = await applyTransition(
      trx,
      {
        entity: 'shop_order',
        id: input.shopOrderId,
        to: input.decision === 'confirm' ? 'Confirmed' : 'Cancelled',
        expectFrom: 'NeedsReview',
        event: input.decision === 'confirm' ? 'review.confirmed' : 'review.cancelled',
        actor: input.actor,
        note: input.note.trim(),
        jobs: input.decision === 'confirm' ? [sourceJob(input.shopOrderId)] : [],
      },
      clock.now(),
    );
    if (!r.ok) {
      if (r.from === null) throw new DaifaError('NOT_FOUND', `订单 ${input.shopOrderId} 不存在`);
      throw new DaifaError('WRONG_STATE', `订单当前状态为 ${r.from}，不能审核 / order is ${r.from}, not NeedsReview`, {
        details: { reason: r.reason },
      });
    }
    // Cancelled in review: the buyer is refunded (BuyerRefunds), and the order's open cases are moot.
    if (input.decision === 'cancel') {
      await withdrawLines(trx, input.shopOrderId, 'all', clock.now());
      const open = await openCaseIdsOf(trx, input.shopOrderId);
      for (const id of open)
        await settleCase(
          trx,
          { id, shopOrderId: input.shopOrderId },
          { resolution: '订单已取消，给买家退款', note: input.note.trim(), actor: input.actor },
          clock.now(),
        );
    }
    return { state: r.to };
  });
}
