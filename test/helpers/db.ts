import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { randomAlnum } from '../../src/lib/random.js';

/**
 * Every integration test runs on the dialect chosen by DATABASE_URL: SQLite (default, a fresh file) or
 * PostgreSQL (a fresh schema per test database, dropped afterwards). CI runs the suite once for each.
 */
export const testDialect = (process.env.DATABASE_URL ?? '').startsWith('postgres') ? 'postgres' : 'sqlite';

export interface TestDb {
  db: Db;
  url: string;
  /** For child processes: environment that points at the same database. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function createTestDb(opts: { migrate?: boolean } = {}): Promise<TestDb> {
  if (testDialect === 'postgres') {
    const base = process.env.DATABASE_URL!;
    const schema = `t_${randomAlnum(10).toLowerCase()}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const db = openDatabase(base, { searchPath: schema });
    if (opts.migrate !== false) await migrateToLatest(db);
    const sep = base.includes('?') ? '&' : '?';
    const url = `${base}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    return {
      db,
      url,
      env: { DATABASE_URL: url },
      async cleanup() {
        await db.close();
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'daifa-test-'));
  const url = `sqlite:${join(dir, 'daifa.sqlite')}`;
  const db = openDatabase(url);
  if (opts.migrate !== false) await migrateToLatest(db);
  return {
    db,
    url,
    env: { DATABASE_URL: url, DAIFA_DATA_DIR: dir },
    async cleanup() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
