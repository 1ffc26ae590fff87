import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InboundEventStore } from '../../src/inbound/event-store.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

describe('inbound event store (group commit)', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb();
  });
  afterEach(async () => t.cleanup());

  const ev = (key: string, order?: string) => ({ source: 'wechat-shop', shopId: 1, dedupKey: key, eventType: 'e', externalId: order ?? null, payload: '{}', job: order ? { kind: 'order.sync', payload: { order }, singletonKey: `sync:${order}` } : undefined });

  it('events arriving together share a transaction; duplicates (in and across batches) are stored and enqueued once', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() });
    const results = await Promise.all([store.store(ev('a', '1')), store.store(ev('a', '1')), store.store(ev('b', '1')), store.store(ev('c', '2')), store.store(ev('d'))]);
    expect(results).toEqual([true, false, true, true, true]);
    expect(await store.store(ev('c', '2'))).toBe(false);
    const events = await t.db.kysely.selectFrom('inbound_events').select('dedup_key').orderBy('dedup_key').execute();
    expect(events.map((e) => e.dedup_key)).toEqual(['a', 'b', 'c', 'd']);
    const jobs = await t.db.kysely.selectFrom('jobs').select('singleton_key').orderBy('singleton_key').execute();
    expect(jobs.map((j) => j.singleton_key)).toEqual(['sync:1', 'sync:2']);
  });

  it('skipJob is asked once, inside the transaction, for a new event only: true stores the event without its job', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() });
    const asked: string[] = [];
    const skip = (key: string, answer: boolean) => ({ ...ev(key, key), skipJob: async () => { asked.push(key); return answer; } });
    expect(await Promise.all([store.store(skip('echo', true)), store.store(skip('echo', true)), store.store(skip('news', false))])).toEqual([true, false, true]);
    expect(await store.store(skip('echo', true))).toBe(false); // a later copy: not asked again
    expect(asked.sort()).toEqual(['echo', 'news']);
    expect((await t.db.kysely.selectFrom('inbound_events').select('dedup_key').orderBy('dedup_key').execute()).map((e) => e.dedup_key)).toEqual(['echo', 'news']);
    expect((await t.db.kysely.selectFrom('jobs').select('singleton_key').execute()).map((j) => j.singleton_key)).toEqual(['sync:news']);
  });

  it('a failed batch rejects every caller in it (none is acknowledged) and later batches still work', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() });
    const bad = { ...ev('x'), payload: null as unknown as string }; // NOT NULL violation fails the whole transaction
    const outcome = await Promise.allSettled([store.store(ev('y', '9')), store.store(bad)]);
    expect(outcome.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(await t.db.kysely.selectFrom('inbound_events').selectAll().execute()).toEqual([]);
    expect(await t.db.kysely.selectFrom('jobs').selectAll().execute()).toEqual([]);
    expect(await store.store(ev('y', '9'))).toBe(true);
  });
});
