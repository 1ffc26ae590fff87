import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { DaifaError, isRetryable } from '../lib/errors.js';
import { randomAlnum } from '../lib/random.js';
import type { Insertable } from 'kysely';
import type { JobRunsTable } from '../db/schema.js';
import { TurnBatcher } from '../lib/turn-batcher.js';
import type { Job, JobQueue } from './queue.js';

export interface JobContext {
  job: Job;
  workerId: string;
}

export type JobHandler = (payload: any, ctx: JobContext) => Promise<void>;

/** Thrown by a handler when the work can never succeed as is: the job becomes dead at once (visible, retryable by an operator). */
export class PermanentJobError extends Error {}

export interface WorkerOptions {
  concurrency: number;
  leaseMs?: number;
  pollMs?: number;
  /** Record each finished run in job_runs (start, end, outcome, worker) for operators and for the exclusivity test. */
  recordRuns?: boolean;
  /** Called after a job became dead (alerting); its failure is logged and never affects the worker. */
  onDead?: (job: Job, error: string) => Promise<void>;
}

export class Worker {
  readonly id = `${hostname()}:${process.pid}:${randomAlnum(4)}`;
  private running = false;
  private inflight = new Set<Promise<void>>();
  private wake?: () => void;
  /** Something was enqueued or finished since the last claim began (a wake-up that found the loop not waiting). */
  private signalled = false;
  private unsubscribe?: () => void;
  private loopDone?: Promise<void>;
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: ReadonlyMap<string, JobHandler>,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.pollMs = opts.pollMs ?? 250;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.queue.onEnqueue(() => this.signal());
    this.loopDone = this.loop();
    this.log.info({ worker: this.id, concurrency: this.opts.concurrency }, 'worker started');
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    // Kept like any wake-up: a stop that arrives while the loop is claiming must not wait out a poll interval.
    this.signal();
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      // Let the jobs finishing in this turn of the event loop finish first, so one claim takes their successors
      // together (a claim is a write transaction; one per job was a large share of the queue's cost).
      if (this.inflight.size > 0) await new Promise((r) => setImmediate(r));
      const free = this.opts.concurrency - this.inflight.size;
      // A job enqueued or finished while the claim below runs may have committed after it looked: that wake-up
      // must not be lost, or its successor would wait a whole poll interval.
      this.signalled = false;
      let claimed: Job[] = [];
      if (free > 0) {
        try {
          claimed = await this.queue.claim(this.id, free, this.leaseMs);
        } catch (err) {
          this.log.error({ err, worker: this.id }, 'claiming jobs failed');
        }
      }
      for (const job of claimed) {
        const p = this.run(job).finally(() => {
          this.inflight.delete(p);
          this.signal();
        });
        this.inflight.add(p);
      }
      if ((claimed.length === 0 || claimed.length === free) && !this.signalled) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private signal(): void {
    this.signalled = true;
    this.wake?.();
  }

  private async run(job: Job): Promise<void> {
    const handler = this.handlers.get(job.kind);
    const started = this.queue.clock.now();
    let outcome: string;
    // Keep the lease while a long job runs, so no other worker takes it over.
    const heartbeat = setInterval(
      () => void this.queue.extendLease(job, this.id, this.leaseMs).catch(() => undefined),
      Math.max(1000, this.leaseMs / 3),
    );
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind ${job.kind}`);
      if (job.attempts > job.max_attempts) throw new PermanentJobError('lease expired too many times (worker crashed while running it?)');
      await handler(JSON.parse(job.payload), { job, workerId: this.id });
      clearInterval(heartbeat);
      outcome = (await this.queue.complete(job, this.id)) ? 'done' : 'lost-lease';
    } catch (err) {
      clearInterval(heartbeat);
      const permanent = err instanceof PermanentJobError || (err instanceof DaifaError && !err.retryable);
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      outcome = await this.queue.fail(job, this.id, message, {
        permanent: permanent && !isRetryable(err),
        retryAfterMs: err instanceof DaifaError ? err.retryAfterMs : undefined,
      });
      const level = outcome === 'dead' ? 'error' : 'warn';
      this.log[level]({ jobId: job.id, kind: job.kind, attempt: job.attempts, outcome, err: message }, 'job failed');
      if (outcome === 'dead' && this.opts.onDead && !job.kind.startsWith('notify.')) {
        await this.opts.onDead(job, message).catch((e) => this.log.error({ err: (e as Error).message }, 'dead-job alert failed'));
      }
    }
    if (this.opts.recordRuns)
      await this.recordRun({
        job_id: job.id,
        kind: job.kind,
        worker: this.id,
        started_at: started,
        finished_at: this.queue.clock.now(),
        outcome,
      });
  }

  /**
   * One row per finished run, written once it is over (start, end, outcome); the runs that end in the same turn
   * are one INSERT. A run cut short by a crash leaves no row — the job's own row keeps its attempts and lease.
   */
  private recordRun(row: Insertable<JobRunsTable>): Promise<void> {
    return this.runs.submit(row);
  }

  private readonly runs = new TurnBatcher<Insertable<JobRunsTable>, void>(async (batch) => {
    await this.queue.db.kysely
      .insertInto('job_runs')
      .values(batch.map((r) => r.item))
      .execute()
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message, worker: this.id }, 'recording job runs failed'));
    for (const r of batch) r.resolve();
  }, 100);
}
