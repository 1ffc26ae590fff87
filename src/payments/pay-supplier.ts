import { payJob, trackJob } from '../jobs/catalogue.js';
import type { PaymentStatus } from '../domain/payment.lifecycle.js';
import { movePayment } from './payment-status.js';
import { payMethodTraits, routeTraits } from '../domain/purchase-routes.js';
import type { PayMethod } from '../domain/purchase-routes.js';
import { loadLimits } from './limits.js';
import { assertFen, assertPaidAt } from '../domain/money-input.js';
import type { Logger } from 'pino';
import { openCase, openCaseWithKeyPrefix, settleOpenCases, settleOpenCasesOfPo } from '../cases/cases.js';
import type { Db } from '../db/dialect.js';
import { checkPayment, type BlockRule } from '../domain/payment-guardrails.js';
import { storeVoucher } from './vouchers.js';
import { post as postLedger } from './ledger.js';
import { formatYuan } from '../domain/money.js';
import { enqueue } from '../jobs/queue.js';
import {
  blockedByLimits,
  claimFirstCall,
  claimNextCall,
  dayTotal,
  hasUploadedVoucher,
  insertPayment,
  lockShop,
  orderCosts,
  paymentToApprove,
  paymentWithOrder,
  paymentsByIds,
  poNotPaid,
  poToPay,
  recordPaid,
} from '../db/repositories/payments.js';
import { hasParcel } from '../db/repositories/deliveries.js';
import type { Selectable, Transaction } from 'kysely';
import type { Database, PaymentsTable } from '../db/schema.js';
import { appendEvent, applyTransition, lockEntity, stateOf, transitionIfAllowed } from '../lifecycle/apply-transition.js';
import type { Clock } from '../lib/clock.js';
import { DaifaError } from '../lib/errors.js';
import type { Notifier } from '../notify/notifier.js';
import { cnDate, cnDayStart, cnMinuteOfDay } from '../lib/cn-time.js';
import { describeMargin, marginWith } from './price-change.js';
import type { Alibaba1688Accounts } from '../suppliers/alibaba-1688/accounts.js';
import { orderMissingCode, type ApiBody } from '../suppliers/alibaba-1688/client.js';
import { isPaid, orderTotal, paymentSeen } from '../suppliers/alibaba-1688/mapping.js';
import { findById, getById, paymentOf, rowOrThrow } from '../db/lookups.js';

/** A hint from 1688 (the seller changed the price, or the order was paid) about an order not paid through Daifa yet. */
/** How a payment goes out: 1688 password-free pay, a 1688 payment link paid by a person, or by hand (bank transfer, other). */
export type { PayMethod };
const LINK_CHECKS = 150; // about a day of re-reads, backing off to every 10 minutes
/** Pay calls a payment may make, and how many more a person's retry allows (payments.max_calls). */
const MAX_PAY_CALLS = 3;
/** Longer than a preparePay call can take (15 s timeout): no second call while a first may still be answered. */
const PAY_CALL_LEASE_MS = 20_000;
const DAY_MS = 86_400_000;
/** The first minute of the next China day: when a payment over the daily cap is decided again. */
const nextDayDelay = (now: number) => cnDayStart(now) + DAY_MS + 60_000 - now;

/** The PAYMENT_BLOCKED case's message: the limit, and what lifts it. */
const blockedMessage = (d: { reason: string; rule: BlockRule }) =>
  d.rule === 'amount'
    ? d.reason
    : `${d.reason}；${d.rule === 'per_day' ? '次日 00:01 起按新一日额度自动重新核定，或' : '可'}由负责人批准付款，或调整付款限额后自动重新核定`;

/**
 * 付款: every placed purchase order is paid exactly once, for exactly the agreed amount, within the shop's
 * limits. The payment intent (with its key) is stored before any call; 1688 orders are always re-read before
 * and after paying (paySuccess:false can still mean the money was taken); at most three pay calls. A payment
 * link or a bank transfer is made by a person: Daifa re-reads 1688 (never trusts the link alone) or records
 * the person's amount, reference and voucher.
 */
export class SupplierPayments {
  constructor(
    private readonly db: Db,
    private readonly accounts: Alibaba1688Accounts,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  handler = async (p: { purchaseOrderId: number; check?: number }): Promise<void> => {
    await this.pay(p.purchaseOrderId, p.check ?? 0);
  };

  private async loadPo(poId: number) {
    return (await poToPay(this.db.kysely, poId)).rows[0];
  }

  async pay(poId: number, check = 0): Promise<string> {
    const po = await this.loadPo(poId);
    if (!po) return 'not-found';
    let payment = await paymentOf(this.db.kysely, poId);
    const fresh = !payment;
    // The buyer got a refund: nothing more goes out. An intent no call was made for is closed (so the supplier
    // order can be unwound); one already attempted is still reconciled below.
    if (po.order_state === 'Cancelled' && !payment) return 'OrderCancelled';
    if (po.order_state === 'Cancelled' && payment && payment.attempts === 0 && payment.status !== 'Paid') {
      if (
        await movePayment(this.db.kysely, payment.id, 'Cancelled', {
          from: ['Paying', 'AwaitingApproval', 'AwaitingPayer'],
          attempts: 0,
          set: { reason: '买家已退款，不再付款', updated_at: this.clock.now() },
        })
      )
        return 'OrderCancelled';
      payment = await getById(this.db.kysely, 'payments', payment.id);
    }
    if (!payment) {
      if (po.state !== 'Placed') return po.state;
      if (routeTraits(po.route).supplierApi && !po.supplier_order_id) return 'not-applicable';
      const decided = await this.decide(po);
      if (typeof decided === 'string') return decided;
      if (decided.status !== 'Paying' && decided.status !== 'AwaitingPayer') return decided.status;
      payment = decided;
    }
    // Blocked by the shop's limits: decided again (the limits changed, a new day began, the paying window opened).
    // Going out, it is paid by the pay run reconsider() queued — not here as well (one 1688 re-read, not two).
    if (payment.status === 'Blocked' && payment.block_cause === 'limits') return this.reconsider(poId, { actor: 'system:payments' });
    const how = payMethodTraits(payment.method);
    // Paid through a link by a person: 1688 is re-read until it says paid.
    if (how.confirmedBy === 'supplier-readback' && !how.daifaPays && payment.status === 'AwaitingPayer' && payment.pay_url)
      return this.checkLink(payment, po, check);
    if (!how.daifaPays || payment.status !== 'Paying' || !po.supplier_order_id) return payment.status;

    const client = await this.accounts.client();
    // Re-read first: a crash, a lost answer or paySuccess:false may hide a payment already made. A payment intent
    // created in this very run, for an order read back at placement, has nothing to hide: its total is known.
    let view: ApiBody | undefined;
    let total: number | undefined = fresh && payment.attempts === 0 && po.supplier_amount !== null ? po.supplier_amount : undefined;
    if (total === undefined) {
      view = await client.buyerView(po.supplier_order_id);
      if (isPaid(view)) return this.paidOn1688(payment.id, po, view);
      total = orderTotal(view);
    }
    const missing = view && orderMissingCode(view);
    // Failed, not blocked: once the right account is authorised again, 重试 on the case pays it (re-read first).
    if (missing)
      return this.fail(
        payment.id,
        po,
        `1688 订单 ${po.supplier_order_id} 查不到（${missing}：订单不存在或当前授权的 1688 账号无权查看），未付款；若店铺换了 1688 账号授权，请用下单时的账号重新授权后重试`,
      );
    if (total !== payment.amount) return this.blockAmount(payment, po, total, '已停止付款');
    if (payment.attempts >= payment.max_calls)
      return this.fail(payment.id, po, `已尝试 ${payment.attempts} 次免密支付仍未付款成功，请人工处理（可改用支付链接，或核对后重试）`);
    if (!(await client.protocolPayOpen()))
      return this.fail(payment.id, po, '1688 免密支付协议未签署或未绑定，请在 1688 签约或改用支付链接');
    // The call's rate slot first: waiting for it after the claim below, a crash would cost an attempt that never
    // reached 1688 (a crash run lost two payments to three such attempts while 1688 calls queued for their slots).
    await client.reserve();
    // Claim this attempt: only the run that moves the counter calls 1688, and a call made less than a lease ago
    // (by a run that may still be waiting for its answer) is never overlapped — after a crash, the lease expires.
    const now = this.clock.now();
    const k = this.db.kysely;
    const claimed =
      payment.attempts > 0
        ? await claimNextCall(k, payment.attempts + 1, now, payment.id, 'Paying', payment.attempts, now - PAY_CALL_LEASE_MS)
        : await claimFirstCall(k, 1, now, payment.id, 'Paying', 0);
    if (Number(claimed.numAffectedRows) !== 1)
      throw new DaifaError('UPSTREAM_UNAVAILABLE', '另一次付款尝试可能仍在进行，稍后重新核对', {
        retryAfterMs: Math.max(1_000, payment.updated_at + PAY_CALL_LEASE_MS - now),
      });
    let answer: { success: boolean; paySuccess: boolean; code?: string; message?: string } | undefined;
    try {
      answer = await client.preparePay(po.supplier_order_id, payment.amount, payment.pay_key, { reserved: true });
    } catch (err) {
      this.log.warn({ poId, err: (err as Error).message }, 'preparePay gave no answer; re-reading the order');
    }
    view = await client.buyerView(po.supplier_order_id);
    if (isPaid(view)) return this.paidOn1688(payment.id, po, view);
    if (answer?.code === 'ACCOUNT_BALANCE_NOT_ENOUGH') return this.fail(payment.id, po, '1688 账户余额不足，请充值后重试或改用支付链接');
    throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 付款未完成（${answer?.code ?? 'no answer'}），稍后重新核对`, {
      retryAfterMs: 2_000,
    });
  }

  /** A link was handed to a person: re-read 1688 until it says paid (backing off), or give up after about a day. */
  private async checkLink(payment: Selectable<PaymentsTable>, po: PoRow, check: number): Promise<string> {
    const client = await this.accounts.client();
    const view = await client.buyerView(po.supplier_order_id!);
    if (isPaid(view)) return this.paidOn1688(payment.id, po, view);
    // The seller changed the price: the person holding the link would pay the new one. Stopped until it is settled.
    const total = orderTotal(view);
    if (total !== undefined && total !== payment.amount) return this.blockAmount(payment, po, total, '请勿按链接付款');
    if (check >= LINK_CHECKS) return this.fail(payment.id, po, '支付链接发出后一天内未付款，请重新获取链接或改用其他方式');
    await this.db.kysely
      .transaction()
      .execute((trx) =>
        enqueue(trx, payJob(po.id, { check: check + 1, delayMs: Math.min(30_000 * 2 ** Math.min(check, 5), 600_000) }), this.clock.now()),
      );
    return 'AwaitingPayer';
  }

  /** The guardrail decision, written as the payment row (returned), or why none was written. */
  private async decide(po: PoRow): Promise<string | Selectable<PaymentsTable>> {
    const now = this.clock.now();
    const day = cnDate(now);
    return this.db.kysely.transaction().execute(async (trx) => {
      const amount = po.supplier_amount ?? po.expected_amount;
      const { d, limits } = await this.guardrail(trx, po, amount, false, now);
      if (d.action === 'defer') return this.defer(trx, po, d.reason, d.waitMinutes, now);
      const method: PayMethod = routeTraits(po.route).payMethod(limits.method1688 === 'link' ? 'link' : 'protocol');
      const goes = payMethodTraits(method).firstStatus;
      const status = d.action === 'pay' ? goes : d.action === 'approve' ? 'AwaitingApproval' : 'Blocked';
      const payment = rowOrThrow(
        (
          await insertPayment(trx, {
            purchase_order_id: po.id,
            shop_id: po.shop_id,
            pay_key: `PAY-${po.out_order_id}`,
            method,
            amount,
            status,
            attempts: 0,
            reason: d.action === 'pay' ? null : d.reason,
            block_cause: d.action === 'block' ? 'limits' : null,
            day,
            created_at: now,
            updated_at: now,
          })
        ).rows[0],
        'payments',
        `PAY-${po.out_order_id}`,
      );
      if (status === 'Paying')
        await transitionIfAllowed(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            to: 'Paying',
            expectFrom: 'Placed',
            event: 'po.paying',
            actor: 'system:payments',
            note: `应付 ${formatYuan(amount)}`,
          },
          now,
        );
      if (status === 'AwaitingPayer') await this.announceDue(trx, po, amount, method);
      if (d.action === 'approve')
        await this.notifier.raise(trx, {
          event: 'payment_awaiting_approval',
          shopId: po.shop_id,
          subject: String(po.id),
          data: { orderId: po.wx_order_id, amount, detail: d.reason },
        });
      if (d.action === 'block') {
        await transitionIfAllowed(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            to: 'NeedsAttention',
            event: 'po.payment_blocked',
            actor: 'system:payments',
            note: d.reason,
          },
          now,
        );
        await openCase(
          trx,
          {
            kind: 'PAYMENT_BLOCKED',
            shopOrderId: po.shop_order_id,
            purchaseOrderId: po.id,
            message: blockedMessage(d),
            data: { rule: d.rule },
            dedupKey: `PAYMENT_BLOCKED:${po.id}`,
          },
          now,
        );
        if (d.rule === 'per_day') await enqueue(trx, payJob(po.id, { delayMs: nextDayDelay(now), variant: 'nextday' }), now);
      }
      return payment;
    });
  }

  /**
   * The shop's limits applied to this payment, inside the caller's transaction: one decision per shop at a time
   * (today's sum must include a payment another worker is deciding). The day's payments in Paying,
   * AwaitingPayer or Paid are summed by triggers as they are written (migration 0016).
   */
  private async guardrail(trx: Transaction<Database>, po: PoRow, amount: number, approved: boolean, now: number) {
    await lockShop(trx, po.shop_id);
    const limits = await loadLimits(trx, po.shop_id);
    const today = (await dayTotal(trx, po.shop_id, cnDate(now))).rows[0];
    const costs = (await orderCosts(trx, po.shop_order_id, 'Cancelled', 'Shadowed')).rows[0];
    const d = checkPayment(limits, {
      amount,
      paidToday: Number(today?.amount ?? 0),
      orderRevenue: po.order_price,
      orderCosts: Number(costs?.s ?? 0),
      approved,
      minuteOfDayCN: cnMinuteOfDay(now),
    });
    return { d, limits };
  }

  /** Outside the shop's paying hours: decided again when the window opens. */
  private async defer(trx: Transaction<Database>, po: PoRow, reason: string, waitMinutes: number, now: number): Promise<'Deferred'> {
    await enqueue(trx, payJob(po.id, { delayMs: waitMinutes * 60_000, variant: 'window' }), now);
    await appendEvent(
      trx,
      {
        entity: 'purchase_order',
        id: po.id,
        shopOrderId: po.shop_order_id,
        event: 'po.payment_deferred',
        actor: 'system:payments',
        note: reason,
      },
      now,
    );
    return 'Deferred';
  }

  /**
   * 重新核定: a payment the shop's limits blocked is decided again — when the limits change, on the next China day
   * (the daily cap), when its paying window opens, when a person retries, or over the limits when the owner
   * approves it (`override`, recorded as the approval). It goes out, waits for approval, or stays blocked with the
   * reason as it is now. A payment blocked because the 1688 total differs is decided again only once that total
   * was read equal to the amount (`amountVerified`).
   */
  async reconsider(poId: number, opts: { actor: string; override?: boolean; amountVerified?: boolean; note?: string }): Promise<string> {
    const po = await this.loadPo(poId);
    if (!po) throw new DaifaError('NOT_FOUND', `采购单 ${poId} 不存在`);
    // The buyer got a refund or the purchase order was replaced: nothing goes out (the unwind closes the payment).
    if (po.order_state === 'Cancelled' || po.state === 'Cancelled' || po.state === 'Shadowed')
      return po.state === 'Shadowed' ? 'Shadowed' : 'OrderCancelled';
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      await lockEntity(trx, 'shop_order', po.shop_order_id);
      const payment = await paymentOf(trx, poId);
      const rejected = payment?.status === 'Rejected' && opts.override;
      if (!payment || (payment.status !== 'Blocked' && !rejected)) return payment?.status ?? 'none';
      if (!rejected && payment.block_cause !== 'limits' && !(payment.block_cause === 'amount' && opts.amountVerified)) return 'Blocked';
      const approved = payment.approved_by !== null || Boolean(opts.override);
      let { d } = await this.guardrail(trx, po, payment.amount, approved, now);
      // The owner's approval pays now, over the caps and the margin floor — never a zero or negative amount.
      if (opts.override && (d.action === 'defer' || (d.action === 'block' && d.rule !== 'amount'))) d = { action: 'pay' };
      if (d.action === 'defer') {
        await blockedByLimits(trx, payment.id, d.reason, now);
        return this.defer(trx, po, d.reason, d.waitMinutes, now);
      }
      if (d.action === 'block') {
        await blockedByLimits(trx, payment.id, d.reason);
        if (d.rule === 'per_day') await enqueue(trx, payJob(po.id, { delayMs: nextDayDelay(now), variant: 'nextday' }), now);
        return 'Blocked';
      }
      const goes = payMethodTraits(payment.method).firstStatus;
      const status = d.action === 'pay' ? goes : 'AwaitingApproval';
      const approval = opts.override ? { approved_by: opts.actor, approved_at: now } : {};
      // The day it counts for is today's (the daily total follows by trigger).
      const moved = await movePayment(trx, payment.id, status, {
        from: [payment.status as PaymentStatus],
        set: {
          block_cause: null,
          reason: d.action === 'approve' ? d.reason : null,
          day: cnDate(now),
          updated_at: payment.attempts > 0 ? payment.updated_at : now,
          ...approval,
        },
      });
      if (!moved) return payment.status;
      const why = opts.override
        ? `负责人批准超限付款${opts.note ? `：${opts.note}` : ''}`
        : status === 'AwaitingApproval'
          ? `不再超限，${d.action === 'approve' ? d.reason : ''}`
          : '不再超限，继续付款';
      const cur = await stateOf(trx, 'purchase_order', po.id);
      if (cur.state === 'NeedsAttention')
        await transitionIfAllowed(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            to: 'Placed',
            event: opts.override ? 'po.payment_approved' : 'po.payment_unblocked',
            actor: opts.actor,
            note: why,
          },
          now,
        );
      if (status === 'Paying')
        await transitionIfAllowed(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            to: 'Paying',
            expectFrom: 'Placed',
            event: 'po.paying',
            actor: opts.actor,
            note: `应付 ${formatYuan(payment.amount)}`,
            jobs: [payJob(po.id, { variant: 'unblocked' })],
          },
          now,
        );
      if (status === 'AwaitingPayer') await this.announceDue(trx, po, payment.amount, payment.method as PayMethod);
      if (status === 'AwaitingApproval')
        await this.notifier.raise(trx, {
          event: 'payment_awaiting_approval',
          shopId: po.shop_id,
          subject: String(po.id),
          data: { orderId: po.wx_order_id, amount: payment.amount, detail: d.action === 'approve' ? d.reason : '' },
        });
      await settleOpenCases(
        trx,
        { kind: 'PAYMENT_BLOCKED', shopOrderId: po.shop_order_id, purchaseOrderId: po.id },
        { resolution: opts.override ? 'approved_over_limits' : 'unblocked', note: why, actor: opts.actor },
        now,
      );
      await settleOpenCases(
        trx,
        { kind: 'PRICE_CHANGED', shopOrderId: po.shop_order_id, purchaseOrderId: po.id },
        { resolution: 'amount_matches', note: '1688 订单金额与应付一致', actor: opts.actor },
        now,
      );
      return status;
    });
  }

  /**
   * 改价拦截: the 1688 total is not the agreed amount (the seller changed the price). Nothing goes out: the payment is
   * Blocked for `amount`, the purchase order needs attention, and a PRICE_CHANGED case (one per observed total)
   * offers to accept the new price (if the margin allows), to switch supplier, or to re-read once the seller
   * restored it. A case for an earlier total is superseded.
   */
  private async blockAmount(payment: { id: number; amount: number }, po: PoRow, total: number | undefined, what: string): Promise<string> {
    const now = this.clock.now();
    const message = `1688 订单金额 ${total === undefined ? '未知' : formatYuan(total)} 与应付 ${formatYuan(payment.amount)} 不一致，${what}`;
    await this.db.kysely.transaction().execute(async (trx) => {
      if (!(await movePayment(trx, payment.id, 'Blocked', { set: { block_cause: 'amount', reason: message, updated_at: now } }))) return;
      const cur = await stateOf(trx, 'purchase_order', po.id);
      if (cur.state !== 'NeedsAttention')
        await transitionIfAllowed(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            to: 'NeedsAttention',
            event: 'po.price_changed',
            actor: 'system:payments',
            note: message,
          },
          now,
        );
      // One open case per observed total (the key carries the time: the same total may come back after a restore).
      const seen = `PRICE_CHANGED:${po.id}:${total ?? 'unknown'}:`;
      const open = await openCaseWithKeyPrefix(trx, seen);
      if (open) return;
      const key = `${seen}${now}`;
      await settleOpenCases(
        trx,
        { kind: 'PRICE_CHANGED', shopOrderId: po.shop_order_id, purchaseOrderId: po.id },
        { resolution: 'superseded', note: '供应商再次改价', actor: 'system:payments' },
        now,
      );
      const m = total === undefined ? undefined : await marginWith(trx, po.id, total);
      await openCase(
        trx,
        {
          kind: 'PRICE_CHANGED',
          shopOrderId: po.shop_order_id,
          purchaseOrderId: po.id,
          message: m ? `${message}；${describeMargin(m)}` : message,
          data: {
            total,
            expected: payment.amount,
            paymentId: payment.id,
            ...(m ? { margin: m.margin, marginFloor: m.floor, marginOk: m.ok } : {}),
          },
          dedupKey: key,
        },
        now,
      );
    });
    return 'Blocked';
  }

  /** A person must pay (link or bank transfer): say so on the order and to the merchant. */
  private async announceDue(trx: Transaction<Database>, po: PoRow, amount: number, method: PayMethod): Promise<void> {
    const how = payMethodTraits(method).ask ?? '';
    await appendEvent(
      trx,
      {
        entity: 'purchase_order',
        id: po.id,
        shopOrderId: po.shop_order_id,
        event: 'po.payment_due',
        actor: 'system:payments',
        note: `待人工付款 ${formatYuan(amount)}：${how}`,
      },
      this.clock.now(),
    );
    await this.notifier.raise(trx, {
      event: 'payment_due',
      shopId: po.shop_id,
      subject: String(po.id),
      data: { orderId: po.wx_order_id, amount, detail: how },
    });
  }

  /** 1688 says paid: the amount it took must be what Daifa agreed, else the difference is a case (money already out). */
  private async paidOn1688(paymentId: number, po: PoRow, view: ApiBody): Promise<string> {
    const { tradeId, total, record: seen } = paymentSeen(view);
    const record = { orderId: po.supplier_order_id, ...seen, readAt: new Date(this.clock.now()).toISOString() };
    return this.markPaid(paymentId, po, {
      tradeId: tradeId || null,
      paidAmount: total,
      actor: 'system:payments',
      note: `1688 ${tradeId}`,
      tradeRecord: record,
    });
  }

  /**
   * Paid, once: the payments row flips exactly once (the guarded update), then the ledger entry, the voucher,
   * the purchase order and — when nothing else is left to pay — the shop order, all in one transaction.
   */
  private async markPaid(
    paymentId: number,
    po: PoRow,
    input: {
      tradeId: string | null;
      paidAmount?: number;
      actor: string;
      note: string;
      paidAt?: number;
      reference?: string;
      tradeRecord?: unknown;
    },
  ): Promise<string> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      await lockEntity(trx, 'shop_order', po.shop_order_id);
      const payment = await getById(trx, 'payments', paymentId);
      const r = await recordPaid(
        trx,
        'Paid',
        input.tradeId,
        input.paidAt ?? now,
        input.reference ?? payment.reference,
        input.actor,
        now,
        paymentId,
      );
      if (Number(r.numAffectedRows) !== 1) return 'Paid';
      const amount = input.paidAmount ?? payment.amount;
      await postLedger(
        trx,
        {
          shopId: po.shop_id,
          shopOrderId: po.shop_order_id,
          purchaseOrderId: po.id,
          kind: 'supplier_paid',
          amount: -amount,
          ref: `pay:${paymentId}`,
          note: input.note,
        },
        now,
      );
      if (input.tradeRecord)
        await storeVoucher(
          trx,
          {
            paymentId,
            kind: 'trade-record',
            fileName: `1688-${po.supplier_order_id}.json`,
            mime: 'application/json',
            bytes: Buffer.from(JSON.stringify(input.tradeRecord, null, 2)),
            supplierTradeId: input.tradeId,
            actor: input.actor,
          },
          now,
        );
      const cur = await stateOf(trx, 'purchase_order', po.id);
      if (cur.state !== 'Paid')
        await transitionIfAllowed(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            to: 'Paid',
            event: 'po.paid',
            actor: input.actor,
            note: `已付 ${formatYuan(amount)}（${input.note}）`,
          },
          now,
        );
      // The seller may have shipped before Daifa learned the payment went through (its answer was lost): the parcels
      // already recorded are looked at again, so the purchase order does not stay Paid with everything shipped.
      if (cur.state !== 'Paid' && (await hasParcel(trx, po.id))) await enqueue(trx, trackJob(po.id), now);
      // Cases that were waiting on this payment are settled by it (before a difference in what was taken opens one).
      await settleOpenCasesOfPo(
        trx,
        ['PAYMENT_FAILED', 'PAYMENT_BLOCKED', 'PRICE_CHANGED'],
        { shopOrderId: po.shop_order_id, purchaseOrderId: po.id },
        { resolution: 'paid', note: '已付款', actor: input.actor },
        now,
      );
      if (amount !== payment.amount) {
        await openCase(
          trx,
          {
            kind: 'PAYMENT_BLOCKED',
            shopOrderId: po.shop_order_id,
            purchaseOrderId: po.id,
            message: `实付 ${formatYuan(amount)} 与应付 ${formatYuan(payment.amount)} 不一致（钱已付出），请与供应商核对`,
            data: { paid: amount, agreed: payment.amount },
            dedupKey: `PAID_AMOUNT:${po.id}`,
          },
          now,
        );
      }
      const unpaid = (await poNotPaid(trx, po.shop_order_id, 'Paid', 'Shipped', 'Completed', 'Cancelled', 'Shadowed')).rows[0];
      if (!unpaid)
        await transitionIfAllowed(
          trx,
          {
            entity: 'shop_order',
            id: po.shop_order_id,
            to: 'Fulfilling',
            expectFrom: 'Purchasing',
            event: 'order.suppliers_paid',
            actor: 'system:payments',
          },
          now,
        );
      return 'Paid';
    });
  }

  /** The payment could not go out for a reason a person fixes (balance, agreement, account); 重试 then pays it. */
  private async fail(paymentId: number, po: { id: number; shop_order_id: number }, message: string): Promise<string> {
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await movePayment(trx, paymentId, 'Failed', { set: { reason: message, updated_at: now } });
      const cur = await stateOf(trx, 'purchase_order', po.id);
      if (cur.state !== 'NeedsAttention')
        await transitionIfAllowed(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            to: 'NeedsAttention',
            event: 'po.payment_failed',
            actor: 'system:payments',
            note: message,
          },
          now,
        );
      await openCase(
        trx,
        { kind: 'PAYMENT_FAILED', shopOrderId: po.shop_order_id, purchaseOrderId: po.id, message, dedupKey: `PAYMENT_FAILED:${po.id}` },
        now,
      );
    });
    return 'Failed';
  }

  /**
   * 重试: a payment that failed (balance too low, agreement not signed, a link not paid in time) goes out again once
   * a person fixed the cause. Password-free pay gets three more calls (those made stay counted) and, as always,
   * re-reads 1688 before calling, so money already taken is found, never paid twice; a link is re-read again.
   */
  async retryFailed(purchaseOrderId: number, actor: string): Promise<string> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const p = await paymentWithOrder(trx, purchaseOrderId);
      if (!p) throw new DaifaError('NOT_FOUND', `采购单 ${purchaseOrderId} 没有付款记录`);
      if (p.status !== 'Failed') throw new DaifaError('WRONG_STATE', `付款状态为 ${p.status}，只有失败的付款可以重试`);
      if (payMethodTraits(p.method).confirmedBy === 'voucher') throw new DaifaError('NOT_APPLICABLE', '转账付款无需重试：请上传凭证并登记');
      const next = payMethodTraits(p.method).firstStatus;
      // updated_at is left alone: it marks the last pay call, and no call overlaps one made less than a lease ago.
      const moved = await movePayment(trx, p.id, next, { from: ['Failed'], set: { max_calls: p.attempts + MAX_PAY_CALLS, reason: null } });
      if (!moved) throw new DaifaError('WRONG_STATE', '付款状态已变化，请刷新');
      await appendEvent(
        trx,
        {
          entity: 'purchase_order',
          id: purchaseOrderId,
          shopOrderId: p.shop_order_id,
          event: 'po.payment_retried',
          actor,
          note: payMethodTraits(p.method).daifaPays
            ? `重试免密支付（此前已调用 ${p.attempts} 次；付款前先向 1688 核对是否已付）`
            : '重新核对支付链接是否已付',
        },
        now,
      );
      await enqueue(trx, payJob(purchaseOrderId), now);
      return next;
    });
  }

  /**
   * 重试 on a blocked payment: under the limits as they are now (raised, or a new day), or — for a changed 1688
   * price — after re-reading 1688: paid when the seller restored the agreed amount. Still blocked → a conflict that
   * says why (the case stays open).
   */
  async retryBlocked(purchaseOrderId: number, actor: string): Promise<string> {
    const payment = await paymentOf(this.db.kysely, purchaseOrderId);
    if (!payment || payment.status !== 'Blocked')
      throw new DaifaError('WRONG_STATE', `付款状态为 ${payment?.status ?? '无'}，不是被拦截的付款`);
    if (payment.block_cause !== 'limits' && payment.block_cause !== 'amount')
      throw new DaifaError('NOT_APPLICABLE', '此付款的拦截原因未记录，请换供应商或处理异常 / the block cause is not recorded');
    const outcome =
      payment.block_cause === 'amount' ? await this.recheck(purchaseOrderId, actor) : await this.reconsider(purchaseOrderId, { actor });
    if (outcome === 'Blocked')
      throw new DaifaError('LIMIT_REACHED', `仍被拦截：${(await paymentOf(this.db.kysely, purchaseOrderId))?.reason ?? ''}`);
    return outcome;
  }

  recheckHandler = async (p: { purchaseOrderId: number }): Promise<void> => {
    await this.recheck(p.purchaseOrderId, 'system:payments');
  };

  /**
   * 1688 says something changed (the seller changed the price, the order was paid) for an order Daifa has not paid:
   * re-read it. Paid there → recorded once (with any difference as a case). A total that differs from what is owed
   * → the payment (or, before any, the purchase order) is stopped with a PRICE_CHANGED case before anyone pays it; a
   * total back at the agreed amount → a payment stopped for it is decided again. A pay call in flight re-reads by itself.
   */
  async recheck(poId: number, actor: string): Promise<string> {
    const po = await this.loadPo(poId);
    if (!po?.supplier_order_id || !routeTraits(po.route).supplierApi) return 'not-applicable';
    const payment = await paymentOf(this.db.kysely, poId);
    if (payment?.status === 'Paid' || payment?.status === 'Cancelled' || ['Cancelled', 'Shadowed', 'Completed'].includes(po.state))
      return payment?.status ?? po.state;
    if (payment?.status === 'Paying' && payment.attempts > 0) return 'Paying';
    const view = await (await this.accounts.client()).buyerView(po.supplier_order_id);
    if (orderMissingCode(view)) return 'missing';
    if (isPaid(view)) return payment ? this.paidOn1688(payment.id, po, view) : po.state;
    const total = orderTotal(view);
    if (!payment) {
      const owed = po.supplier_amount ?? po.expected_amount;
      if (total === undefined || total === owed || po.state !== 'Placed') return po.state;
      return this.priceChangedBeforePayment(po, owed, total);
    }
    if (total !== payment.amount)
      return payment.status === 'Blocked' && payment.block_cause !== 'amount'
        ? 'Blocked'
        : this.blockAmount(payment, po, total, payment.status === 'AwaitingPayer' ? '请勿按链接付款' : '已停止付款');
    if (payment.status !== 'Blocked' || payment.block_cause !== 'amount') return payment.status;
    const s = await this.reconsider(poId, { actor, amountVerified: true });
    return s; // going out: the pay run reconsider() queued pays it
  }

  /** The seller changed the price of a placed order whose payment is not decided yet (paying hours, say). */
  private async priceChangedBeforePayment(po: PoRow, owed: number, total: number): Promise<string> {
    const now = this.clock.now();
    return this.db.kysely.transaction().execute(async (trx) => {
      const m = await marginWith(trx, po.id, total);
      const message = `1688 订单金额 ${formatYuan(total)} 与应付 ${formatYuan(owed)} 不一致（供应商改价），付款前需确认；${describeMargin(m)}`;
      const r = await applyTransition(
        trx,
        {
          entity: 'purchase_order',
          id: po.id,
          shopOrderId: po.shop_order_id,
          to: 'NeedsAttention',
          expectFrom: 'Placed',
          event: 'po.price_changed',
          actor: 'system:payments',
          note: message,
        },
        now,
      );
      if (!r.ok) return r.from ?? po.state;
      await openCase(
        trx,
        {
          kind: 'PRICE_CHANGED',
          shopOrderId: po.shop_order_id,
          purchaseOrderId: po.id,
          message,
          data: { total, expected: owed, margin: m.margin, marginFloor: m.floor, marginOk: m.ok },
          dedupKey: `PRICE_CHANGED:${po.id}:${total}:${now}`,
        },
        now,
      );
      return 'NeedsAttention';
    });
  }

  /**
   * Approval queue: a person approves (recorded) and the payment goes out, or rejects it with a case. A payment the
   * limits blocked is approved over them by the owner (the route allows owners only); one blocked because the 1688
   * total differs is not — its new price is accepted or refused on its case.
   */
  async decideApproval(paymentId: number, input: { approve: boolean; actor: string; note?: string }): Promise<string> {
    const now = this.clock.now();
    const found = await findById(this.db.kysely, 'payments', paymentId);
    const blocked = found && (found.status === 'Blocked' || found.status === 'Rejected') ? found : undefined;
    if (blocked && input.approve) {
      // Rejected earlier, approved now (the owner changed their mind): decided like a payment the limits blocked.
      if (blocked.status === 'Blocked' && blocked.block_cause !== 'limits')
        throw new DaifaError(
          'WRONG_STATE',
          blocked.block_cause === 'amount'
            ? '1688 订单金额与应付不一致：请在异常中接受新价格或换供应商，不能直接批准 / the 1688 total differs: accept the new price on its case'
            : '此付款的拦截原因未记录，请换供应商或处理异常 / blocked for an unrecorded cause',
        );
      return this.reconsider(blocked.purchase_order_id, { actor: input.actor, override: true, note: input.note });
    }
    // Each decision changes the payment only while it still awaits one: a stale approve never reverses a concurrent
    // reject (nor the other way round) — the second answers 409.
    const decidedOnce = (moved: boolean) => {
      if (!moved) throw new DaifaError('ALREADY_DONE', `付款 ${paymentId} 已被他人处理，请刷新 / decided by someone else meanwhile`);
    };
    return this.db.kysely.transaction().execute(async (trx) => {
      const p = await paymentToApprove(trx, paymentId);
      if (!p) throw new DaifaError('NOT_FOUND', `付款 ${paymentId} 不存在`);
      if (p.status !== 'AwaitingApproval') throw new DaifaError('WRONG_STATE', `付款状态为 ${p.status}，不在待批准队列`);
      if (!input.approve) {
        decidedOnce(
          await movePayment(trx, paymentId, 'Rejected', {
            from: ['AwaitingApproval'],
            set: { reason: input.note ?? '人工拒绝', approved_by: input.actor, approved_at: now, updated_at: now },
          }),
        );
        await transitionIfAllowed(
          trx,
          {
            entity: 'purchase_order',
            id: p.poId,
            shopOrderId: p.shop_order_id,
            to: 'NeedsAttention',
            event: 'po.payment_rejected',
            actor: input.actor,
            note: input.note,
          },
          now,
        );
        await openCase(
          trx,
          {
            kind: 'PAYMENT_BLOCKED',
            shopOrderId: p.shop_order_id,
            purchaseOrderId: p.poId,
            message: `付款被拒绝：${input.note ?? ''}`,
            dedupKey: `PAYMENT_BLOCKED:${p.poId}`,
          },
          now,
        );
        return 'Rejected';
      }
      if (!payMethodTraits(p.method).daifaPays) {
        decidedOnce(
          await movePayment(trx, paymentId, 'AwaitingPayer', {
            from: ['AwaitingApproval'],
            set: { approved_by: input.actor, approved_at: now, updated_at: now },
          }),
        );
        await appendEvent(
          trx,
          {
            entity: 'purchase_order',
            id: p.poId,
            shopOrderId: p.shop_order_id,
            event: 'po.payment_approved',
            actor: input.actor,
            note: input.note,
          },
          now,
        );
        await this.announceDue(
          trx,
          { id: p.poId, shop_order_id: p.shop_order_id, shop_id: p.shop_id, wx_order_id: p.wx_order_id } as PoRow,
          p.amount,
          p.method as PayMethod,
        );
        return 'AwaitingPayer';
      }
      decidedOnce(
        await movePayment(trx, paymentId, 'Paying', {
          from: ['AwaitingApproval'],
          set: { approved_by: input.actor, approved_at: now, updated_at: now },
        }),
      );
      await transitionIfAllowed(
        trx,
        {
          entity: 'purchase_order',
          id: p.poId,
          shopOrderId: p.shop_order_id,
          to: 'Paying',
          expectFrom: 'Placed',
          event: 'po.payment_approved',
          actor: input.actor,
          note: input.note,
          jobs: [payJob(p.poId)],
        },
        now,
      );
      return 'Paying';
    });
  }

  /**
   * 支付链接: one cashier link for up to 100 1688 orders awaiting a person (or whose password-free pay failed).
   * Each amount is re-read first; Daifa then re-reads each order until 1688 says it is paid.
   */
  async paymentLink(
    paymentIds: number[],
    actor: string,
  ): Promise<{ payUrl?: string; included: number[]; refused: { paymentId: number; reason: string }[] }> {
    const ids = [...new Set(paymentIds)];
    if (ids.length === 0 || ids.length > 100)
      throw new DaifaError('VALIDATION', '一次为 1–100 笔付款获取链接 / 1 to 100 payments per link');
    // In id order: PostgreSQL returns an IN list in whatever order the rows lie, and the answer lists them.
    const rows = await paymentsByIds(this.db.kysely, ids);
    const refused: { paymentId: number; reason: string }[] = ids
      .filter((id) => !rows.some((r) => r.id === id))
      .map((id) => ({ paymentId: id, reason: '付款不存在' }));
    const client = await this.accounts.client();
    const ready: { payment: (typeof rows)[number]; po: PoRow }[] = [];
    for (const pay of rows) {
      const po = await this.loadPo(pay.purchase_order_id);
      if (!po?.supplier_order_id || payMethodTraits(pay.method).confirmedBy === 'voucher')
        refused.push({ paymentId: pay.id, reason: '不是 1688 采购单' });
      else if (!['AwaitingPayer', 'Failed'].includes(pay.status)) refused.push({ paymentId: pay.id, reason: `付款状态为 ${pay.status}` });
      else {
        const view = await client.buyerView(po.supplier_order_id);
        if (isPaid(view)) {
          await this.paidOn1688(pay.id, po, view);
          refused.push({ paymentId: pay.id, reason: '已付款' });
          continue;
        }
        const total = orderTotal(view);
        if (total !== pay.amount) {
          await this.blockAmount(pay, po, total, '未生成支付链接');
          refused.push({ paymentId: pay.id, reason: '金额不一致' });
        } else ready.push({ payment: pay, po });
      }
    }
    if (!ready.length) return { included: [], refused };
    const link = await client.payUrl(ready.map((r) => r.po.supplier_order_id!));
    const now = this.clock.now();
    const included: number[] = [];
    await this.db.kysely.transaction().execute(async (trx) => {
      for (const { payment, po } of ready) {
        if (link.failed.includes(po.supplier_order_id!) || !link.payUrl) {
          refused.push({ paymentId: payment.id, reason: link.error ?? '1688 不接受此订单的链接支付' });
          continue;
        }
        if (
          !(await movePayment(trx, payment.id, 'AwaitingPayer', {
            from: ['AwaitingPayer', 'Failed'],
            set: { method: '1688-link', pay_url: link.payUrl, updated_at: now },
          }))
        ) {
          refused.push({ paymentId: payment.id, reason: '付款状态已变化 / the payment changed meanwhile' });
          continue;
        }
        included.push(payment.id);
        if (po.state === 'NeedsAttention')
          await transitionIfAllowed(
            trx,
            {
              entity: 'purchase_order',
              id: po.id,
              shopOrderId: po.shop_order_id,
              to: 'Placed',
              event: 'po.pay_by_link',
              actor,
              note: '改用支付链接',
            },
            now,
          );
        await appendEvent(
          trx,
          {
            entity: 'purchase_order',
            id: po.id,
            shopOrderId: po.shop_order_id,
            event: 'po.payment_link',
            actor,
            note: `已生成 1688 支付链接（${ready.length} 单）`,
          },
          now,
        );
        await enqueue(trx, payJob(po.id, { check: 0, delayMs: 30_000, variant: 'link' }), now);
      }
    });
    return { payUrl: included.length ? link.payUrl : undefined, included, refused };
  }

  /** Re-read now (after a person says they paid through a link); never marks paid without 1688 saying so. */
  async checkNow(paymentId: number): Promise<string> {
    const p = await findById(this.db.kysely, 'payments', paymentId);
    if (!p) throw new DaifaError('NOT_FOUND', `付款 ${paymentId} 不存在`);
    if (payMethodTraits(p.method).confirmedBy === 'voucher' || p.status === 'Paid') return p.status;
    const po = (await this.loadPo(p.purchase_order_id))!;
    const view = await (await this.accounts.client()).buyerView(po.supplier_order_id!);
    if (isPaid(view)) return this.paidOn1688(paymentId, po, view);
    // Not paid on 1688: the status as it is now (another run may have moved it while 1688 answered).
    return (await getById(this.db.kysely, 'payments', paymentId)).status;
  }

  /**
   * 线下付款登记: a person paid a direct or WeChat-dropship supplier (bank transfer or other) and records it.
   * The amount must equal what is owed to the fen, and at least one voucher must already be uploaded.
   */
  async recordManual(
    paymentId: number,
    input: { amount: number; paidAt: number; reference: string; channel: 'bank_transfer' | 'other'; actor: string },
  ): Promise<string> {
    assertFen(input.amount);
    assertPaidAt(input.paidAt, this.clock.now());
    const p = await findById(this.db.kysely, 'payments', paymentId);
    if (!p) throw new DaifaError('NOT_FOUND', `付款 ${paymentId} 不存在`);
    if (p.status === 'Paid') throw new DaifaError('ALREADY_DONE', `付款 ${paymentId} 已登记为已付，不能重复登记 / already paid`);
    if (payMethodTraits(p.method).confirmedBy !== 'voucher')
      throw new DaifaError(
        'NOT_APPLICABLE',
        '1688 订单的付款以 1688 回读为准，请用“核对付款” / 1688 payments are confirmed by re-reading 1688',
      );
    if (p.status !== 'AwaitingPayer') throw new DaifaError('WRONG_STATE', `付款状态为 ${p.status}，需先批准 / payment is ${p.status}`);
    if (input.amount !== p.amount)
      throw new DaifaError(
        'AMOUNT_MISMATCH',
        `登记金额 ${formatYuan(input.amount)} 与应付 ${formatYuan(p.amount)} 不一致，需精确到分 / must equal the amount owed to the fen`,
      );
    if (!(await hasUploadedVoucher(this.db.kysely, paymentId)))
      throw new DaifaError('VALIDATION', '请先上传付款凭证（图片或 PDF） / upload a voucher first');
    const po = (await this.loadPo(p.purchase_order_id))!;
    return this.markPaid(paymentId, po, {
      tradeId: input.reference,
      actor: input.actor,
      note: `${input.channel === 'bank_transfer' ? '银行转账' : '其他方式'} ${input.reference}`,
      paidAt: input.paidAt,
      reference: input.reference,
    });
  }
}

type PoRow = NonNullable<Awaited<ReturnType<SupplierPayments['loadPo']>>>;
