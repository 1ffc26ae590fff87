import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit } from '../../src/db/group-commit.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

describe('GroupCommit', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb();
  });
  afterEach(() => t.cleanup());

  const store = (msgId: string) => async (trx: Parameters<Parameters<GroupCommit['run']>[0]>[0]) => {
    const row = await trx.insertInto('supplier_messages').values({ msg_id: msgId, type: 'T', supplier_order_id: null, body: '{}', received_at: 1 }).onConflict((oc) => oc.column('msg_id').doNothing()).returning('id').executeTakeFirst();
    return Boolean(row);
  };
  const stored = async () => (await t.db.kysely.selectFrom('supplier_messages').select('msg_id').orderBy('msg_id').execute()).map((r) => r.msg_id);

  it('units arriving together share one transaction, and each caller learns its own result after the commit', async () => {
    const spy = vi.spyOn(t.db.kysely, 'transaction');
    const group = new GroupCommit(t.db);
    const results = await Promise.all(['a', 'b', 'a', 'c'].map((id) => group.run(store(id))));
    expect(results).toEqual([true, true, false, true]);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(await stored()).toEqual(['a', 'b', 'c']);
  });

  it('a unit that fails gets its own error; the others in its batch are still committed', async () => {
    const group = new GroupCommit(t.db);
    const outcomes = await Promise.allSettled([
      group.run(store('x')),
      group.run(async (trx) => {
        await store('doomed')(trx);
        throw new Error('boom');
      }),
      group.run(store('y')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('boom');
    expect(await stored()).toEqual(['x', 'y']);
  });

  it('work submitted while a batch is being written goes into the next batch, none is dropped', async () => {
    const group = new GroupCommit(t.db, 3);
    const ids = Array.from({ length: 10 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const first = ids.slice(0, 5).map((id) => group.run(store(id)));
    await new Promise((r) => setImmediate(r));
    const second = ids.slice(5).map((id) => group.run(store(id)));
    expect(await Promise.all([...first, ...second])).toEqual(ids.map(() => true));
    expect(await stored()).toEqual(ids);
  });
});
