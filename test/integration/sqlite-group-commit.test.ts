import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/dialect.js';

/**
 * SQLite group commit (src/db/sqlite-group-commit.ts): the writes queued for the one connection share a COMMIT,
 * each caller is answered only once its work is on disk, and a failure stays with its own caller — unless SQLite
 * rolls back the whole transaction, when every caller in the group is told. SQLite only (PostgreSQL has its own).
 */
describe('SQLite group commit', () => {
  let dir: string;
  let db: Db;
  /** A second, independent connection to the same file: it sees only what is committed. */
  let other: SQLite.Database;
  const k = () => db.kysely;
  const rows = () => (other.prepare('select v from t order by v').all() as { v: string }[]).map((r) => r.v);
  const insert = (v: string) => sql`insert into t (v) values (${v})`;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daifa-gc-'));
    db = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    await sql`create table t (v text primary key)`.execute(k());
    // A value of 'abort' makes SQLite roll back the whole transaction, not just the statement.
    await sql`create trigger t_abort before insert on t when new.v = 'abort' begin select raise(rollback, 'aborted by trigger'); end`.execute(
      k(),
    );
    other = new SQLite(join(dir, 'db.sqlite'));
  });
  afterEach(async () => {
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('transactions arriving together share one COMMIT, and each caller is answered after it is durable', async () => {
    const stats = db.groupCommit!;
    const before = { ...stats };
    const seenWhenAnswered: string[][] = [];
    const id = (i: number) => String(i).padStart(2, '0');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        k()
          .transaction()
          .execute(async (trx) => {
            await insert(`a${id(i)}`).execute(trx);
            await insert(`b${id(i)}`).execute(trx);
          })
          .then(() => (seenWhenAnswered[i] = rows())),
      ),
    );
    expect(rows()).toHaveLength(40);
    // Everyone who was answered could already read their own rows from another connection (a slow machine may
    // split the burst into several groups: the first group's callers then see only that group's rows).
    for (let i = 0; i < 20; i++) expect(seenWhenAnswered[i], `caller ${i}`).toEqual(expect.arrayContaining([`a${id(i)}`, `b${id(i)}`]));
    expect(stats.members - before.members).toBe(20);
    // Grouped: far fewer COMMITs than transactions. One or two on a quiet machine; a loaded CI machine once split the
    // burst into three groups (2026-12-07), so the bound is what proves grouping, not the exact count — without
    // grouping it would be 20.
    expect(stats.commits - before.commits).toBeLessThanOrEqual(5);
  });

  it('a finished transaction is neither committed nor answered while the next one of its group runs', async () => {
    let firstAnswered = false;
    let duringSecond: { rows: string[]; firstAnswered: boolean } | undefined;
    const first = k()
      .transaction()
      .execute((trx) => insert('x').execute(trx))
      .then(() => (firstAnswered = true));
    const second = k()
      .transaction()
      .execute(async (trx) => {
        // The first transaction's body is over (the connection is ours now), yet its work is not on disk, and its
        // caller has not been told it is.
        duringSecond = { rows: rows(), firstAnswered };
        await insert('y').execute(trx);
      });
    await Promise.all([first, second]);
    expect(duringSecond).toEqual({ rows: [], firstAnswered: false });
    expect(rows()).toEqual(['x', 'y']);
  });

  it('a failing transaction undoes only its own work; the others of its group are committed', async () => {
    const outcomes = await Promise.allSettled([
      k()
        .transaction()
        .execute((trx) => insert('ok1').execute(trx)),
      k()
        .transaction()
        .execute(async (trx) => {
          await insert('bad').execute(trx);
          throw new Error('changed my mind');
        }),
      insert('ok2').execute(k()),
      // A unique violation on a single statement: only that statement fails.
      insert('ok1').execute(k()),
      k()
        .transaction()
        .execute((trx) => insert('ok3').execute(trx)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual(['ok1', 'ok2', 'ok3']);
  });

  it('when SQLite rolls back the whole transaction, every caller in the group gets the error and nothing of it stays', async () => {
    const outcomes = await Promise.allSettled([
      k()
        .transaction()
        .execute((trx) => insert('early').execute(trx)),
      insert('single').execute(k()),
      k()
        .transaction()
        .execute((trx) => insert('abort').execute(trx)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/transaction group rolled back by SQLite: aborted by trigger/);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/aborted by trigger/);
    expect(rows()).toEqual([]);
    // The connection is usable afterwards.
    await k()
      .transaction()
      .execute((trx) => insert('after').execute(trx));
    expect(rows()).toEqual(['after']);
  });

  it("after waiting for another process's write lock, a group is committed as soon as nobody here is queued", async () => {
    const stats = db.groupCommit!;
    // Uncontended: a lone write is committed at the end of the turn (after an already scheduled callback).
    let seen = -1;
    const c0 = stats.commits;
    setImmediate(() => (seen = stats.commits));
    await insert('u1').execute(k());
    expect(seen).toBe(c0);
    // Another connection (a thread here, a process in production) holds the write lock for 100 ms.
    const holder = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const db = new (require(workerData.module))(workerData.file);
       db.prepare('begin immediate').run();
       db.prepare("insert into t (v) values ('w')").run();
       parentPort.postMessage('held');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
       db.prepare('commit').run();
       db.close();`,
      { eval: true, workerData: { file: join(dir, 'db.sqlite'), module: createRequire(import.meta.url).resolve('better-sqlite3') } },
    );
    const holderExited = new Promise((r) => holder.once('exit', r));
    await new Promise((r) => holder.once('message', r));
    await insert('u2').execute(k()); // waits for the lock
    await holderExited;
    // Contended: the lone write is committed and answered before the callback scheduled ahead of it runs.
    seen = -1;
    const c1 = stats.commits;
    setImmediate(() => (seen = stats.commits));
    await insert('u3').execute(k());
    expect(seen).toBe(-1);
    expect(stats.commits).toBe(c1 + 1);
    expect(rows()).toEqual(['u1', 'u2', 'u3', 'w']);
  });

  it('reads see the group they join, and closing commits what is pending', async () => {
    const [, read] = await Promise.all([insert('r1').execute(k()), sql<{ n: number }>`select count(*) as n from t`.execute(k())]);
    expect(read.rows[0]!.n).toBe(1);
    void insert('last').execute(k());
    await db.close();
    expect(rows()).toEqual(['last', 'r1']);
    db = openDatabase(`sqlite:${join(dir, 'db.sqlite')}`); // for afterEach
  });
});
