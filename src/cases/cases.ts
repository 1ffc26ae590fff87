import type { Kysely, Transaction } from 'kysely';
import type { Db } from '../db/dialect.js';
import { prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { DaifaError } from '../lib/errors.js';
import { appendEvent, applyTransition, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import type { CaseState } from '../domain/purchase-order.lifecycle.js';

/** Case kinds with their Chinese title and the actions that resolve them. */
export const CASE_KINDS = {
  UNMAPPED: { title: '商品未关联供应商', actions: ['map_offer', 'cancel_order'] },
  OUT_OF_STOCK: { title: '所有供应商缺货', actions: ['choose_supplier', 'ask_buyer_substitute', 'refund_buyer'] },
  READBACK_MISMATCH: { title: '采购单回读不一致', actions: ['confirm_correct', 'cancel_and_replace'] },
  PRICE_CHANGED: { title: '采购价与预览不一致', actions: ['accept_price', 'cancel_and_replace', 'retry'] },
  SPECIAL_REQUEST_CONSENT: { title: '特殊要求无法满足，需买家同意', actions: ['record_buyer_agreed', 'record_buyer_refused'] },
  PLACEMENT_FAILED: { title: '下单失败', actions: ['email_outcome', 'resolve'] },
  PAYMENT_BLOCKED: { title: '付款被拦截', actions: ['approve_payment', 'cancel_and_replace', 'adjust_limits', 'retry'] },
  PAYMENT_FAILED: { title: '付款失败', actions: ['pay_by_link', 'retry', 'cancel_and_replace'] },
  UNKNOWN_COURIER: { title: '无法识别的快递公司', actions: ['set_courier', 'resolve'] },
  DELIVERY_BLOCKED: { title: '发货同步被售后阻止', actions: ['wait_aftersale', 'resolve'] },
  DELIVERY_FAILED: { title: '发货同步失败', actions: ['retry', 'resolve'] },
  SUPPLIER_CLOSED: { title: '供应商订单被关闭', actions: ['supplier_settled', 'refund_buyer'] },
  SUPPLIER_ORDER_MISSING: { title: '1688 订单查不到（授权账号不符或订单不存在）', actions: ['supplier_settled', 'resolve'] },
  SUPPLIER_DELAY: { title: '供应商延迟发货', actions: ['expedite', 'switch_supplier', 'negotiate_delivery'] },
  TRACKING_ANOMALY: { title: '物流异常', actions: ['contact_supplier', 'resolve'] },
  SUPPLIER_UNWIND: { title: '需人工取消或退款的采购单', actions: ['supplier_settled', 'resolve'] },
  DEADLINE_AT_RISK: { title: '发货期限风险', actions: ['expedite', 'switch_supplier', 'negotiate_delivery'] },
  DELIVERY_DATE_AT_RISK: { title: '买家要求的送达时间有风险', actions: ['expedite', 'contact_supplier', 'resolve'] },
  SUBSTITUTE_CONSENT: { title: '更换商品，需买家同意', actions: ['record_buyer_agreed', 'record_buyer_refused'] },
  PARTIAL_REFUND: { title: '买家部分退款，需处理采购单', actions: ['contact_supplier', 'record_supplier_refund', 'resolve'] },
  ADDRESS_CHANGED: { title: '买家修改了收货地址', actions: ['contact_supplier', 'cancel_and_replace', 'resolve'] },
  REFUND_FAILED: { title: '给买家退款失败', actions: ['retry', 'resolve'] },
} as const;
export type CaseKind = keyof typeof CASE_KINDS;

/**
 * The actions a case offers now: its kind's, as this version defines them — a case opened by an older version
 * (stored with the actions of then) gets the actions added since; a kind no longer known keeps its stored list.
 */
export function actionsOf(kind: string, stored: string): string[] {
  return [...((CASE_KINDS as Record<string, { actions: readonly string[] }>)[kind]?.actions ?? (JSON.parse(stored) as string[]))];
}

export interface OpenCase {
  kind: CaseKind;
  shopOrderId?: number;
  purchaseOrderId?: number;
  message: string;
  data?: unknown;
  /** At most one open case per key (e.g. kind + purchase order). */
  dedupKey?: string;
}

/** Open a case inside the caller's transaction: nothing is dropped — a step that cannot proceed leaves a case. */
export async function openCase(trx: Transaction<Database>, c: OpenCase, now: number): Promise<number | undefined> {
  const row = await trx
    .insertInto('cases')
    .values({
      shop_order_id: c.shopOrderId ?? null,
      purchase_order_id: c.purchaseOrderId ?? null,
      kind: c.kind,
      state: 'Open',
      message: c.message,
      data: c.data === undefined ? null : JSON.stringify(c.data),
      actions: JSON.stringify(CASE_KINDS[c.kind].actions),
      dedup_key: c.dedupKey ?? null,
      created_at: now,
      updated_at: now,
      version: 0,
    })
    .onConflict((oc) => oc.column('dedup_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (row)
    await appendEvent(
      trx,
      {
        entity: 'case',
        id: row.id,
        shopOrderId: c.shopOrderId,
        event: `case.opened.${c.kind}`,
        actor: 'system',
        note: c.message,
        to: 'Open',
        data: c.data,
      },
      now,
    );
  return row?.id;
}

// Settling runs at every step that can make a case moot (several per order): compiled once (see prepared()).
const openCasesOf = (db: Kysely<Database>, shopOrderId: number, kind: string, state: CaseState) =>
  db.selectFrom('cases').select('id').where('shop_order_id', '=', shopOrderId).where('kind', '=', kind).where('state', '=', state);
export const openCases = {
  ofKind: prepared(openCasesOf),
  byPo: prepared((db, so: number, kind: string, state: CaseState, po: number) =>
    openCasesOf(db, so, kind, state).where('purchase_order_id', '=', po),
  ),
  byKey: prepared((db, so: number, kind: string, state: CaseState, key: string) =>
    openCasesOf(db, so, kind, state).where('dedup_key', '=', key),
  ),
  byPoAndKey: prepared((db, so: number, kind: string, state: CaseState, po: number, key: string) =>
    openCasesOf(db, so, kind, state).where('purchase_order_id', '=', po).where('dedup_key', '=', key),
  ),
};

/** The open cases of a kind, narrowed by purchase order and/or dedup key when given (one compiled shape each). */
function findOpenCases(db: Kysely<Database>, w: { kind: CaseKind; shopOrderId: number; purchaseOrderId?: number; dedupKey?: string }) {
  const [so, kind, po, key] = [w.shopOrderId, w.kind, w.purchaseOrderId, w.dedupKey];
  if (po !== undefined && key !== undefined) return openCases.byPoAndKey(db, so, kind, 'Open', po, key);
  if (po !== undefined) return openCases.byPo(db, so, kind, 'Open', po);
  if (key !== undefined) return openCases.byKey(db, so, kind, 'Open', key);
  return openCases.ofKind(db, so, kind, 'Open');
}

/** A shop order's open cases of one kind, with their data (oldest first). */
export const openCasesWithData = (db: Kysely<Database>, shopOrderId: number, kind: CaseKind) =>
  db
    .selectFrom('cases')
    .select(['id', 'data'])
    .where('shop_order_id', '=', shopOrderId)
    .where('kind', '=', kind)
    .where('state', '=', 'Open')
    .orderBy('id')
    .execute();

/** An open case whose dedup key starts with `prefix` (a case already raised for the same cause), if any. */
export const openCaseWithKeyPrefix = (db: Kysely<Database>, prefix: string) =>
  db.selectFrom('cases').select('id').where('dedup_key', 'like', `${prefix}%`).where('state', '=', 'Open').executeTakeFirst();

/** A shop order's open cases (any kind), with their kind and data. */
export const openCasesOfOrder = (db: Kysely<Database>, shopOrderId: number) =>
  db.selectFrom('cases').select(['id', 'kind', 'data']).where('shop_order_id', '=', shopOrderId).where('state', '=', 'Open').execute();

/** The ids of a shop order's open cases (any kind). */
export const openCaseIdsOf = async (db: Kysely<Database>, shopOrderId: number): Promise<number[]> =>
  (await db.selectFrom('cases').select('id').where('shop_order_id', '=', shopOrderId).where('state', '=', 'Open').execute()).map(
    (r) => r.id,
  );

/** One case by its id (any state), or undefined. */
export const findCase = (db: Kysely<Database>, id: number) => db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();

/** Settle one open case in the caller's transaction (a case already settled is left as it is). */
export async function settleCase(
  trx: Transaction<Database>,
  c: { id: number; shopOrderId: number },
  r: { resolution: string; note: string; actor: string; event?: string; data?: unknown },
  now: number,
): Promise<void> {
  await transitionIfAllowed(
    trx,
    {
      entity: 'case',
      id: c.id,
      shopOrderId: c.shopOrderId,
      to: 'Resolved',
      expectFrom: 'Open',
      event: r.event ?? 'case.resolved',
      actor: r.actor,
      note: r.note,
      ...(r.data === undefined ? {} : { data: r.data }),
      patch: { resolution: r.resolution, resolved_by: r.actor },
    },
    now,
  );
}

/**
 * Settle, in the caller's transaction, the open cases of a kind that something else made moot (the payment a
 * case waited for went out, the after-sale that held delivery ended, the buyer agreed). Returns how many.
 */
export async function settleOpenCases(
  trx: Transaction<Database>,
  where: { kind: CaseKind; shopOrderId: number; purchaseOrderId?: number; dedupKey?: string },
  r: { resolution: string; note: string; actor: string },
  now: number,
): Promise<number> {
  const { rows: open } = await findOpenCases(trx, where);
  for (const c of open) await settleCase(trx, { id: c.id, shopOrderId: where.shopOrderId }, r, now);
  return open.length;
}

const openOfPo3 = prepared((db, so: number, po: number, state: CaseState, k1: string, k2: string, k3: string) =>
  db
    .selectFrom('cases')
    .select('id')
    .where('shop_order_id', '=', so)
    .where('purchase_order_id', '=', po)
    .where('state', '=', state)
    .where('kind', 'in', [k1, k2, k3]),
);

/** settleOpenCases for three kinds about one purchase order in one read (run for every paid purchase order). */
export async function settleOpenCasesOfPo(
  trx: Transaction<Database>,
  kinds: readonly [CaseKind, CaseKind, CaseKind],
  where: { shopOrderId: number; purchaseOrderId: number },
  r: { resolution: string; note: string; actor: string },
  now: number,
): Promise<number> {
  const { rows: open } = await openOfPo3(trx, where.shopOrderId, where.purchaseOrderId, 'Open', ...kinds);
  for (const c of open) await settleCase(trx, { id: c.id, shopOrderId: where.shopOrderId }, r, now);
  return open.length;
}

/** Cases about a purchase order that say nothing more once it is cancelled (a refund or unwind case still does). */
const MOOT_WHEN_PO_CANCELLED: CaseKind[] = [
  'SUPPLIER_CLOSED',
  'PAYMENT_BLOCKED',
  'PAYMENT_FAILED',
  'PRICE_CHANGED',
  'READBACK_MISMATCH',
  'DEADLINE_AT_RISK',
  'DELIVERY_DATE_AT_RISK',
  'SUPPLIER_DELAY',
  'SUPPLIER_ORDER_MISSING',
  'TRACKING_ANOMALY',
];

/** The purchase order was cancelled (replaced elsewhere, or the buyer refunded): its waiting cases are settled with it. */
export async function settleCasesOfCancelledPo(
  trx: Transaction<Database>,
  po: { id: number; shop_order_id: number },
  note: string,
  actor: string,
  now: number,
): Promise<number> {
  const open = await trx
    .selectFrom('cases')
    .select('id')
    .where('shop_order_id', '=', po.shop_order_id)
    .where('purchase_order_id', '=', po.id)
    .where('state', '=', 'Open')
    .where('kind', 'in', MOOT_WHEN_PO_CANCELLED)
    .execute();
  for (const c of open)
    await settleCase(trx, { id: c.id, shopOrderId: po.shop_order_id }, { resolution: 'po_cancelled', note, actor }, now);
  return open.length;
}

export async function resolveCase(
  db: Db,
  input: { caseId: number; resolution: string; actor: string; dismiss?: boolean },
  now: number,
): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('cases').select(['shop_order_id']).where('id', '=', input.caseId).executeTakeFirst();
    if (!c) throw new DaifaError('NOT_FOUND', `异常 ${input.caseId} 不存在`);
    const r = await applyTransition(
      trx,
      {
        entity: 'case',
        id: input.caseId,
        to: input.dismiss ? 'Dismissed' : 'Resolved',
        expectFrom: 'Open',
        event: 'case.resolved',
        actor: input.actor,
        note: input.resolution,
        shopOrderId: c.shop_order_id ?? undefined,
        patch: { resolution: input.resolution, resolved_by: input.actor },
      },
      now,
    );
    if (!r.ok) throw new DaifaError('ALREADY_DONE', `异常已处理 / case is ${r.from}`);
  });
}
