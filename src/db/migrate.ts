import { Migrator, sql, type DatabaseIntrospector, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './dialect.js';
import * as m0001 from './migrations/0001-foundation.js';
import * as m0002 from './migrations/0002-alerts.js';
import * as m0003 from './migrations/0003-sourcing.js';
import * as m0004 from './migrations/0004-po-messages.js';
import * as m0005 from './migrations/0005-payments.js';
import * as m0006 from './migrations/0006-vouchers.js';
import * as m0007 from './migrations/0007-fulfilment.js';
import * as m0008 from './migrations/0008-negotiations.js';
import * as m0009 from './migrations/0009-sessions.js';
import * as m0010 from './migrations/0010-substitutes.js';
import * as m0011 from './migrations/0011-po-supplier-order.js';
import * as m0012 from './migrations/0012-scale-indexes.js';
import * as m0013 from './migrations/0013-processes.js';
import * as m0014 from './migrations/0014-deliver-echoes.js';
import * as m0015 from './migrations/0015-payment-retries.js';
import * as m0016 from './migrations/0016-payment-day-totals.js';
import * as m0017 from './migrations/0017-delivery-in-flight.js';
import * as m0018 from './migrations/0018-payment-block-cause.js';
import * as m0019 from './migrations/0019-line-withdrawn.js';
import * as m0020 from './migrations/0020-supplier-flow.js';
import * as m0021 from './migrations/0021-security.js';
import * as m0022 from './migrations/0022-line-spec-change.js';
import * as m0023 from './migrations/0023-one-inbound-store.js';

/** Migrations are listed in code (no directory scan) so that they ship with the bundle and run in order. */
const all = {
  '0001-foundation': m0001,
  '0002-alerts': m0002,
  '0003-sourcing': m0003,
  '0004-po-messages': m0004,
  '0005-payments': m0005,
  '0006-vouchers': m0006,
  '0007-fulfilment': m0007,
  '0008-negotiations': m0008,
  '0009-sessions': m0009,
  '0010-substitutes': m0010,
  '0011-po-supplier-order': m0011,
  '0012-scale-indexes': m0012,
  '0013-processes': m0013,
  '0014-deliver-echoes': m0014,
  '0015-payment-retries': m0015,
  '0016-payment-day-totals': m0016,
  '0017-delivery-in-flight': m0017,
  '0018-payment-block-cause': m0018,
  '0019-line-withdrawn': m0019,
  '0020-supplier-flow': m0020,
  '0021-security': m0021,
  '0022-line-spec-change': m0022,
  '0023-one-inbound-store': m0023,
} as const;

/** Runs every migration not yet applied (or, for upgrade tests, those up to and including `upTo`). */
export async function migrateToLatest(db: Db, opts: { upTo?: keyof typeof all } = {}): Promise<string[]> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, mod] of Object.entries(all)) out[name] = { up: (k) => mod.up(k, db.dialect) };
      return out;
    },
  };
  // Kysely looks for its migration tables in every schema unless told which one: on a PostgreSQL server shared by
  // several Daifa databases (or test schemas) another schema's table would be taken for ours.
  const schema =
    db.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0]?.s : undefined;
  const migrator = new Migrator({
    db: schema ? withOwnSchemaIntrospection(db.kysely, schema) : db.kysely,
    provider,
    migrationTableName: 'daifa_migrations',
    migrationLockTableName: 'daifa_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = opts.upTo ? await migrator.migrateTo(opts.upTo) : await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Kysely's migrator finds its own tables through `db.introspection.getTables()`, which on PostgreSQL reads every
 * column of every schema on the server and resolves each through `pg_get_serial_sequence(name)`: when another
 * schema is dropped or altered at that moment (another Daifa database on the same server, a test's schema) that
 * name lookup fails with the *other* schema's error (3F000 schema …, 42703 column …, 42P01 relation … does not
 * exist) — retries did not cure it on a busy server (CI, 2026-12-07: five test files failed after twelve reads).
 * The migrator only needs to know whether its two tables exist in our schema: this introspector answers that with
 * one plain catalogue read of our schema (an MVCC snapshot read: other schemas cannot fail it).
 */
function withOwnSchemaIntrospection(kysely: Db['kysely'], schema: string): Db['kysely'] {
  const introspection: DatabaseIntrospector = {
    async getSchemas() {
      const rows = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(
        kysely,
      );
      return rows.rows.map((r) => ({ name: r.name }));
    },
    async getTables() {
      const rows = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm')`.execute(kysely);
      return rows.rows.map((r) => ({ name: r.name, schema, isView: r.kind === 'v' || r.kind === 'm', columns: [] }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  };
  return new Proxy(kysely, {
    get(target, prop) {
      if (prop === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
