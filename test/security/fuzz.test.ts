import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FEN } from '../../src/domain/money-input.js';
import { MappingsIO } from '../../src/sourcing/mappings-io.js';
import { checkZip } from '../../src/lib/zip-guard.js';
import { count, enableSourcing, startHarness, tokenFor, waitFor, type Harness } from '../helpers/harness.js';
import { hit } from './helpers.js';

/** Any JSON value a client could send where a number of fen is expected. */
const anyValue = fc.oneof(
  fc.integer({ min: -2 * MAX_FEN, max: 2 * MAX_FEN }),
  fc.double({ noNaN: false }),
  fc.constantFrom(1e20, -1e300, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 0, -0),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
);

/**
 * A fuzz pass over the inputs an attacker or a careless script controls: money amounts and dates, imported files,
 * webhook bodies. The properties: never a 500, a refused input changes nothing, an accepted amount is stored exactly
 * and within bounds.
 */
describe('security: fuzzing money, imports and webhooks', () => {
  let h: Harness;
  let owner: string;
  let orderId: number;
  beforeAll(async () => {
    h = await startHarness();
    await enableSourcing(h);
    owner = await tokenFor(h, 'owner');
    h.sandbox.wechat.generate(h.creds.appId, { count: 1, requestRate: 0 });
    orderId = (await waitFor(() => h.app.db.kysely.selectFrom('shop_orders').select('id').executeTakeFirst(), { what: 'order' })).id;
  });
  afterAll(async () => h.stop());

  it('ledger amounts: every value is either refused (400) or booked exactly, within ±MAX_FEN', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(anyValue, fc.string({ minLength: 1, maxLength: 30 }), async (amount, note) => {
        const key = `fuzz-${n++}-${Date.now()}`;
        const manual = async () =>
          (await h.app.db.kysely.selectFrom('ledger_entries').select('id').where('ref', 'like', 'manual:%').execute()).length;
        const before = await manual();
        const r = await hit(h, 'POST', `/api/orders/${orderId}/ledger`, {
          token: owner,
          body: { kind: 'correction', amount, note },
          headers: { 'idempotency-key': key },
        });
        expect(r.status).toBeLessThan(500);
        const valid =
          typeof amount === 'number' &&
          Number.isInteger(amount) &&
          amount !== 0 &&
          Math.abs(amount) <= MAX_FEN &&
          note.trim().length > 0 &&
          !note.includes('\u0000');
        if (r.status === 200) {
          expect(valid).toBe(true);
          const row = await h.app.db.kysely
            .selectFrom('ledger_entries')
            .select('amount')
            .where('ref', '=', `manual:${key}`)
            .executeTakeFirstOrThrow();
          expect(Number(row.amount)).toBe(amount);
        } else {
          expect(r.status).toBe(400);
          expect(await manual()).toBe(before);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('payment limits and manual payment dates: refused or kept exactly, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, anyValue, async (maxPerOrder, paidAt) => {
        const r = await hit(h, 'PUT', `/api/shops/${h.shop.id}/payment-limits`, {
          token: owner,
          body: { maxPerOrder, maxPerDay: 1_000_000, minMargin: 0, approvalAbove: 0 },
        });
        expect(
          r.status === 200
            ? typeof maxPerOrder === 'number' && Number.isInteger(maxPerOrder) && maxPerOrder > 0 && maxPerOrder <= MAX_FEN
            : r.status === 400,
        ).toBe(true);
        const rec = await hit(h, 'POST', '/api/payments/999999/record', {
          token: owner,
          body: { amount: 100, paidAt, reference: 'REF-1' },
        });
        expect([400, 404]).toContain(rec.status);
      }),
      { numRuns: 60 },
    );
  });

  it('mapping imports: any rows give a report (never a throw); refused or bad rows change nothing', async () => {
    const io = new MappingsIO(h.app.db, h.app.clock);
    const before = await count(h.app, 'sku_mappings');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.string({ maxLength: 60 }), { maxLength: 12 }), { maxLength: 30 }), async (rows) => {
        const r = await io.importRows(h.shop.id, rows);
        expect(r.imported).toBe(0); // random rows never name a real supplier offer
        expect(Array.isArray(r.errors)).toBe(true);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 2000 }), async (text) => {
        const r = await io.importCsv(h.shop.id, text);
        expect(r.imported).toBe(0);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const r = checkZip(Buffer.from(bytes));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
    expect(await count(h.app, 'sku_mappings')).toBe(before);
  });

  it('webhooks: random bodies and query strings are refused (400/401/404), never stored, never a 500', async () => {
    const events = await count(h.app, 'inbound_events');
    const messages = await count(h.app, 'inbound_events', ['source', '=', '1688']);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.dictionary(fc.constantFrom('timestamp', 'nonce', 'msg_signature', 'signature', 'encrypt_type'), fc.string({ maxLength: 40 })),
        fc.constantFrom('json', 'form', 'garbage'),
        async (body, query, kind) => {
          const q = new URLSearchParams(query).toString();
          const wx = await fetch(`${h.url}${h.shop.webhookPath}?${q}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: kind === 'json' ? JSON.stringify({ Encrypt: body }) : body,
          });
          expect([400, 401]).toContain(wx.status);
          const form = kind === 'form' ? new URLSearchParams({ message: body, _aop_signature: query.signature ?? 'AB' }).toString() : body;
          const ali = await fetch(`${h.url}/webhooks/1688?${q}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form,
          });
          expect([400, 401]).toContain(ali.status);
        },
      ),
      { numRuns: 150 },
    );
    expect(await count(h.app, 'inbound_events')).toBe(events);
    expect(await count(h.app, 'inbound_events', ['source', '=', '1688'])).toBe(messages);
  });
});
