import { afterEach, describe, expect, it } from 'vitest';
import { messageSignature } from '../../src/suppliers/alibaba-1688/signing.js';
import { SANDBOX_1688_APP } from '../../src/runtime/sandbox-bootstrap.js';
import { count, enableSourcing, startHarness, type Harness } from '../helpers/harness.js';

/** The 1688 message receiver: signed, deduplicated on msgId, big ids exact; forged or malformed is refused. */
describe('1688 message receiver', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const post = (hh: Harness, message: string, sig: string) =>
    fetch(`${hh.url}/webhooks/1688`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ message, _aop_signature: sig }).toString(),
    });

  it('accepts a signed message once (bare big-int order id kept exact); refuses forged, unsigned and malformed ones, storing nothing', async () => {
    h = await startHarness({ worker: false });
    await enableSourcing(h);
    const message =
      '{"bizKey":"167539019420540001","data":{"buyerMemberId":"b2b-1","currentStatus":"waitbuyerreceive","orderId":167539019420540001,"sellerMemberId":"b2b-2"},"gmtBorn":1586227869437,"msgId":7565094247,"type":"ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS","userInfo":"b2b-1"}';
    const good = messageSignature(message, SANDBOX_1688_APP.appSecret);
    expect((await post(h, message, messageSignature(message, 'not-the-secret'))).status).toBe(401);
    expect((await post(h, message.replace('waitbuyerreceive', 'cancel'), good)).status).toBe(401); // tampered
    expect((await post(h, message, '')).status).toBe(400);
    expect((await post(h, '{"no":"msgId"}', messageSignature('{"no":"msgId"}', SANDBOX_1688_APP.appSecret))).status).toBe(400);
    expect(await count(h.app, 'inbound_events', ['source', '=', '1688'])).toBe(0);
    for (let i = 0; i < 3; i++) expect((await post(h, message, good)).status).toBe(200);
    // Stored once, in the one inbound store beside WeChat's pushes.
    const rows = await h.app.db.kysely.selectFrom('inbound_events').selectAll().where('source', '=', '1688').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      dedup_key: '7565094247',
      event_type: 'ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS',
      external_id: '167539019420540001',
      shop_id: 0,
    });
  });
});
