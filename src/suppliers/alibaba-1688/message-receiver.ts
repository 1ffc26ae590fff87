import { payJob, recheckJob, trackJob } from '../../jobs/catalogue.js';
import { payMethodTraits } from '../../domain/purchase-routes.js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import { paymentOf } from '../../db/lookups.js';
import { poBySupplierOrder } from '../../db/repositories/purchase-orders.js';
import type { Database } from '../../db/schema.js';
import type { JobQueue, JobSpec } from '../../jobs/queue.js';
import type { InboundEventStore } from '../../inbound/event-store.js';
import { idString, parseJsonLossless } from '../../lib/lossless-json.js';
import type { Alibaba1688Accounts } from './accounts.js';
import { pushSignature, signatureMatches } from './signing.js';

export const ALIBABA_WEBHOOK_PATH = '/webhooks/1688';
/** The inbound store's source for 1688 messages (`wechat-shop` is the other). */
export const ALIBABA_SOURCE = '1688';

/** The 1688 order id a message is about: bizKey, data.orderId (a bare big number), or the logistics items. */
export function messageOrderId(m: Record<string, any>): string | undefined {
  const d = typeof m.data === 'string' ? (parseJsonLossless(m.data) as Record<string, any>) : (m.data ?? {});
  const model = d.OrderLogisticsTracingModel ?? d.MailNoChangeModel;
  return idString(d.orderId) ?? idString(model?.orderLogsItems?.[0]?.orderId) ?? idString(m.bizKey);
}

/**
 * Store a 1688 message once (msgId) in the inbound store and turn it into work: a payment check, or a tracking
 * re-read. The message itself decides nothing — the job re-reads 1688. Returns whether it was new. Pushed messages
 * (the receiver) and pulled ones (the tracking sweep's safety net) come through here alike.
 */
export async function acceptMessage(events: InboundEventStore, m: Record<string, any>, raw: string): Promise<boolean> {
  const msgId = idString(m.msgId);
  if (!msgId || typeof m.type !== 'string') return false;
  const orderId = messageOrderId(m);
  return events.store({
    source: ALIBABA_SOURCE,
    shopId: 0,
    dedupKey: msgId,
    eventType: m.type,
    externalId: orderId ?? null,
    payload: raw,
    jobsFor: (trx) => (orderId ? jobsFor(trx, m.type, orderId) : Promise.resolve([])),
  });
}

/** The jobs a new message calls for, read in the transaction that stores it. */
async function jobsFor(trx: Transaction<Database>, type: string, orderId: string): Promise<JobSpec[]> {
  const po = (await poBySupplierOrder(trx, orderId)).rows[0];
  if (!po) return [];
  if (type === 'ORDER_BUYER_VIEW_ORDER_PAY' || type === 'ORDER_BATCH_PAY') {
    // Paid by a person through a payment link: confirm now instead of at the next back-off check. A
    // password-free payment in flight re-reads by itself; other statuses have nothing for the pay job to do.
    const pay = await paymentOf(trx, po.id);
    if (pay?.status === 'AwaitingPayer' && payMethodTraits(pay.method).confirmedBy === 'supplier-readback')
      return [payJob(po.id, { variant: 'msg' })];
    // Paid while Daifa held the payment (blocked, failed, awaiting approval): recorded once, by a re-read.
    if (pay && ['Blocked', 'Failed', 'AwaitingApproval'].includes(pay.status)) return [recheckJob(po.id)];
    return [];
  }
  // The seller changed the price (改价): re-read before anyone pays the old or the new amount.
  if (type === 'ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY') return [recheckJob(po.id)];
  // 1688 sends several messages for one event (shipped + first trace): a short delay lets them share one re-read.
  if (/SENDGOODS|LOGISTICS_|CLOSE|REFUND/.test(type)) return [trackJob(po.id, 200)];
  return [];
}

/**
 * 1688 message push (消息推送): form POST `message` + `_aop_signature`, signed with the app secret. Verified
 * before anything is stored; acknowledged (HTTP 200) only after the message and its job are committed (messages
 * arriving together share one commit).
 */
export function registerAlibabaReceiver(
  http: FastifyInstance,
  deps: { events: InboundEventStore; accounts: Alibaba1688Accounts; queue: JobQueue; log: Logger },
): void {
  http.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_r, body, done) =>
      done(null, body),
    );
    scope.post(ALIBABA_WEBHOOK_PATH, async (req, reply) => {
      const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
      const message = form.get('message');
      const sig = form.get('_aop_signature');
      if (!message || !sig) return reply.code(400).send({ error: { code: 'PUSH_MALFORMED', message: '缺少 message 或 _aop_signature' } });
      // Signed over every query and body parameter but _aop_signature (a callback URL may carry a query string).
      const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
      const params = [...query, ...form];
      const signedBy = (secrets: string[]) => secrets.some((s) => signatureMatches(pushSignature(params, s), sig));
      if (!signedBy(await deps.accounts.appSecrets()) && !signedBy(await deps.accounts.appSecrets(true)))
        return reply.code(401).send({ error: { code: 'PUSH_SIGNATURE_INVALID', message: '签名无效' } });
      let m: Record<string, any>;
      try {
        m = parseJsonLossless(message) as Record<string, any>;
      } catch {
        return reply.code(400).send({ error: { code: 'PUSH_MALFORMED', message: 'message 不是 JSON' } });
      }
      if (!m || typeof m !== 'object' || !idString(m.msgId))
        return reply.code(400).send({ error: { code: 'PUSH_MALFORMED', message: '缺少 msgId' } });
      const fresh = await acceptMessage(deps.events, m, message);
      if (fresh) deps.queue.notify();
      deps.log.debug({ msgId: idString(m.msgId), type: m.type, fresh }, '1688 message');
      return reply.code(200).send('success');
    });
  });
}
