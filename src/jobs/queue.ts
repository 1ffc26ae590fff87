import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import { isUniqueViolation, skipLocked, type Db } from '../db/dialect.js';
import { prepared } from '../db/prepared.js';
import type { Database, JobsTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { TurnBatcher } from '../lib/turn-batcher.js';

export type Job = Selectable<JobsTable>;
export type { Executor } from '../db/dialect.js';
import type { Executor } from '../db/dialect.js';

export interface JobSpec {
  kind: string;
  payload?: unknown;
  /** Delay before the first run (delayed jobs). */
  delayMs?: number;
  /** While a pending job with this key exists, enqueueing another is a no-op. */
  singletonKey?: string;
  maxAttempts?: number;
  /** Why this job exists as a retry of work that failed elsewhere (shown as its last error until it runs). */
  lastError?: string;
}

export const DEFAULT_MAX_ATTEMPTS = 8;
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 10 * 60_000;

/** Exponential backoff with a cap and ±20 % jitter so that retries of a burst spread out. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const raw = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * Enqueue inside the caller's transaction, so a job exists if and only if the state change that caused it
 * was committed. Returns the new job id, or null when a pending singleton copy already exists.
 */
export async function enqueue(trx: Executor, spec: JobSpec, now: number): Promise<number | null> {
  const { rows } = await insertJob(
    trx,
    spec.kind,
    JSON.stringify(spec.payload ?? {}),
    'pending',
    now + (spec.delayMs ?? 0),
    0,
    spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    spec.singletonKey ?? null,
    spec.lastError?.slice(0, 2000) ?? null,
    now,
    now,
  );
  return rows[0]?.id ?? null;
}

// Compiled once (every order enqueues about eight jobs; see prepared()).
const insertJob = prepared(
  (
    db,
    kind: string,
    payload: string,
    status: string,
    run_at: number,
    attempts: number,
    max_attempts: number,
    singleton_key: string | null,
    last_error: string | null,
    created_at: number,
    updated_at: number,
  ) =>
    db
      .insertInto('jobs')
      .values({ kind, payload, status, run_at, attempts, max_attempts, singleton_key, last_error, created_at, updated_at })
      .onConflict((oc) => oc.doNothing())
      .returning('id'),
);

/** How often a claim also looks for jobs whose worker died (lease expired). Pending jobs are looked for on every claim. */
export const EXPIRED_SWEEP_MS = 1_000;

/** Whether a singleton job is waiting or running under this key. */
export async function isScheduled(ex: Executor, singletonKey: string): Promise<boolean> {
  const row = await ex
    .selectFrom('jobs')
    .select('id')
    .where('singleton_key', '=', singletonKey)
    .where('status', 'in', ['pending', 'running'])
    .executeTakeFirst();
  return row !== undefined;
}

export class JobQueue {
  private listeners = new Set<() => void>();
  private nextExpiredSweep = 0;

  constructor(
    readonly db: Db,
    readonly clock: Clock,
  ) {}

  /** Lets in-process workers start at once instead of waiting for their next poll. */
  onEnqueue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const l of this.listeners) l();
  }

  async add(spec: JobSpec, trx: Executor = this.db.kysely): Promise<number | null> {
    const id = await enqueue(trx, spec, this.clock.now());
    if (trx === this.db.kysely) this.notify();
    return id;
  }

  /**
   * Claim due jobs with a lease. A running job whose lease has expired (its worker died) is claimable again.
   * PostgreSQL skips rows other workers hold; SQLite has a single writer.
   */
  async claim(workerId: string, limit: number, leaseMs: number): Promise<Job[]> {
    const now = this.clock.now();
    const k = this.db.kysely;
    const take = (due: SelectQueryBuilder<Database, 'jobs', { id: number }>) =>
      k
        .updateTable('jobs')
        .set({ status: 'running', locked_by: workerId, lease_until: now + leaseMs, attempts: sql`attempts + 1`, updated_at: now })
        .where('id', 'in', due)
        .returningAll()
        .execute();
    // Two index walks instead of one OR (which made both databases sort every pending job on each claim once the
    // queue was deep): first jobs whose worker died, then the due pending ones in (run_at, id) order. Dead workers
    // are rare and a lease is a minute long, so the first walk runs at most once a second (each claim is a write
    // transaction; half of them found nothing).
    let expired: Job[] = [];
    if (now >= this.nextExpiredSweep) {
      expired = await take(
        k
          .selectFrom('jobs')
          .select('id')
          .where('status', '=', 'running')
          .where('lease_until', '<', now)
          .orderBy('id')
          .limit(limit)
          .modifyEnd(skipLocked(this.db.dialect)),
      );
      if (expired.length >= limit) return expired;
      this.nextExpiredSweep = now + EXPIRED_SWEEP_MS;
    }
    const pending = await take(
      k
        .selectFrom('jobs')
        .select('id')
        .where('status', '=', 'pending')
        .where('run_at', '<=', now)
        .orderBy('run_at')
        .orderBy('id')
        .limit(limit - expired.length)
        .modifyEnd(skipLocked(this.db.dialect)),
    );
    return [...expired, ...pending];
  }

  async extendLease(job: Job, workerId: string, leaseMs: number): Promise<boolean> {
    const r = await this.db.kysely
      .updateTable('jobs')
      .set({ lease_until: this.clock.now() + leaseMs })
      .where('id', '=', job.id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Mark a job done (false when this worker no longer holds it). Completions of the same turn of the event loop are
   * written by one UPDATE, which resolves each caller after it commits: a worker finishing many jobs at once pays
   * one write transaction instead of one each.
   */
  complete(job: Job, workerId: string): Promise<boolean> {
    return this.completions.submit({ id: job.id, workerId });
  }

  private readonly completions = new TurnBatcher<{ id: number; workerId: string }, boolean>(async (batch) => {
    const now = this.clock.now();
    const byWorker = new Map<string, typeof batch>();
    for (const c of batch) {
      const list = byWorker.get(c.item.workerId);
      if (list) list.push(c);
      else byWorker.set(c.item.workerId, [c]);
    }
    for (const [workerId, mine] of byWorker) {
      const done = await this.db.kysely
        .updateTable('jobs')
        .set({ status: 'done', finished_at: now, updated_at: now, lease_until: null, last_error: null })
        .where(
          'id',
          'in',
          mine.map((c) => c.item.id),
        )
        .where('locked_by', '=', workerId)
        .where('status', '=', 'running')
        .returning('id')
        .execute();
      const held = new Set(done.map((r) => Number(r.id)));
      for (const c of mine) c.resolve(held.has(c.item.id));
    }
  }, 500);

  /** Retry later with backoff, or keep as a dead job when attempts are exhausted or the error is permanent. */
  async fail(
    job: Job,
    workerId: string,
    error: string,
    opts: { permanent?: boolean; retryAfterMs?: number } = {},
  ): Promise<'retry' | 'dead' | 'superseded' | 'lost'> {
    const now = this.clock.now();
    const dead = opts.permanent || job.attempts >= job.max_attempts;
    const base = this.db.kysely
      .updateTable('jobs')
      .where('id', '=', job.id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running');
    if (dead) {
      const r = await base
        .set({ status: 'dead', last_error: error.slice(0, 2000), finished_at: now, updated_at: now, lease_until: null })
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1 ? 'dead' : 'lost';
    }
    const delay = Math.max(opts.retryAfterMs ?? 0, backoffMs(job.attempts));
    try {
      const r = await base
        .set({
          status: 'pending',
          run_at: now + delay,
          last_error: error.slice(0, 2000),
          updated_at: now,
          lease_until: null,
          locked_by: null,
        })
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1 ? 'retry' : 'lost';
    } catch (err) {
      // A newer pending copy of this singleton exists; it will do the same work, so this one steps aside.
      if (!isUniqueViolation(err)) throw err;
      await base.set({ status: 'done', last_error: `superseded: ${error}`.slice(0, 2000), finished_at: now, updated_at: now }).execute();
      return 'superseded';
    }
  }

  /** Operator action: put dead jobs back in the queue with a fresh attempt budget. */
  async retryDead(ids: number[] | 'all'): Promise<number> {
    const now = this.clock.now();
    let q = this.db.kysely
      .updateTable('jobs')
      .set({ status: 'pending', attempts: 0, run_at: now, updated_at: now, finished_at: null, locked_by: null })
      .where('status', '=', 'dead');
    if (ids !== 'all') q = q.where('id', 'in', ids.length ? ids : [-1]);
    try {
      const r = await q.executeTakeFirst();
      this.notify();
      return Number(r.numUpdatedRows);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A pending copy exists for one of these singletons: retry one by one and skip the duplicates.
      const rows = await this.db.kysely
        .selectFrom('jobs')
        .select('id')
        .where('status', '=', 'dead')
        .$if(ids !== 'all', (qb) => qb.where('id', 'in', ids as number[]))
        .execute();
      let n = 0;
      for (const { id } of rows) {
        try {
          n += Number(
            (
              await this.db.kysely
                .updateTable('jobs')
                .set({ status: 'pending', attempts: 0, run_at: now, updated_at: now, finished_at: null, locked_by: null })
                .where('id', '=', id)
                .where('status', '=', 'dead')
                .executeTakeFirst()
            ).numUpdatedRows,
          );
        } catch (e) {
          if (!isUniqueViolation(e)) throw e;
        }
      }
      this.notify();
      return n;
    }
  }

  async list(filter: { status?: string; kind?: string; limit?: number; beforeId?: number } = {}): Promise<Job[]> {
    let q = this.db.kysely
      .selectFrom('jobs')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(Math.min(filter.limit ?? 50, 500));
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.beforeId) q = q.where('id', '<', filter.beforeId);
    return q.execute();
  }

  async countsByStatus(): Promise<Record<string, number>> {
    const rows = await this.db.kysely
      .selectFrom('jobs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Finished jobs are history; keep a window of them and drop the rest. */
  async prune(olderThanMs: number): Promise<number> {
    const cutoff = this.clock.now() - olderThanMs;
    const r = await this.db.kysely.deleteFrom('jobs').where('status', '=', 'done').where('finished_at', '<', cutoff).executeTakeFirst();
    await this.db.kysely.deleteFrom('job_runs').where('finished_at', '<', cutoff).execute();
    return Number(r.numDeletedRows);
  }
}
