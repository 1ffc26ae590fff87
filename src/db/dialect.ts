import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { groupCommitDialect, type GroupCommitStats } from './sqlite-group-commit.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';

/**
 * Every SQLite/PostgreSQL difference lives in this file (Kysely's dialect discipline). Everything else
 * writes queries in the subset both understand.
 */
export type DialectName = 'sqlite' | 'postgres';
/** The database or an open transaction: what every repository function takes first. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
  /** SQLite with group commit: real COMMITs and the callers they answered. */
  groupCommit?: GroupCommitStats;
}

let pgTypesConfigured = false;

export function openDatabase(url: string, opts: { searchPath?: string; poolSize?: number } = {}): Db {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const database = new SQLite(file);
    // WAL lets readers run beside the one writer; synchronous=NORMAL is durable against a process crash
    // (SIGKILL), which is the failure we must survive; busy_timeout makes a second process wait instead of failing.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('busy_timeout = 10000');
    database.pragma('foreign_keys = ON');
    database.pragma('temp_store = MEMORY');
    // Buyer data and money live here: readable by this user only (the WAL and shared-memory files too).
    if (file !== ':memory:') for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    const cached = withStatementCache(database);
    // Group commit unless turned off (DAIFA_SQLITE_GROUP_COMMIT=0, to compare): see sqlite-group-commit.ts.
    const group = process.env.DAIFA_SQLITE_GROUP_COMMIT === '0' ? null : groupCommitDialect(cached);
    const kysely = new Kysely<Database>({ dialect: group?.dialect ?? new SqliteDialect({ database: cached }) });
    // Checkpoints on a thread of their own unless turned off (DAIFA_SQLITE_CHECKPOINT_THREAD=0): see sqlite-checkpointer.ts.
    let checkpointer: Checkpointer | undefined;
    if (file !== ':memory:' && process.env.DAIFA_SQLITE_CHECKPOINT_THREAD !== '0') {
      database.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      let warned = false;
      checkpointer = startCheckpointer(file, {
        onError: (message) => {
          if (!warned) process.emitWarning(`SQLite background checkpoint failed (the automatic one stays as a fallback): ${message}`);
          warned = true;
        },
      });
    }
    const close = async () => {
      await kysely.destroy();
      await checkpointer?.close();
    };
    return { kysely, dialect: 'sqlite', close, ...(group ? { groupCommit: group.stats } : {}) };
  }
  if (!pgTypesConfigured) {
    // int8 (bigint/bigserial/count) arrives as a string by default; every int8 we store is a millisecond
    // time, a row id or a count, all far below 2^53. External ids are stored as text, never as int8.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    pgTypesConfigured = true;
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    ...(opts.searchPath ? { options: `-c search_path=${opts.searchPath}` } : {}),
  });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
}

/**
 * better-sqlite3 compiles SQL on every prepare(), and Kysely prepares each query anew; the same few SQL
 * texts repeat endlessly, so keep their prepared statements (bounded).
 */
function withStatementCache(database: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = database.prepare.bind(database);
  // An own property on this one connection (a Proxy around it cost a trap on every access Kysely makes).
  database.prepare = ((sqlText: string) => {
    let st = cache.get(sqlText);
    if (!st) {
      // Oldest first out; the hot texts are prepared again at once (an LRU's reordering cost more than it saved).
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      st = prepare(sqlText);
      cache.set(sqlText, st);
    }
    if (sqlProfile) return profiled(sqlText, st);
    return st;
  }) as typeof database.prepare;
  return database;
}

/**
 * Statement profile for the benchmarks (DAIFA_SQL_PROFILE=1, SQLite): count and native time per SQL text, to
 * see what a workload costs in the database. Off by default: it wraps every statement it hands out.
 */
const sqlProfile = process.env.DAIFA_SQL_PROFILE === '1';
const profile = new Map<string, { count: number; ns: bigint }>();

export function sqlProfileTop(n = 25): { sql: string; count: number; ms: number }[] {
  const ms = (ns: bigint) => Number(ns / 1000n) / 1000;
  const rows = [...profile].map(([sqlText, e]) => ({ sql: sqlText, count: e.count, ms: ms(e.ns) }));
  const total = { sql: '(all statements)', count: 0, ms: 0 };
  for (const r of rows) {
    total.count += r.count;
    total.ms += r.ms;
  }
  return [total, ...rows.sort((a, b) => b.ms - a.ms)].slice(0, n);
}

function profiled(sqlText: string, st: SQLite.Statement): SQLite.Statement {
  const time =
    <A extends unknown[], R>(fn: (...a: A) => R) =>
    (...a: A): R => {
      const t0 = process.hrtime.bigint();
      try {
        return fn(...a);
      } finally {
        const e = profile.get(sqlText) ?? { count: 0, ns: 0n };
        e.count++;
        e.ns += process.hrtime.bigint() - t0;
        profile.set(sqlText, e);
      }
    };
  return Object.assign(Object.create(st) as SQLite.Statement, {
    all: time(st.all.bind(st)),
    run: time(st.run.bind(st)),
    get: time(st.get.bind(st)),
    iterate: time(st.iterate.bind(st)),
  });
}

/** Auto-increment primary key: SQLite's INTEGER PRIMARY KEY alias of rowid vs PostgreSQL's bigserial. */
export function withId<T extends string>(builder: CreateTableBuilder<T, never>, dialect: DialectName): CreateTableBuilder<T, 'id'> {
  return dialect === 'sqlite'
    ? builder.addColumn('id', 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement())
    : builder.addColumn('id', 'bigserial', (c: ColumnDefinitionBuilder) => c.primaryKey());
}

/**
 * Row locking for job claims. PostgreSQL: FOR UPDATE SKIP LOCKED so several worker processes each take
 * different rows without waiting. SQLite: a database has one writer at a time, so the claim UPDATE is
 * already exclusive and the clause does not exist.
 */
export function skipLocked(dialect: DialectName) {
  return dialect === 'postgres' ? sql`for update skip locked` : sql``;
}

/**
 * Row lock held to the end of the transaction, to serialise decisions that read a sum and then write (e.g. a
 * shop's daily payment cap). PostgreSQL: FOR NO KEY UPDATE — it waits for another holder but not for the key-share
 * locks that inserts referencing the row take. SQLite: one writer at a time already, and no such clause.
 */
/** The dialect a Kysely instance (or transaction) speaks: for statements compiled once (see prepared()). */
export function dialectOf(db: { getExecutor(): { adapter: unknown } }): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

export function lockRow(dialect: DialectName) {
  return dialect === 'postgres' ? sql`for no key update` : sql``;
}

/** Unique-constraint violation: PostgreSQL SQLSTATE 23505, SQLite SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A cheap read that fails when the database is unreachable (health checks, doctor). */
export async function ping(db: Db): Promise<void> {
  await db.kysely.selectFrom('shops').select('id').limit(1).execute();
}
