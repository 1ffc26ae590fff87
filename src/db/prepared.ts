import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
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
      if (slots.includes(-1) || markers.some((_, i) => !slots.includes(i))) throw new Error(`prepared statement does not bind each argument as a value: ${compiled.sql}`);
      t = { sql: compiled.sql, slots };
      templates.set(dialect, t);
    }
    return db.executeQuery<R>(CompiledQuery.raw(t.sql, t.slots.map((i) => args[i] ?? null)) as CompiledQuery<R>);
  };
}
