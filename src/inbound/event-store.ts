import type { Db } from '../db/dialect.js';
import type { JobSpec } from '../jobs/queue.js';
import type { Clock } from '../lib/clock.js';

export interface InboundEvent {
  source: string;
  shopId: number;
  dedupKey: string;
  eventType: string;
  externalId: string | null;
  payload: string;
  /** The job that processes it, enqueued in the same transaction as the event row. */
  job?: JobSpec;
}

/**
 * Stores inbound events with group commit: events that arrive together share one transaction
 * (multi-row inserts), and each caller's promise resolves only after that transaction committed — so an
 * acknowledgement still means "stored and its job enqueued", at a fraction of the per-event cost.
 * Resolves true when the event was new, false when its dedup key was already stored.
 */
export class InboundEventStore {
  private pending: { e: InboundEvent; resolve: (isNew: boolean) => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly maxBatch = 200,
  ) {}

  store(e: InboundEvent): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ e, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate: every request already parsed in this turn of the event loop joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const batch = this.pending.splice(0, this.maxBatch);
    try {
      const inserted = await this.write(batch.map((b) => b.e));
      // Only the first copy of an event in the batch is "new"; the others are duplicates.
      for (const b of batch) {
        const k = `${b.e.source}|${b.e.shopId}|${b.e.dedupKey}`;
        b.resolve(inserted.delete(k));
      }
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.flushing = false;
      if (this.pending.length) this.schedule();
    }
  }

  private async write(events: InboundEvent[]): Promise<Set<string>> {
    const now = this.clock.now();
    // The same event twice in one batch: keep the first; the second is a duplicate like any other.
    const unique = new Map<string, InboundEvent>();
    for (const e of events) {
      const k = `${e.source}|${e.shopId}|${e.dedupKey}`;
      if (!unique.has(k)) unique.set(k, e);
    }
    return this.db.kysely.transaction().execute(async (trx) => {
      const rows = await trx
        .insertInto('inbound_events')
        .values([...unique.values()].map((e) => ({ source: e.source, shop_id: e.shopId, dedup_key: e.dedupKey, event_type: e.eventType, external_id: e.externalId, payload: e.payload, received_at: now })))
        .onConflict((oc) => oc.columns(['source', 'shop_id', 'dedup_key']).doNothing())
        .returning(['source', 'shop_id', 'dedup_key'])
        .execute();
      const isNew = new Set(rows.map((r) => `${r.source}|${r.shop_id}|${r.dedup_key}`));
      const jobs = new Map<string, JobSpec>();
      for (const [k, e] of unique) if (isNew.has(k) && e.job) jobs.set(e.job.singletonKey ?? `${k}`, e.job);
      if (jobs.size) {
        await trx
          .insertInto('jobs')
          .values([...jobs.values()].map((j) => ({ kind: j.kind, payload: JSON.stringify(j.payload ?? {}), status: 'pending', run_at: now + (j.delayMs ?? 0), attempts: 0, max_attempts: j.maxAttempts ?? 8, singleton_key: j.singletonKey ?? null, created_at: now, updated_at: now })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      return isNew;
    });
  }
}
