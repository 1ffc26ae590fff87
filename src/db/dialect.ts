import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type ColumnDefinitionBuilder, type CreateTableBuilder } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

/**
 * Every SQLite/PostgreSQL difference lives in this file (Kysely's dialect discipline). Everything else
 * writes queries in the subset both understand.
 */
export type DialectName = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
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
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
    return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
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
 * texts repeat endlessly, so keep their prepared statements (bounded, least recently used dropped).
 */
function withStatementCache(database: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = database.prepare.bind(database);
  return new Proxy(database, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') return Reflect.get(target, prop, receiver);
      return (sqlText: string) => {
        let st = cache.get(sqlText);
        if (st) {
          cache.delete(sqlText);
        } else {
          st = prepare(sqlText);
          if (cache.size >= max) cache.delete(cache.keys().next().value!);
        }
        cache.set(sqlText, st);
        return st;
      };
    },
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

/** Unique-constraint violation: PostgreSQL SQLSTATE 23505, SQLite SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
