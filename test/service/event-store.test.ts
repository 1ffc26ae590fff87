import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InboundEventStore } from '../../src/inbound/event-store.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

describe('inbound event store (group commit)', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb();
  });
  afterEach(async () => t.cleanup());

  const ev = (key: string, order?: string) => ({
    source: 'wechat-shop',
    shopId: 1,
    dedupKey: key,
    eventType: 'e',
    externalId: order ?? null,
    payload: '{}',
    job: order ? { kind: 'order.sync', payload: { order }, singletonKey: `sync:${order}` } : undefined,
  });

  it('events arriving together share a transaction; duplicates (in and across batches) are stored and enqueued once', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() });
    const spy = vi.spyOn(t.db.kysely, 'transaction');
    const results = await Promise.all([
      store.store(ev('a', '1')),
      store.store(ev('a', '1')),
      store.store(ev('b', '1')),
      store.store(ev('c', '2')),
      store.store(ev('d')),
    ]);
    expect(results).toEqual([true, false, true, true, true]);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(await store.store(ev('c', '2'))).toBe(false);
    const events = await t.db.kysely.selectFrom('inbound_events').select('dedup_key').orderBy('dedup_key').execute();
    expect(events.map((e) => e.dedup_key)).toEqual(['a', 'b', 'c', 'd']);
    const jobs = await t.db.kysely.selectFrom('jobs').select('singleton_key').orderBy('singleton_key').execute();
    expect(jobs.map((j) => j.singleton_key)).toEqual(['sync:1', 'sync:2']);
  });

  it('skipJob is asked once, inside the transaction, for a new event only: true stores the event without its job', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() });
    const asked: string[] = [];
    const skip = (key: string, answer: boolean) => ({
      ...ev(key, key),
      skipJob: async () => {
        asked.push(key);
        return answer;
      },
    });
    expect(await Promise.all([store.store(skip('echo', true)), store.store(skip('echo', true)), store.store(skip('news', false))])).toEqual(
      [true, false, true],
    );
    expect(await store.store(skip('echo', true))).toBe(false); // a later copy: not asked again
    expect(asked.sort()).toEqual(['echo', 'news']);
    expect(
      (await t.db.kysely.selectFrom('inbound_events').select('dedup_key').orderBy('dedup_key').execute()).map((e) => e.dedup_key),
    ).toEqual(['echo', 'news']);
    expect((await t.db.kysely.selectFrom('jobs').select('singleton_key').execute()).map((j) => j.singleton_key)).toEqual(['sync:news']);
  });

  it('a bad event in a batch gets its own error; the others in its batch are written again alone and acknowledged; later batches work', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() });
    const bad = { ...ev('x'), payload: null as unknown as string }; // NOT NULL violation fails the whole transaction
    const outcome = await Promise.allSettled([store.store(ev('y', '9')), store.store(bad), store.store(ev('z'))]);
    expect(outcome.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(
      (await t.db.kysely.selectFrom('inbound_events').select('dedup_key').orderBy('dedup_key').execute()).map((e) => e.dedup_key),
    ).toEqual(['y', 'z']);
    expect((await t.db.kysely.selectFrom('jobs').select('singleton_key').execute()).map((j) => j.singleton_key)).toEqual(['sync:9']);
    expect(await store.store(ev('y', '9'))).toBe(false);
    expect(await store.store(ev('w', '8'))).toBe(true);
  });

  it('a single failing event rejects its caller only (nothing stored for it)', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() });
    await expect(store.store({ ...ev('q'), payload: null as unknown as string })).rejects.toThrow();
    expect(await t.db.kysely.selectFrom('inbound_events').selectAll().execute()).toEqual([]);
  });

  it('jobsFor decides the jobs of a new event inside its transaction (a 1688 message: what it is about is read there)', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() });
    const asked: string[] = [];
    const msg = (id: string) => ({
      source: '1688',
      shopId: 0,
      dedupKey: id,
      eventType: 'ORDER_PAY',
      externalId: null,
      payload: '{}',
      jobsFor: async () => {
        asked.push(id);
        return [{ kind: 'po.recheck', payload: { purchaseOrderId: 1 }, singletonKey: `recheck:${id}` }];
      },
    });
    expect(await Promise.all([store.store(msg('1')), store.store(msg('1')), store.store(msg('2'))])).toEqual([true, false, true]);
    expect(asked.sort()).toEqual(['1', '2']);
    expect(
      (await t.db.kysely.selectFrom('jobs').select('singleton_key').orderBy('singleton_key').execute()).map((j) => j.singleton_key),
    ).toEqual(['recheck:1', 'recheck:2']);
  });

  it('work submitted while a batch is being written goes into the next batch, none is dropped', async () => {
    const store = new InboundEventStore(t.db, { now: () => Date.now() }, 3);
    const ids = Array.from({ length: 10 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const first = ids.slice(0, 5).map((id) => store.store(ev(id)));
    await new Promise((r) => setImmediate(r));
    const second = ids.slice(5).map((id) => store.store(ev(id)));
    expect(await Promise.all([...first, ...second])).toEqual(ids.map(() => true));
    expect(
      (await t.db.kysely.selectFrom('inbound_events').select('dedup_key').orderBy('dedup_key').execute()).map((e) => e.dedup_key),
    ).toEqual(ids);
  });
});
