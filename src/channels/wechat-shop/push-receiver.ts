import { syncJob } from '../../jobs/catalogue.js';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Logger } from 'pino';
import type { JobQueue } from '../../jobs/queue.js';
import type { InboundEventStore } from '../../inbound/event-store.js';
import { idString, parseJsonLossless } from '../../lib/lossless-json.js';
import type { ShopService } from '../../shops/shops.js';
import { decryptMessage, msgSignature, signaturesEqual, urlSignature } from './crypto.js';

export interface PushReceiverDeps {
  events: InboundEventStore;
  /** Pushes whose signed timestamp is further than this from now are refused (replay). */
  maxAgeSeconds: number;
  now: () => number;
  queue: JobQueue;
  shops: ShopService;
  log: Logger;
  bodyLimit: number;
  /** True when a `channels_ec_order_deliver` push echoes Daifa's own delivery/send (taken once; see takeDeliverEcho). */
  deliverEcho: (trx: Transaction<Database>, shopId: number, wxOrderId: string, finishDelivery: boolean) => Promise<boolean>;
}

/** Order id of an event, wherever the event kind keeps it (order_info, after-sale body, ISV flattened form). */
export function eventOrderId(msg: Record<string, any>): string | undefined {
  const fromInfo = idString(msg.order_info?.order_id);
  if (fromInfo) return fromInfo;
  const as = msg.finder_shop_aftersale_status_update;
  if (as && typeof as === 'object') return idString(as.order_id);
  if (typeof as === 'string') {
    // ISV mode flattens "\n<after_sale_order_id>\n<status>\n<order_id>\n" (reference §8.8).
    const parts = as
      .split('\n')
      .map((s: string) => s.trim())
      .filter(Boolean);
    return parts.find((p: string) => /^\d{16,20}$/.test(p) && p.startsWith('3'));
  }
  return idString(msg.ProductOrderStatusUpdate?.order_id);
}

/**
 * WeChat Shop message push: GET verifies the URL; POST verifies msg_signature over the ciphertext, decrypts,
 * checks the app id, stores the event under a dedup key and enqueues its processing in the same
 * transaction, then answers `success`. Forged or tampered requests: 401, nothing stored.
 */
export function registerPushReceiver(app: FastifyInstance, deps: PushReceiverDeps): void {
  app.register(async (scope) => {
    // Keep the raw text: we verify and parse it ourselves, and malformed bodies must be a clean 400.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: deps.bodyLimit }, (_req, body, done) => done(null, body));

    scope.get('/webhooks/wechat-shop/:shopKey', async (req, reply) => {
      const shop = await deps.shops.credentialsByKey((req.params as { shopKey: string }).shopKey);
      const q = req.query as Record<string, string | undefined>;
      if (!shop || !q.signature || !q.timestamp || !q.nonce || q.echostr === undefined)
        return reply.code(shop ? 400 : 404).send('bad request');
      if (!signaturesEqual(urlSignature(shop.pushToken, q.timestamp, q.nonce), q.signature))
        return reply.code(401).send('invalid signature');
      return reply.type('text/plain').send(q.echostr);
    });

    scope.post('/webhooks/wechat-shop/:shopKey', async (req, reply) => {
      const shop = await deps.shops.credentialsByKey((req.params as { shopKey: string }).shopKey);
      if (!shop) return reply.code(404).send('unknown shop');
      const q = req.query as Record<string, string | undefined>;
      let body: { Encrypt?: unknown };
      try {
        body = JSON.parse(String(req.body ?? '')) as { Encrypt?: unknown };
      } catch {
        return reject(reply, deps.log, 400, 'malformed body', shop.id);
      }
      if (!body || typeof body.Encrypt !== 'string' || !q.timestamp || !q.nonce || !q.msg_signature)
        return reject(reply, deps.log, 400, 'missing Encrypt or signature parameters', shop.id);
      if (!signaturesEqual(msgSignature(shop.pushToken, q.timestamp, q.nonce, body.Encrypt), q.msg_signature))
        return reject(reply, deps.log, 401, 'msg_signature mismatch', shop.id);
      // The signed timestamp must be recent: a push captured once cannot be replayed later (identical ones within the
      // window are deduplicated anyway). WeChat signs each delivery attempt anew.
      const age = Math.abs(Math.floor(deps.now() / 1000) - Number(q.timestamp));
      if (!Number.isFinite(age) || age > deps.maxAgeSeconds) return reject(reply, deps.log, 401, 'stale or future timestamp', shop.id);
      let plain: string;
      try {
        const d = decryptMessage(shop.aesKey, body.Encrypt);
        if (d.appId !== shop.appId) return reject(reply, deps.log, 401, 'app id mismatch', shop.id);
        plain = d.message;
      } catch {
        return reject(reply, deps.log, 401, 'cannot decrypt', shop.id);
      }
      let msg: Record<string, any>;
      try {
        msg = parseJsonLossless(plain) as Record<string, any>;
        if (!msg || typeof msg !== 'object') throw new Error('not an object');
      } catch {
        return reject(reply, deps.log, 400, 'decrypted payload is not JSON', shop.id);
      }

      const event = typeof msg.Event === 'string' ? msg.Event : 'unknown';
      const orderId = eventOrderId(msg);
      // No event id exists; identical retries carry identical plaintext, so its hash is the dedup key.
      const dedupKey = createHash('sha256').update(plain).digest('hex');
      // The echo of Daifa's own shipment is kept like any event, but not re-read: Daifa knows what it sent.
      const finish = Number(msg.order_info?.finish_delivery) === 1;
      const skipJob =
        event === 'channels_ec_order_deliver' && orderId
          ? (trx: Transaction<Database>) => deps.deliverEcho(trx, shop.id, orderId, finish)
          : undefined;
      const stored = await deps.events.store({
        source: 'wechat-shop',
        shopId: shop.id,
        dedupKey,
        eventType: event,
        externalId: orderId ?? null,
        payload: plain,
        skipJob,
        job: orderId ? syncJob({ shopId: shop.id, orderId, source: 'push' }) : undefined,
      });
      if (stored && orderId) deps.queue.notify();
      return reply.type('text/plain').send('success');
    });
  });
}

function reject(reply: FastifyReply, log: Logger, code: number, why: string, shopId: number) {
  log.warn({ shopId, status: code, why }, 'push refused');
  return reply.code(code).send(code === 401 ? 'invalid signature' : 'bad request');
}
