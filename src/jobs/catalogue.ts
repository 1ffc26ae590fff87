import { z } from 'zod';
import type { JobSpec } from './queue.js';
import { PermanentJobError, type JobContext, type JobHandler } from './worker.js';

/**
 * Every kind of job Daifa runs, declared once: what it does, its payload, the key that keeps one pending copy per
 * subject, and how often it is tried. Whoever enqueues builds the job here (never imports the service that runs
 * it), and the order loop (src/loop/order-loop.ts) gives each kind exactly one handler — checked when it is built
 * and at start-up. Payloads are checked against their schema before a handler sees them.
 */
interface KindDef<S extends z.ZodType> {
  /** One line for docs/ARCHITECTURE.md (a test keeps the two the same). */
  what: string;
  payload: S;
  /** While a pending job with this key exists, enqueueing another is a no-op. */
  key: (p: z.infer<S>) => string;
  /** Attempts before the job is dead (DEFAULT_MAX_ATTEMPTS when not said). */
  maxAttempts?: number;
}
const kind = <S extends z.ZodType>(d: KindDef<S>) => d;

const id = z.number().int().positive();
const shopOrder = z.object({ shopOrderId: id });
const purchaseOrder = z.object({ purchaseOrderId: id });
const none = z.object({});

/** Why a supplier order is unwound: a buyer refund ends its lines; a stock-out or a seller's closing sources them again. */
export const UNWIND_REASONS = ['buyer_refund', 'stock_out', 'supplier_closed'] as const;
export type UnwindReason = (typeof UNWIND_REASONS)[number];

export const JOBS = {
  'order.sync': kind({
    what: 'read one order from WeChat Shop (after a push, a poll or a person) and record what changed',
    payload: z.object({ shopId: id, orderId: z.string().min(1), source: z.string() }),
    key: (p) => `order.sync:${p.shopId}:${p.orderId}`,
  }),
  'order.confirm': kind({
    what: 'check a received order (items, address, phone, notes, duplicates), then source it',
    payload: shopOrder,
    key: (p) => `order.confirm:${p.shopOrderId}`,
  }),
  'order.source': kind({
    what: 'choose a supplier for each line and draft the supplier orders',
    payload: shopOrder,
    key: (p) => `order.source:${p.shopOrderId}`,
  }),
  'po.place': kind({
    what: 'place a drafted supplier order on its route, then pay it',
    payload: purchaseOrder,
    key: (p) => `po.place:${p.purchaseOrderId}`,
    maxAttempts: 12,
  }),
  'po.pay': kind({
    what: 'pay a placed supplier order within the shop’s limits',
    payload: z.object({ purchaseOrderId: id, check: z.number().int().min(0).default(0) }),
    key: (p) => `po.pay:${p.purchaseOrderId}`,
    maxAttempts: 10,
  }),
  'po.recheck': kind({
    what: 'read back a payment whose answer was lost, and settle it',
    payload: purchaseOrder,
    key: (p) => `po.recheck:${p.purchaseOrderId}`,
    maxAttempts: 10,
  }),
  'po.track': kind({
    what: 'read a supplier order’s parcels and trace, then sync new ones to WeChat',
    payload: purchaseOrder,
    key: (p) => `po.track:${p.purchaseOrderId}`,
  }),
  'order.deliver': kind({
    what: 'send the parcels of an order to WeChat Shop (delivery/send, waybill changes)',
    payload: shopOrder,
    key: (p) => `order.deliver:${p.shopOrderId}`,
  }),
  'tracking.sweep': kind({
    what: 'every few minutes: ship-by deadlines, dropship orders and supplier orders not heard from',
    payload: none,
    key: () => 'tracking.sweep',
  }),
  'po.unwind': kind({
    what: 'cancel or refund a supplier order after a buyer refund, a stock-out or a seller’s closing',
    payload: z.object({ purchaseOrderId: id, reason: z.enum(UNWIND_REASONS) }),
    key: (p) => `po.unwind:${p.purchaseOrderId}`,
    maxAttempts: 12,
  }),
  'order.accept-refund': kind({
    what: 'accept a buyer’s refund request on WeChat once the supplier side is unwound',
    payload: shopOrder,
    key: (p) => `order.accept-refund:${p.shopOrderId}`,
  }),
  'order.refund-buyer': kind({
    what: 'refund the buyer on WeChat for lines a person decided not to fulfil',
    payload: shopOrder,
    key: (p) => `order.refund-buyer:${p.shopOrderId}`,
    maxAttempts: 10,
  }),
  'order.line-refund': kind({
    what: 'a buyer refunded some lines: unwind their part of the supplier orders',
    payload: shopOrder,
    key: (p) => `order.line-refund:${p.shopOrderId}`,
  }),
  'order.address-change': kind({
    what: 'a buyer changed the address: pass it to the supplier, or ask a person',
    payload: z.object({ shopOrderId: id, changeKey: z.string().min(1) }),
    key: (p) => `order.address-change:${p.shopOrderId}:${p.changeKey}`,
  }),
  'consent.remind': kind({
    what: 'remind the merchant of a buyer who has not answered a consent question',
    payload: z.object({ caseId: id }),
    key: (p) => `consent.remind:${p.caseId}`,
  }),
  'wechat.poll': kind({
    what: 'poll a shop’s recently changed orders (the safety net under pushes)',
    payload: z.object({ shopId: id }),
    key: (p) => `wechat.poll:${p.shopId}`,
    maxAttempts: 1000,
  }),
  'alibaba.token-watch': kind({
    what: 'daily: refresh 1688 tokens and warn before a refresh token expires',
    payload: none,
    key: () => 'alibaba.token-watch',
  }),
  'notify.flush': kind({
    what: 'send the alerts waiting for one channel and recipient (coalesced)',
    payload: z.object({ channel: z.enum(['wecom', 'sms', 'email', 'log']), target: z.string().min(1) }),
    key: (p) => `notify.flush:${p.channel}:${p.target}`,
    maxAttempts: 1000,
  }),
  'notify.digest': kind({
    what: 'send a shop’s alert digest after quiet hours',
    payload: z.object({ shopId: id }),
    key: (p) => `notify.digest:${p.shopId}`,
    maxAttempts: 100,
  }),
} as const;

export type JobKind = keyof typeof JOBS;
export type PayloadOf<K extends JobKind> = z.input<(typeof JOBS)[K]['payload']>;
export type ParsedPayloadOf<K extends JobKind> = z.output<(typeof JOBS)[K]['payload']>;
export const JOB_KINDS = Object.keys(JOBS) as JobKind[];

/** A job of a declared kind: its singleton key and attempts from the catalogue. */
export function job<K extends JobKind>(
  kind: K,
  payload: PayloadOf<K>,
  opts: { delayMs?: number; lastError?: string; variant?: string } = {},
): JobSpec & { kind: K } {
  const d = JOBS[kind] as unknown as KindDef<z.ZodType>;
  // A variant is a second pending copy for one subject with its own purpose (a payment retried next day, after a limit change …).
  return {
    kind,
    payload,
    singletonKey: keyOf(kind, payload) + (opts.variant ? `:${opts.variant}` : ''),
    ...(d.maxAttempts ? { maxAttempts: d.maxAttempts } : {}),
    ...(opts.delayMs !== undefined ? { delayMs: opts.delayMs } : {}),
    ...(opts.lastError ? { lastError: opts.lastError } : {}),
  };
}

/** The singleton key of a job of this kind and payload (to look for a pending copy). */
export function keyOf<K extends JobKind>(kind: K, payload: PayloadOf<K>): string {
  const d = JOBS[kind] as unknown as KindDef<z.ZodType>;
  const parsed = d.payload.safeParse(payload);
  if (!parsed.success)
    throw new Error(
      `job ${kind}: payload does not fit its schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'} ${i.message}`).join('; ')}`,
    );
  return d.key(parsed.data);
}

// The jobs the loop hands on, by name (the order loop reads as these).
export const syncJob = (p: PayloadOf<'order.sync'>) => job('order.sync', p);
export const confirmJob = (shopOrderId: number) => job('order.confirm', { shopOrderId });
export const sourceJob = (shopOrderId: number) => job('order.source', { shopOrderId });
export const placeJob = (purchaseOrderId: number) => job('po.place', { purchaseOrderId });
export const payJob = (
  purchaseOrderId: number,
  opts: { delayMs?: number; check?: number; variant?: 'limits' | 'nextday' | 'window' | 'link' | 'unblocked' | 'msg' } = {},
) => job('po.pay', { purchaseOrderId, check: opts.check ?? 0 }, { delayMs: opts.delayMs, variant: opts.variant });
export const recheckJob = (purchaseOrderId: number, delayMs = 0) => job('po.recheck', { purchaseOrderId }, { delayMs });
export const trackJob = (purchaseOrderId: number, delayMs?: number) => job('po.track', { purchaseOrderId }, { delayMs });
export const deliverJob = (shopOrderId: number, delayMs?: number) => job('order.deliver', { shopOrderId }, { delayMs });
export const trackingSweepJob = (delayMs?: number) => job('tracking.sweep', {}, { delayMs });
export const unwindJob = (purchaseOrderId: number, reason: UnwindReason) => job('po.unwind', { purchaseOrderId, reason });
export const acceptRefundJob = (shopOrderId: number) => job('order.accept-refund', { shopOrderId });
export const refundBuyerJob = (shopOrderId: number) => job('order.refund-buyer', { shopOrderId });
export const lineRefundJob = (shopOrderId: number) => job('order.line-refund', { shopOrderId });
export const addressChangeJob = (shopOrderId: number, changeKey: string) => job('order.address-change', { shopOrderId, changeKey });
export const consentReminderJob = (caseId: number, delayMs: number) => job('consent.remind', { caseId }, { delayMs });
export const pollJob = (shopId: number, delayMs = 0) => job('wechat.poll', { shopId }, { delayMs });
export const tokenWatchJob = (delayMs?: number) => job('alibaba.token-watch', {}, { delayMs });
export const flushJob = (channel: PayloadOf<'notify.flush'>['channel'], target: string, delayMs = 0) =>
  job('notify.flush', { channel, target }, { delayMs });
export const digestJob = (shopId: number, delayMs: number) => job('notify.digest', { shopId }, { delayMs });

/** One handler per kind: a kind left out, or one the catalogue does not declare, does not compile. */
export type Handlers = { [K in JobKind]: (payload: ParsedPayloadOf<K>, ctx: JobContext) => Promise<void> };

/**
 * The worker's handler table from the typed handlers: each payload is checked against its schema first (a payload
 * that does not fit can never succeed: the job is dead at once, with the reason). Throws when a kind has no handler
 * or a handler has no kind (the start-up check for handlers built without the type, e.g. from JavaScript).
 */
export function handlerTable(handlers: Handlers): Map<string, JobHandler> {
  const given = Object.keys(handlers);
  const missing = JOB_KINDS.filter((k) => typeof (handlers as Record<string, unknown>)[k] !== 'function');
  const unknown = given.filter((k) => !(k in JOBS));
  if (missing.length || unknown.length)
    throw new Error(
      `job handlers do not match the catalogue: ${missing.length ? `no handler for ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `no such kind ${unknown.join(', ')}` : ''}`,
    );
  const table = new Map<string, JobHandler>();
  for (const k of JOB_KINDS) {
    const schema = JOBS[k].payload as z.ZodType;
    const handle = handlers[k] as (p: unknown, ctx: JobContext) => Promise<void>;
    table.set(k, async (raw, ctx) => {
      const parsed = schema.safeParse(raw);
      if (!parsed.success)
        throw new PermanentJobError(
          `payload of ${k} does not fit its schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'} ${i.message}`).join('; ')}`,
        );
      await handle(parsed.data, ctx);
    });
  }
  return table;
}
