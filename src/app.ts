import { AddressChange } from './fulfilment/address-change.js';
import { deliveryLifecycle, negotiationLifecycle } from './domain/fulfilment.lifecycle.js';
import { DropshipTracking } from './fulfilment/dropship-tracking.js';
import { BuyerRefunds } from './orders/buyer-refund.js';
import { LineRefunds } from './fulfilment/line-refunds.js';
import { AdaptiveRateLimiter, type RateShare } from './lib/rate-limiter.js';
import type { Logger } from 'pino';
import { WeChatClients } from './channels/wechat-shop/client.js';
import { OrderPoller } from './channels/wechat-shop/poller.js';
import type { Config } from './config/config.js';
import { openDatabase, type Db } from './db/dialect.js';
import { migrateToLatest } from './db/migrate.js';
import { assertLifecycles } from './domain/lifecycle.js';
import { allLifecycles } from './lifecycle/apply-transition.js';
import { paymentLifecycle } from './domain/payment.lifecycle.js';
import { JobQueue } from './jobs/queue.js';
import { handlerTable } from './jobs/catalogue.js';
import { orderLoop } from './loop/order-loop.js';
import { InboundEventStore } from './inbound/event-store.js';
import { Worker, type JobHandler } from './jobs/worker.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createLogger } from './lib/logger.js';
import { Notifier } from './notify/notifier.js';
import {
  EmailSender,
  LogSender,
  TencentSmsSender,
  WeComSender,
  type Channel,
  type Sender,
  type TencentSmsConfig,
} from './notify/senders.js';
import { OrderConfirmation } from './orders/confirm.js';
import { DecodeService } from './orders/decode.js';
import { OrderIntake } from './orders/intake.js';
import { SecretBox } from './security/secrets.js';
import { Sourcing } from './sourcing/sourcing.js';
import { PurchaseOrderPlacement } from './purchasing/place-purchase-order.js';
import { EmailPurchaseRoute } from './purchasing/email-route.js';
import { PlacementOutcomes } from './purchasing/outcomes.js';
import { Alibaba1688Route } from './purchasing/routes/alibaba-1688.js';
import { EmailRoute } from './purchasing/routes/email.js';
import { WeChatDropshipRoute } from './purchasing/routes/wechat-dropship.js';
import type { SupplierRoutes } from './purchasing/routes/port.js';
import { ConsentService } from './orders/consent.js';
import { TokenWatch } from './suppliers/alibaba-1688/token-watch.js';
import { SupplierPayments } from './payments/pay-supplier.js';
import { Tracking } from './fulfilment/tracking.js';
import { DeliverySync } from './fulfilment/delivery-sync.js';
import { SupplierUnwind } from './fulfilment/unwind.js';
import { DeadlineWatch } from './fulfilment/deadlines.js';
import { Alibaba1688Accounts } from './suppliers/alibaba-1688/accounts.js';
import { ShopService } from './shops/shops.js';
import { startHttpThread } from './lib/http-post.js';
import type { OutboundPolicy } from './security/outbound.js';

/** The composition root: every service built once from the config, dependencies passed explicitly. */
export interface App {
  config: Readonly<Config>;
  log: Logger;
  clock: Clock;
  db: Db;
  box: SecretBox;
  outbound: OutboundPolicy;
  queue: JobQueue;
  events: InboundEventStore;
  shops: ShopService;
  clients: WeChatClients;
  intake: OrderIntake;
  confirmation: OrderConfirmation;
  poller: OrderPoller;
  notifier: Notifier;
  decode: DecodeService;
  sourcing: Sourcing;
  consent: ConsentService;
  payments: SupplierPayments;
  tracking: Tracking;
  delivery: DeliverySync;
  unwind: SupplierUnwind;
  deadlines: DeadlineWatch;
  dropshipTracking: DropshipTracking;
  placement: PurchaseOrderPlacement;
  alibaba: Alibaba1688Accounts;
  handlers: Map<string, JobHandler>;
  /** WeChat API base actually used (the simulator's in sandbox mode). */
  wechatApiBase: string;
  /** This process's share of each API rate limit (set by the process registry). */
  apiShare: RateShare;
  close(): Promise<void>;
}

export interface AppOptions {
  log?: Logger;
  clock?: Clock;
  /** Override the WeChat API base (sandbox mode points it at the simulator). */
  wechatApiBase?: string;
  alibabaApiBase?: string;
  wecomWebhookUrl?: string;
  /** Override the SMS / SMTP configuration (the sandbox points them at its twins). */
  sms?: TencentSmsConfig;
  smtpUrl?: string;
  /** Alert targets used when a shop's settings name none (the sandbox's demo recipients). */
  defaultAlertTargets?: Partial<Record<Channel, string[]>>;
  decodeDailyQuota?: number;
  migrate?: boolean;
  /** Where configured alert robots may point (sandbox mode allows its loopback twins). */
  outbound?: OutboundPolicy;
}

export async function createApp(config: Readonly<Config>, opts: AppOptions = {}): Promise<App> {
  assertLifecycles([...allLifecycles, paymentLifecycle, negotiationLifecycle, deliveryLifecycle]);
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const db = openDatabase(config.databaseUrl);
  if (opts.migrate !== false) await migrateToLatest(db);
  const box = SecretBox.fromConfig({ masterKey: config.masterKey, dataDir: config.dataDir });
  const queue = new JobQueue(db, clock);
  const events = new InboundEventStore(db, clock);
  const shops = new ShopService(db, box, () => clock.now());
  const wechatApiBase = opts.wechatApiBase ?? config.wechatApiBase;
  // This process's part of every API rate limit (the process registry lowers it while other Daifa processes run).
  const apiShare: RateShare = { fraction: 1 };
  const clients = new WeChatClients({ baseUrl: wechatApiBase, clock, log, callsPerMinute: config.wechatCallsPerMinute, share: apiShare });
  const outbound: OutboundPolicy = opts.outbound ?? { hosts: config.outbound.hosts, allowPrivate: config.outbound.allowPrivate ?? false };
  const senders: Sender[] = [new LogSender(log), new WeComSender(outbound)];
  const sms = opts.sms ?? config.sms;
  if (sms) senders.push(new TencentSmsSender(sms));
  const smtpUrl = opts.smtpUrl ?? config.smtpUrl;
  if (smtpUrl) senders.push(new EmailSender(smtpUrl, config.mailFrom));
  const wecom = opts.wecomWebhookUrl ?? config.wecomWebhookUrl;
  const notifier = new Notifier(db, queue, senders, clock, log, {
    box,
    defaultTargets: { ...(wecom ? { wecom: [wecom] } : {}), ...opts.defaultAlertTargets },
  });
  const intake = new OrderIntake(db, clients, shops, clock, log);
  const confirmation = new OrderConfirmation(db, notifier, clock, log, config.duplicateWindowHours * 3600_000);
  const poller = new OrderPoller(db, queue, clients, shops, clock, log, { intervalSeconds: config.pollIntervalSeconds });
  const decode = new DecodeService(db, clients, shops, clock, opts.decodeDailyQuota ?? config.decodeDailyQuota, notifier);
  const alibaba = new Alibaba1688Accounts(
    db,
    box,
    opts.alibabaApiBase ?? config.alibabaApiBase,
    log,
    () => clock.now(),
    new AdaptiveRateLimiter(config.alibabaCallsPerSecond, undefined, apiShare),
  );
  const sourcing = new Sourcing(db, notifier, clock, log, config.consentReminderHours * 3_600_000, config.offerStaleHours * 3_600_000);
  const tokenWatch = new TokenWatch(db, alibaba, notifier, clock);
  const payments = new SupplierPayments(db, alibaba, notifier, clock, log);
  const consent = new ConsentService(db, notifier, clock, config.consentReminderHours * 3_600_000);
  const emailRoute = new EmailPurchaseRoute(db, opts.smtpUrl ?? config.smtpUrl, config.mailFrom, () => clock.now());
  // The purchase routes: one adapter per route behind one port (src/purchasing/routes/port.ts).
  const outcomes = new PlacementOutcomes(db, sourcing, clock, log);
  const routes: SupplierRoutes = {
    '1688': new Alibaba1688Route(db, alibaba, decode, sourcing, clients, shops, outcomes, clock, log),
    direct: new EmailRoute(db, decode, emailRoute, outcomes),
    wechat_dropship: new WeChatDropshipRoute(db, clients, shops, outcomes),
  };
  const placement = new PurchaseOrderPlacement(db, routes, outcomes, clock);
  const tracking = new Tracking(db, alibaba, notifier, events, clock, log);
  const delivery = new DeliverySync(db, shops, clients, clock, log);
  const deadlines = new DeadlineWatch(db, alibaba, shops, clients, notifier, clock, log, emailRoute);
  const lineRefunds = new LineRefunds(db, notifier, clock);
  const buyerRefunds = new BuyerRefunds(db, shops, clients, notifier, clock, log);
  const dropshipTracking = new DropshipTracking(db, shops, clients, clock, log);
  const addressChange = new AddressChange(db, decode, emailRoute, notifier, clock, log);
  const unwind = new SupplierUnwind(db, alibaba, clock, log, (poId, why) => placement.resourceAfterUnwind(poId, why));

  const handlers = handlerTable(
    orderLoop({
      log,
      queue,
      intake,
      confirmation,
      sourcing,
      placement,
      payments,
      tracking,
      dropshipTracking,
      delivery,
      deadlines,
      unwind,
      buyerRefunds,
      lineRefunds,
      addressChange,
      consent,
      tokenWatch,
      poller,
      notifier,
    }),
  );

  return {
    config,
    log,
    clock,
    db,
    box,
    outbound,
    queue,
    events,
    shops,
    clients,
    intake,
    confirmation,
    poller,
    notifier,
    decode,
    sourcing,
    consent,
    payments,
    placement,
    alibaba,
    tracking,
    delivery,
    unwind,
    deadlines,
    dropshipTracking,
    handlers,
    wechatApiBase,
    apiShare,
    close: () => db.close(),
  };
}

export function createWorker(app: App, opts: { concurrency?: number; recordRuns?: boolean } = {}): Worker {
  startHttpThread(); // the jobs make the API calls: the first one need not wait for the thread to boot
  return new Worker(app.queue, app.handlers, app.log, {
    concurrency: opts.concurrency ?? app.config.workerConcurrency,
    recordRuns: opts.recordRuns ?? true,
    leaseMs: app.config.jobLeaseSeconds * 1000,
    // A job that exhausted its retries is visible in `daifa jobs list` — and the merchant hears about it.
    onDead: (job, error) =>
      app.notifier.raiseNow({
        event: 'dead_job',
        shopId: null,
        subject: String(job.id),
        data: { jobId: job.id, jobKind: job.kind, error: error.slice(0, 200) },
      }),
  });
}
