import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { JobQueue, backoffMs, enqueue, BACKOFF_CAP_MS } from '../../src/jobs/queue.js';
import { PermanentJobError, Worker, type JobHandler } from '../../src/jobs/worker.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

class ManualClock {
  constructor(public t = 1_700_000_000_000) {}
  now() {
    return this.t;
  }
}

describe('durable job queue', () => {
  let t: TestDb;
  let clock: ManualClock;
  let queue: JobQueue;

  beforeEach(async () => {
    t = await createTestDb();
    clock = new ManualClock();
    queue = new JobQueue(t.db, clock);
  });
  afterEach(async () => t.cleanup());

  it('a job enqueued in a rolled-back transaction does not exist', async () => {
    await expect(
      t.db.kysely.transaction().execute(async (trx) => {
        await enqueue(trx, { kind: 'x' }, clock.now());
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await t.db.kysely.transaction().execute(async (trx) => enqueue(trx, { kind: 'y' }, clock.now()));
    const jobs = await queue.list();
    expect(jobs.map((j) => j.kind)).toEqual(['y']);
  });

  it('claims due jobs once, respects delays, and completes them', async () => {
    await queue.add({ kind: 'now' });
    await queue.add({ kind: 'later', delayMs: 60_000 });
    const first = await queue.claim('w1', 10, 30_000);
    expect(first.map((j) => j.kind)).toEqual(['now']);
    expect(await queue.claim('w2', 10, 30_000)).toEqual([]);
    expect(await queue.complete(first[0]!, 'w1')).toBe(true);
    clock.t += 60_000;
    expect((await queue.claim('w2', 10, 30_000)).map((j) => j.kind)).toEqual(['later']);
  });

  it('singleton key: no second pending copy, but a follow-up may queue while one runs', async () => {
    expect(await queue.add({ kind: 'sync', singletonKey: 'order:1' })).not.toBeNull();
    expect(await queue.add({ kind: 'sync', singletonKey: 'order:1' })).toBeNull();
    const [running] = await queue.claim('w1', 1, 30_000);
    expect(await queue.add({ kind: 'sync', singletonKey: 'order:1' })).not.toBeNull();
    expect(await queue.add({ kind: 'sync', singletonKey: 'order:1' })).toBeNull();
    // The running copy fails: its retry would be a second pending copy, so it steps aside.
    expect(await queue.fail(running!, 'w1', 'boom')).toBe('superseded');
    expect((await queue.countsByStatus()).pending).toBe(1);
  });

  it('backs off exponentially with a cap, then keeps the job as dead; an operator can retry it', async () => {
    expect(backoffMs(1, () => 0.5)).toBe(1000);
    expect(backoffMs(4, () => 0.5)).toBe(8000);
    expect(backoffMs(40, () => 0.5)).toBe(BACKOFF_CAP_MS);
    await queue.add({ kind: 'flaky', maxAttempts: 2 });
    let [job] = await queue.claim('w', 1, 30_000);
    expect(await queue.fail(job!, 'w', 'e1')).toBe('retry');
    expect(await queue.claim('w', 1, 30_000)).toEqual([]);
    clock.t += BACKOFF_CAP_MS;
    [job] = await queue.claim('w', 1, 30_000);
    expect(job!.attempts).toBe(2);
    expect(await queue.fail(job!, 'w', 'e2')).toBe('dead');
    const dead = await queue.list({ status: 'dead' });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.last_error).toBe('e2');
    expect(await queue.retryDead([dead[0]!.id])).toBe(1);
    [job] = await queue.claim('w', 1, 30_000);
    expect(job!.attempts).toBe(1);
  });

  it('a job whose worker died is claimed again after its lease expires; the old worker cannot complete it', async () => {
    await queue.add({ kind: 'k' });
    const [job] = await queue.claim('dead-worker', 1, 10_000);
    expect(await queue.claim('w2', 1, 10_000)).toEqual([]);
    clock.t += 10_001;
    const [again] = await queue.claim('w2', 1, 10_000);
    expect(again!.id).toBe(job!.id);
    expect(await queue.complete(job!, 'dead-worker')).toBe(false);
    expect(await queue.complete(again!, 'w2')).toBe(true);
  });

  it('completions of one turn are written together; each caller still learns whether it held its job', async () => {
    for (const kind of ['a', 'b', 'c', 'd']) await queue.add({ kind });
    const mine = [...(await queue.claim('w1', 1, 5_000)), ...(await queue.claim('w1', 2, 60_000))];
    clock.t += 5_001; // w1's lease on 'a' lapses and w2 takes it over, then 'd'
    const [taken] = await queue.claim('w2', 1, 60_000);
    const [other] = await queue.claim('w2', 1, 60_000);
    expect([taken!.kind, other!.kind]).toEqual(['a', 'd']);
    const updates = vi.spyOn(t.db.kysely, 'updateTable');
    const held = await Promise.all([...mine.map((j) => queue.complete(j, 'w1')), queue.complete(other!, 'w2')]);
    expect(held).toEqual([false, true, true, true]);
    expect(updates).toHaveBeenCalledTimes(2); // one UPDATE per worker, not one per job
    updates.mockRestore();
    const byKind = Object.fromEntries((await queue.list()).map((j) => [j.kind, j.status]));
    expect(byKind).toEqual({ a: 'running', b: 'done', c: 'done', d: 'done' });
  });

  it('the worker runs handlers, retries failures and kills permanent errors at once', async () => {
    const realQueue = new JobQueue(t.db, { now: () => Date.now() });
    const seen: string[] = [];
    let flakyCalls = 0;
    const handlers = new Map<string, JobHandler>([
      ['ok', async (p) => void seen.push(p.v)],
      [
        'flaky',
        async () => {
          flakyCalls++;
          if (flakyCalls === 1) throw new Error('transient');
        },
      ],
      [
        'never',
        async () => {
          throw new PermanentJobError('cannot ever work');
        },
      ],
    ]);
    const worker = new Worker(realQueue, handlers, pino({ level: 'silent' }), { concurrency: 4, pollMs: 20, recordRuns: true });
    worker.start();
    await realQueue.add({ kind: 'ok', payload: { v: 'a' } });
    await realQueue.add({ kind: 'never' });
    await t.db.kysely
      .insertInto('jobs')
      .values({
        kind: 'flaky',
        payload: '{}',
        status: 'pending',
        run_at: Date.now(),
        attempts: 0,
        max_attempts: 3,
        created_at: 0,
        updated_at: 0,
      })
      .execute();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const c = await realQueue.countsByStatus();
      if ((c.done ?? 0) === 2 && (c.dead ?? 0) === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.stop();
    expect(seen).toEqual(['a']);
    expect(flakyCalls).toBe(2);
    const c = await realQueue.countsByStatus();
    expect(c).toMatchObject({ done: 2, dead: 1 });
    const runs = await t.db.kysely.selectFrom('job_runs').selectAll().execute();
    expect(runs.length).toBe(4);
  });

  it('a job enqueued while the worker is claiming starts at once, not a poll interval later (no lost wake-up)', async () => {
    const realQueue = new JobQueue(t.db, { now: () => Date.now() });
    const started: number[] = [];
    const handlers = new Map<string, JobHandler>([['x', async () => void started.push(Date.now())]]);
    // The first claim finds nothing and is held open while a job is enqueued and announced: the announcement
    // arrives when the worker is not waiting for one.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const claims: number[] = [];
    const claim = realQueue.claim.bind(realQueue);
    realQueue.claim = async (...args) => {
      claims.push(Date.now());
      const jobs = await claim(...args);
      if (claims.length === 1) await held;
      return jobs;
    };
    const worker = new Worker(realQueue, handlers, pino({ level: 'silent' }), { concurrency: 4, pollMs: 60_000 });
    worker.start();
    try {
      while (claims.length === 0) await new Promise((r) => setTimeout(r, 5));
      const enqueuedAt = Date.now();
      await realQueue.add({ kind: 'x' }); // commits and notifies while the first claim is still out
      release();
      const deadline = Date.now() + 10_000;
      while (started.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(started).toHaveLength(1);
      expect(started[0]! - enqueuedAt).toBeLessThan(10_000); // with the wake-up lost it would wait the 60 s poll
      expect(claims.length).toBeGreaterThanOrEqual(2);
    } finally {
      await worker.stop();
    }
  });

  it('a stop that arrives while the worker is claiming ends the loop at once, not a poll interval later', async () => {
    const realQueue = new JobQueue(t.db, { now: () => Date.now() });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let claims = 0;
    const claim = realQueue.claim.bind(realQueue);
    realQueue.claim = async (...args) => {
      claims++;
      const jobs = await claim(...args);
      await held;
      return jobs;
    };
    const worker = new Worker(realQueue, new Map(), pino({ level: 'silent' }), { concurrency: 2, pollMs: 60_000 });
    worker.start();
    while (claims === 0) await new Promise((r) => setTimeout(r, 5));
    const stopping = worker.stop(); // the loop is inside its claim
    release();
    const stoppedIn = await Promise.race([
      stopping.then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('still waiting'), 10_000)),
    ]);
    expect(stoppedIn).toBe('stopped'); // with the stop lost it would wait out the 60 s poll
  });
});
