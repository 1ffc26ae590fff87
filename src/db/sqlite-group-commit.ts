import type SQLite from 'better-sqlite3';
import { SqliteDialect, type DatabaseConnection, type Driver, type QueryResult, type CompiledQuery } from 'kysely';

/**
 * Group commit for SQLite (the embedded default).
 *
 * A commit is the largest single cost of the order loop on SQLite: every order makes about a dozen small write
 * transactions, and each COMMIT writes its dirty pages (the same tail pages of the jobs and events indexes, again
 * and again) to the WAL. This driver lets the transactions and writes that queue up for the one connection share
 * one real transaction:
 *
 * - The first write opens a real transaction (BEGIN IMMEDIATE). Each Kysely transaction inside it is a SAVEPOINT:
 *   its ROLLBACK undoes only its own work; its "commit" is a RELEASE.
 * - Nobody learns of a write before it is durable: every caller whose work joined the open group — a transaction,
 *   a single statement, even a read that saw the group's uncommitted rows — is answered only after the group's
 *   COMMIT. An intent recorded before an external call is therefore on disk before the call, as before.
 * - The group commits at the end of the turn of the event loop in which it was last used (after everyone queued
 *   for the connection by then), or at once when it has been open for `maxGroupMs`. When another process shares the
 *   file (this one had to wait for the write lock lately), it commits as soon as nobody here is queued, so the
 *   other process is not kept waiting for a whole turn.
 * - If the real transaction fails as a whole (a COMMIT error, or an error that makes SQLite roll back everything,
 *   such as SQLITE_FULL or RAISE(ROLLBACK)), every caller in the group gets the error: none of them was answered,
 *   so nothing already acknowledged is lost.
 *
 * The semantics for callers are those of SQLite's own serialised transactions; only the number of COMMITs changes.
 */
export interface GroupCommitStats {
  /** Real COMMITs written. */
  commits: number;
  /** Callers answered by those commits. */
  members: number;
}

export function groupCommitDialect(
  database: SQLite.Database,
  opts: { maxGroupMs?: number } = {},
): { dialect: SqliteDialect; stats: GroupCommitStats } {
  const driver = new GroupCommitDriver(database, opts.maxGroupMs ?? 20);
  class Dialect extends SqliteDialect {
    override createDriver(): Driver {
      return driver;
    }
  }
  return { dialect: new Dialect({ database }), stats: driver.stats };
}

type Waiter = { resolve: () => void; reject: (err: unknown) => void };

const SAVEPOINT = 'daifa_tx';
/**
 * When BEGIN IMMEDIATE finds the write lock held by another connection (another process on the file), groups are
 * committed as soon as no caller here is queued, for this long. (Measured as SQLITE_BUSY, not as time waited: on
 * a busy machine a BEGIN descheduled for a few milliseconds is not contention, and mistaking it for contention
 * split groups into ten times more commits.)
 */
const CONTENDED_FOR_MS = 10_000;

class GroupCommitDriver implements Driver {
  readonly stats: GroupCommitStats = { commits: 0, members: 0 };
  private readonly connection: DatabaseConnection;
  /** FIFO of callers waiting for the connection; `held` while someone has it. */
  private held = false;
  /** BEGIN IMMEDIATE, and busy_timeout off and back to the connection's own value (read once), prepared once. */
  private beginStatements: { begin: SQLite.Statement; noWait: SQLite.Statement; wait: SQLite.Statement } | undefined;
  private readonly queue: (() => void)[] = [];
  /** The open real transaction, if any: when it began and who waits for its COMMIT. */
  private group: { openedAt: number; waiters: Waiter[] } | null = null;
  /** The current holder's work touched the open group (so it must wait for its COMMIT). */
  private touched = false;
  private inSavepoint = false;
  private commitScheduled = false;
  /** Until then another process is taken to be writing to the same file (see releaseConnection). */
  private contendedUntil = 0;
  private destroyed = false;

  constructor(
    private readonly db: SQLite.Database,
    private readonly maxGroupMs: number,
  ) {
    this.connection = { executeQuery: (q) => this.execute(q), streamQuery: (q) => this.stream(q) };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock();
    this.touched = false;
    return this.connection;
  }

  async beginTransaction(): Promise<void> {
    this.openGroup();
    this.touched = true;
    this.db.prepare(`savepoint ${SAVEPOINT}`).run();
    this.inSavepoint = true;
  }

  async commitTransaction(): Promise<void> {
    this.inSavepoint = false;
    this.run(`release ${SAVEPOINT}`);
  }

  async rollbackTransaction(): Promise<void> {
    this.inSavepoint = false;
    // When the whole real transaction is already gone (SQLite rolled it back), there is nothing left to undo.
    if (!this.db.inTransaction) return;
    this.run(`rollback to ${SAVEPOINT}`);
    this.run(`release ${SAVEPOINT}`);
  }

  async releaseConnection(): Promise<void> {
    const group = this.touched ? this.group : null;
    let wait: Promise<void> | undefined;
    if (group) wait = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
    if (this.group) {
      // Another process waits for the write lock (we had to wait for it recently): hand it over as soon as nobody
      // here is queued, instead of holding it to the end of the turn.
      const contended = this.queue.length === 0 && Date.now() < this.contendedUntil;
      if (contended || Date.now() - this.group.openedAt >= this.maxGroupMs) this.commitNow();
      else if (!this.commitScheduled) {
        // Whoever asks for the connection during the rest of this turn joins the group; then it commits.
        this.commitScheduled = true;
        setImmediate(() => void this.scheduledCommit());
      }
    }
    this.unlock();
    await wait;
  }

  private async scheduledCommit(): Promise<void> {
    await this.lock();
    this.commitScheduled = false;
    try {
      if (this.group) this.commitNow();
    } finally {
      this.unlock();
    }
  }

  async destroy(): Promise<void> {
    await this.lock();
    try {
      if (this.group) this.commitNow();
      this.destroyed = true;
      this.db.close();
    } finally {
      this.unlock();
    }
  }

  // Savepoints of Kysely's controlled transactions, nested in ours.
  async savepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.run(`savepoint "${name}"`);
  }

  async rollbackToSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.run(`rollback to "${name}"`);
  }

  async releaseSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.run(`release "${name}"`);
  }

  private execute(q: CompiledQuery): Promise<QueryResult<any>> {
    const stmt = this.db.prepare(q.sql);
    if (!this.inSavepoint) {
      // A statement on its own: a write opens (or joins) the group; a read joins the group if one is open, since it
      // sees its rows.
      if (!stmt.readonly) this.openGroup();
      if (this.group) this.touched = true;
    }
    try {
      if (stmt.reader) return Promise.resolve({ rows: stmt.all(q.parameters) });
      const { changes, lastInsertRowid } = stmt.run(q.parameters);
      return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
    } catch (err) {
      this.checkAborted(err);
      throw err;
    }
  }

  private async *stream(q: CompiledQuery): AsyncIterableIterator<QueryResult<any>> {
    const stmt = this.db.prepare(q.sql);
    if (!stmt.reader) throw new Error('Sqlite driver only supports streaming of select queries');
    if (this.group) this.touched = true;
    for (const row of stmt.iterate(q.parameters)) yield { rows: [row] };
  }

  private run(sqlText: string): void {
    try {
      this.db.prepare(sqlText).run();
    } catch (err) {
      this.checkAborted(err);
      throw err;
    }
  }

  private openGroup(): void {
    if (this.group) return;
    if (this.destroyed) throw new Error('database is closed');
    // First without waiting: SQLITE_BUSY means another connection writes; then wait for it (busy_timeout).
    const s = (this.beginStatements ??= this.prepareBegin());
    s.noWait.run();
    try {
      s.begin.run();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      this.contendedUntil = Date.now() + CONTENDED_FOR_MS;
      s.wait.run();
      s.begin.run();
    } finally {
      s.wait.run();
    }
    this.group = { openedAt: Date.now(), waiters: [] };
  }

  /** After an error: if SQLite ended the real transaction, every caller in the group learns it failed. */
  private checkAborted(err: unknown): void {
    if (!this.group || this.db.inTransaction) return;
    const { waiters } = this.group;
    this.group = null;
    this.touched = false;
    const failure = new Error(`transaction group rolled back by SQLite: ${(err as Error)?.message ?? err}`, { cause: err });
    for (const w of waiters) w.reject(failure);
  }

  private prepareBegin(): { begin: SQLite.Statement; noWait: SQLite.Statement; wait: SQLite.Statement } {
    const busyTimeoutMs = Number(this.db.pragma('busy_timeout', { simple: true }));
    return {
      begin: this.db.prepare('begin immediate'),
      noWait: this.db.prepare('pragma busy_timeout = 0'),
      wait: this.db.prepare(`pragma busy_timeout = ${busyTimeoutMs}`),
    };
  }

  /** Called by the holder of the connection. */
  private commitNow(): void {
    const group = this.group!;
    this.group = null;
    try {
      this.db.prepare('commit').run();
    } catch (err) {
      if (this.db.inTransaction) this.db.prepare('rollback').run();
      for (const w of group.waiters) w.reject(err);
      return;
    }
    this.stats.commits++;
    this.stats.members += group.waiters.length;
    for (const w of group.waiters) w.resolve();
  }

  private lock(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private unlock(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.held = false;
  }
}
