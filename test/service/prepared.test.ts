import { afterEach, describe, expect, it } from 'vitest';
import { prepared, preparedInsert } from '../../src/db/prepared.js';
import { sql } from 'kysely';
import { openCase } from '../../src/cases/cases.js';
import { applyTransition } from '../../src/lifecycle/apply-transition.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

/** Hot statements compiled once and run with new parameters (both dialects). */
describe('prepared statements', () => {
  let t: TestDb;
  afterEach(() => t?.cleanup());

  it('bind each argument where the builder put it, null for a missing one, inside and outside transactions', async () => {
    t = await createTestDb();
    const k = t.db.kysely;
    // Arguments in an order unlike the columns: the template maps each parameter back to its argument.
    const put = prepared((db, value: string, key: string) => db.insertInto('settings').values({ key, value }));
    const get = prepared((db, key: string) => db.selectFrom('settings').select(['key', 'value']).where('key', '=', key));
    await put(k, 'v1', 'k1');
    await k.transaction().execute((trx) => put(trx, 'v2', 'k2'));
    expect((await get(k, 'k1')).rows).toEqual([{ key: 'k1', value: 'v1' }]);
    expect((await get(k, 'k2')).rows).toEqual([{ key: 'k2', value: 'v2' }]);
    expect((await get(k, 'none')).rows).toEqual([]);
    const bump = prepared((db, value: string, key: string) => db.updateTable('settings').set({ value }).where('key', '=', key));
    expect(Number((await bump(k, 'v3', 'k1')).numAffectedRows)).toBe(1);
    expect(Number((await bump(k, 'v3', 'none')).numAffectedRows)).toBe(0);
    // A rolled-back transaction leaves nothing.
    await expect(
      k.transaction().execute(async (trx) => {
        await put(trx, 'v4', 'k4');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await get(k, 'k4')).rows).toEqual([]);
  });

  it('refuse a builder that does not pass an argument through as a value', async () => {
    t = await createTestDb();
    const computed = prepared((db, key: string, value: string) => db.insertInto('settings').values({ key: `${key}-x`, value }));
    await expect(computed(t.db.kysely, 'a', 'b')).rejects.toThrow(/does not bind each argument/);
    const dropped = prepared((db, key: string, _unused: string) => db.selectFrom('settings').select('value').where('key', '=', key));
    await expect(dropped(t.db.kysely, 'a', 'b')).rejects.toThrow(/does not bind each argument/);
  });
  it('insert a row given as an object: every prepared column and no other, with what follows the values', async () => {
    t = await createTestDb();
    const k = t.db.kysely;
    const put = preparedInsert('settings', ['key', 'value'], (q) =>
      q.onConflict((oc) => oc.column('key').doNothing()).returning(['key', 'value']),
    );
    expect((await put(k, { value: 'v1', key: 'k1' })).rows).toEqual([{ key: 'k1', value: 'v1' }]);
    expect((await k.transaction().execute((trx) => put(trx, { key: 'k2', value: 'v2' }))).rows).toEqual([{ key: 'k2', value: 'v2' }]);
    // The conflict clause came along: a second insert of the same key is nothing, not an error.
    expect((await put(k, { key: 'k1', value: 'other' })).rows).toEqual([]);
    expect(await k.selectFrom('settings').select(['key', 'value']).where('key', 'in', ['k1', 'k2']).orderBy('key').execute()).toEqual([
      { key: 'k1', value: 'v1' },
      { key: 'k2', value: 'v2' },
    ]);
    // A column that is not prepared, or one left out, is refused (never dropped, never a silent null).
    await expect(put(k, { key: 'k3', value: 'v3', extra: 1 } as never)).rejects.toThrow(/column extra is not one of the prepared columns/);
    await expect(put(k, { key: 'k3' } as never)).rejects.toThrow(/no value for column value/);
    expect(await k.selectFrom('settings').select('key').where('key', '=', 'k3').execute()).toEqual([]);
  });

  it('a transition with a patch writes exactly the columns given (compiled once per set of columns), an expression built per call', async () => {
    t = await createTestDb();
    const k = t.db.kysely;
    const open = () => k.transaction().execute((trx) => openCase(trx, { kind: 'DELIVERY_FAILED', message: 'm' }, 1));
    const [a, b, c] = [await open(), await open(), await open()];
    const resolve = (id: number, patch: Record<string, unknown>) =>
      k
        .transaction()
        .execute((trx) =>
          applyTransition(
            trx,
            { entity: 'case', id: id!, to: 'Resolved', expectFrom: 'Open', event: 'case.resolved', actor: 'test', patch },
            2,
          ),
        );
    // The same columns twice (the second run uses the compiled statement); a column left undefined is not written.
    expect((await resolve(a!, { resolution: 'r1', resolved_by: 'u1' })).ok).toBe(true);
    expect((await resolve(b!, { resolution: 'r2', message: undefined })).ok).toBe(true);
    expect((await resolve(c!, { resolution: sql<string>`${'r'} || ${'3'}`, resolved_by: 'u3' })).ok).toBe(true);
    const rows = await k
      .selectFrom('cases')
      .select(['id', 'state', 'message', 'resolution', 'resolved_by', 'version', 'updated_at'])
      .where('id', 'in', [a!, b!, c!])
      .orderBy('id')
      .execute();
    expect(rows.map(({ id: _id, ...r }) => r)).toEqual([
      { state: 'Resolved', message: 'm', resolution: 'r1', resolved_by: 'u1', version: 1, updated_at: 2 },
      { state: 'Resolved', message: 'm', resolution: 'r2', resolved_by: null, version: 1, updated_at: 2 },
      { state: 'Resolved', message: 'm', resolution: 'r3', resolved_by: 'u3', version: 1, updated_at: 2 },
    ]);
    // Refused from a state it does not allow: nothing written.
    expect((await resolve(a!, { resolution: 'again', resolved_by: 'u9' })).ok).toBe(false);
    expect((await k.selectFrom('cases').select('resolution').where('id', '=', a!).executeTakeFirstOrThrow()).resolution).toBe('r1');
  });
});
