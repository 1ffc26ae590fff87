import {
  CompiledQuery,
  type Compilable,
  type Insertable,
  type InsertQueryBuilder,
  type InsertResult,
  type Kysely,
  type QueryResult,
} from 'kysely';
import type { Database } from './schema.js';

/**
 * A hot statement of fixed shape, built and compiled by Kysely once per dialect, then run with new parameters:
 * for the few writes every order makes a dozen times, building and compiling the query cost more than SQLite
 * running it. `build` must pass each argument through as a bound value — no arithmetic, no branching on it,
 * no `undefined` — because the template is compiled from marker arguments; it is refused unless every
 * parameter of the compiled query is one of them.
 */
export function prepared<A extends unknown[], R>(build: (db: Kysely<Database>, ...args: A) => Compilable<R>) {
  const templates = new Map<unknown, { sql: string; slots: number[] }>();
  return async (db: Kysely<Database>, ...args: A): Promise<QueryResult<R>> => {
    // The compiled text depends only on the dialect (SQLite `?`, PostgreSQL `$n`).
    const dialect = db.getExecutor().adapter.constructor;
    let t = templates.get(dialect);
    if (!t) {
      const markers = args.map((_, i) => `\u0000prepared-arg-${i}`);
      const compiled = build(db, ...(markers as A)).compile();
      const slots = compiled.parameters.map((p) => markers.indexOf(p as string));
      if (slots.includes(-1) || markers.some((_, i) => !slots.includes(i)))
        throw new Error(`prepared statement does not bind each argument as a value: ${compiled.sql}`);
      t = { sql: compiled.sql, slots };
      templates.set(dialect, t);
    }
    return db.executeQuery<R>(
      CompiledQuery.raw(
        t.sql,
        t.slots.map((i) => args[i] ?? null),
      ) as CompiledQuery<R>,
    );
  };
}

/**
 * A hot INSERT of fixed columns, compiled once (see prepared()): called with the row as an object, like Kysely's
 * `values()`. Every listed column must be given (null where empty — a missing one would silently become null
 * instead of the column's default), and no other: a typo or a column added at the call but not here is an error,
 * never a value dropped. `finish` adds what follows the values (returning, on conflict — with no values of its own).
 */
export function preparedInsert<T extends keyof Database & string, C extends keyof Insertable<Database[T]> & string, R = InsertResult>(
  table: T,
  columns: readonly C[],
  finish?: (q: InsertQueryBuilder<Database, T, InsertResult>) => Compilable<R>,
) {
  const run = prepared((db: Kysely<Database>, ...values: unknown[]) => {
    const q = db.insertInto(table).values(Object.fromEntries(columns.map((c, i) => [c, values[i]])) as Insertable<Database[T]>);
    return finish ? finish(q) : (q as unknown as Compilable<R>);
  });
  const known = new Set<string>(columns);
  return async (db: Kysely<Database>, row: { [K in C]-?: Exclude<Insertable<Database[T]>[K], undefined> }): Promise<QueryResult<R>> => {
    for (const key in row) if (!known.has(key)) throw new Error(`insert into ${table}: column ${key} is not one of the prepared columns`);
    const values = columns.map((c) => {
      const v = (row as Record<string, unknown>)[c];
      if (v === undefined) throw new Error(`insert into ${table}: no value for column ${c}`);
      return v;
    });
    return run(db, ...values) as Promise<QueryResult<R>>;
  };
}
