import type { Logger } from 'pino';
import type { OrderIntake } from '../orders/intake.js';
import type { OrderConfirmation } from '../orders/confirm.js';
import type { Sourcing } from '../sourcing/sourcing.js';
import type { PurchaseOrderPlacement } from '../purchasing/place-purchase-order.js';
import type { SupplierPayments } from '../payments/pay-supplier.js';
import type { Tracking } from '../fulfilment/tracking.js';
import type { DropshipTracking } from '../fulfilment/dropship-tracking.js';
import type { DeliverySync } from '../fulfilment/delivery-sync.js';
import type { DeadlineWatch } from '../fulfilment/deadlines.js';
import type { SupplierUnwind } from '../fulfilment/unwind.js';
import type { BuyerRefunds } from '../orders/buyer-refund.js';
import type { LineRefunds } from '../fulfilment/line-refunds.js';
import type { AddressChange } from '../fulfilment/address-change.js';
import type { ConsentService } from '../orders/consent.js';
import type { TokenWatch } from '../suppliers/alibaba-1688/token-watch.js';
import type { OrderPoller } from '../channels/wechat-shop/poller.js';
import type { Notifier } from '../notify/notifier.js';
import type { JobQueue, JobSpec } from '../jobs/queue.js';
import { confirmJob, deliverJob, payJob, type Handlers, type JobKind } from '../jobs/catalogue.js';
import { DaifaError } from '../lib/errors.js';

/**
 * The order loop, top to bottom: each step is a job kind (src/jobs/catalogue.ts); a step that has its next step's
 * work at hand runs it in the same job (chained), and a failure of the chained part is handed to a job of its own.
 * Each step that can need undoing names its compensation. docs/ARCHITECTURE.md shows this table (a test compares).
 */
export const ORDER_LOOP: readonly { step: string; job: JobKind; chainsTo?: JobKind; compensation?: JobKind; when: string }[] = [
  {
    step: 'sync',
    job: 'order.sync',
    chainsTo: 'order.confirm',
    when: 'a push or a poll says an order changed; a new paid order is checked and sourced in the same job',
  },
  { step: 'confirm', job: 'order.confirm', chainsTo: 'order.source', when: 'checks pass (else NeedsReview waits for a person)' },
  {
    step: 'source',
    job: 'order.source',
    when: 'a supplier per line; special requests a supplier cannot meet ask the buyer (consent.remind)',
  },
  {
    step: 'place',
    job: 'po.place',
    chainsTo: 'po.pay',
    compensation: 'po.unwind',
    when: 'one job per supplier order, on its route (1688, e-mail, WeChat dropship)',
  },
  {
    step: 'pay',
    job: 'po.pay',
    compensation: 'po.unwind',
    when: 'within the shop’s limits; a lost answer is read back (po.recheck) before anything is paid again',
  },
  {
    step: 'track',
    job: 'po.track',
    chainsTo: 'order.deliver',
    when: 'a 1688 message or the sweep; new parcels go on to WeChat in the same job',
  },
  { step: 'deliver', job: 'order.deliver', when: 'parcels and waybill changes sent to WeChat Shop, never twice' },
];

/** Everything the loop's steps are run by (built once in src/app.ts). */
export interface LoopServices {
  log: Logger;
  queue: JobQueue;
  intake: OrderIntake;
  confirmation: OrderConfirmation;
  sourcing: Sourcing;
  placement: PurchaseOrderPlacement;
  payments: SupplierPayments;
  tracking: Tracking;
  dropshipTracking: DropshipTracking;
  delivery: DeliverySync;
  deadlines: DeadlineWatch;
  unwind: SupplierUnwind;
  buyerRefunds: BuyerRefunds;
  lineRefunds: LineRefunds;
  addressChange: AddressChange;
  consent: ConsentService;
  tokenWatch: TokenWatch;
  poller: OrderPoller;
  notifier: Notifier;
}

/** One handler per job kind, in the loop's order, then the compensations, the buyer's after-sales and the housekeeping. */
export function orderLoop(s: LoopServices): Handlers {
  /**
   * The second step of a job that chains two. The first step's work is committed when it runs: if the second
   * fails, a job of the second step's own kind takes over (its own retries, back-off and dead-job alert) instead
   * of the first job re-running — and re-calling WeChat or 1688 for — a step that is done. A crash before the
   * hand-over is committed leaves the first job to run again after its lease, finding its step done.
   */
  const thenStep = async (what: string, step: () => Promise<unknown>, takeOver: (delayMs: number) => JobSpec): Promise<void> => {
    try {
      await step();
    } catch (err) {
      const job = takeOver(err instanceof DaifaError && err.retryAfterMs ? err.retryAfterMs : 1_000);
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      s.log.warn({ err: message, job: job.kind }, `${what} failed; a job of its own retries it`);
      // The job that takes over shows why it exists, as if it had run and failed itself.
      await s.queue.add({ ...job, lastError: `${what}: ${message}` });
    }
  };
  /** Check an order, then source it in the same job (no job between the two; a re-run finds it Confirmed and goes on). */
  const confirmAndSource = async (shopOrderId: number) => {
    if ((await s.confirmation.confirm(shopOrderId, { sourceNext: true })) === 'Confirmed') await s.sourcing.source(shopOrderId);
  };

  return {
    // 1 sync — a new order is checked and sourced in this same job (two jobs less per order). A crash in between
    // re-runs this job: it finds the order still Received (or Confirmed) and goes on.
    'order.sync': async (p) => {
      const synced = await s.intake.syncOrder(p, { confirmNext: true });
      // A delivery negotiation waiting for the buyer: the answer arrives as an order update (ext_info 21–23).
      await s.deadlines.afterSync(p);
      // WeChat dropship: the supplier shipped on the platform (deliver event) → record its packages.
      await s.dropshipTracking.afterSync(p);
      const id = synced.shopOrderId;
      if (id !== undefined && (synced.state === 'Received' || synced.state === 'Confirmed'))
        await thenStep(
          'checking and sourcing a new order',
          () => confirmAndSource(id),
          (delayMs) => ({ ...confirmJob(id), delayMs }),
        );
    },
    // 2 confirm (then source)
    'order.confirm': (p) => confirmAndSource(p.shopOrderId),
    // 3 source
    'order.source': (p) => s.sourcing.handler(p),
    // 4 place — then pay in the same job (one job less per purchase order). A crash in between re-runs this job: it
    // finds the purchase order Placed or Paying and goes on with the payment (which re-reads first).
    'po.place': async (p) => {
      const state = await s.placement.place(p.purchaseOrderId, { payNext: true });
      if (state === 'Placed' || state === 'Paying')
        await thenStep(
          'paying after placing',
          () => s.payments.pay(p.purchaseOrderId),
          (delayMs) => payJob(p.purchaseOrderId, { delayMs }),
        );
    },
    // 5 pay
    'po.pay': (p) => s.payments.handler(p),
    'po.recheck': (p) => s.payments.recheckHandler(p),
    // 6 track — each tracker returns at once for purchase orders of the other route. A new parcel or waybill is
    // synced to WeChat in this same job. A re-run (the previous attempt failed or died after recording the parcels,
    // so nothing is new now) syncs again: delivery sync compares with WeChat's record and never sends twice.
    'po.track': async (p, ctx) => {
      const tracked = await s.tracking.track(p.purchaseOrderId, { deliverNext: true });
      await s.dropshipTracking.track(p.purchaseOrderId);
      const id = tracked.shopOrderId;
      if (id !== undefined && (tracked.forWeChat || (ctx.job.attempts > 1 && tracked.parcels > 0)))
        await thenStep(
          'delivery sync after tracking',
          () => s.delivery.deliver(id),
          (delayMs) => deliverJob(id, delayMs),
        );
    },
    // 7 deliver
    'order.deliver': (p) => s.delivery.handler(p),

    // Compensation: a supplier order cancelled or refunded (buyer refund, stock-out, seller closed).
    'po.unwind': (p) => s.unwind.handler(p),
    // The buyer's side: consent asked for a special request, refunds, a changed address.
    'consent.remind': (p) => s.consent.reminderHandler(p),
    'order.accept-refund': (p) => s.buyerRefunds.handler(p),
    'order.refund-buyer': (p) => s.buyerRefunds.requestHandler(p),
    'order.line-refund': (p) => s.lineRefunds.handler(p),
    'order.address-change': (p) => s.addressChange.handler(p),

    // Watching: ship-by deadlines, dropship orders, supplier orders not heard from; the polling safety net; tokens.
    'tracking.sweep': async () => {
      await s.deadlines.watch();
      await s.dropshipTracking.sweep();
      await s.tracking.sweepHandler();
    },
    'wechat.poll': (p) => s.poller.handler(p),
    'alibaba.token-watch': () => s.tokenWatch.handler(),
    // Alerts to the merchant.
    'notify.flush': (p, ctx) => s.notifier.flushHandler(p, ctx),
    'notify.digest': (p) => s.notifier.digestHandler(p),
  };
}
