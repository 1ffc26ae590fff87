import type { Transaction } from 'kysely';
import type { Db } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import type { JobSpec } from '../jobs/queue.js';
import type { Clock } from '../lib/clock.js';
import { TurnBatcher } from '../lib/turn-batcher.js';

export interface InboundEvent {
  /** `wechat-shop` (a push) or `1688` (a message, pushed or pulled; shop 0: 1688 messages belong to the buyer account). */
  source: string;
  shopId: number;
  dedupKey: string;
  eventType: string;
  externalId: string | null;
  payload: string;
  /** The job that processes it, enqueued in the same transaction as the event row. */
  job?: JobSpec;
  /** Asked in that transaction when the event is new: true stores the event without its job (nothing to do). */
  skipJob?: (trx: Transaction<Database>) => Promise<boolean>;
  /** Instead of `job`: the jobs a new event calls for, decided in that transaction (what it is about, read there). */
  jobsFor?: (trx: Transaction<Database>) => Promise<JobSpec[]>;
}

/**
 * The one inbound store — WeChat Shop pushes and 1688 messages alike: verified by their receiver, stored once (by
 * source, shop and dedup key) and turned into jobs in the same transaction. Group commit: events that arrive together
 * share one transaction (multi-row inserts), and each caller's promise resolves only after that transaction
 * committed — so an acknowledgement still means "stored and its job enqueued", at a fraction of the per-event cost.
 * A batch that fails is written again one event at a time, so one bad event cannot keep its neighbours from being
 * acknowledged. Resolves true when the event was new, false when its dedup key was already stored.
 */
export class InboundEventStore {
  private readonly batcher: TurnBatcher<InboundEvent, boolean>;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    maxBatch = 200,
  ) {
    this.batcher = new TurnBatcher(async (batch) => {
      const answer = (entries: typeof batch, inserted: Set<string>) => {
        // Only the first copy of an event in the batch is "new"; the others are duplicates.
        for (const b of entries) b.resolve(inserted.delete(`${b.item.source}|${b.item.shopId}|${b.item.dedupKey}`));
      };
      try {
        answer(batch, await this.write(batch.map((b) => b.item)));
      } catch (err) {
        if (batch.length === 1) throw err;
        for (const b of batch) await this.write([b.item]).then((inserted) => answer([b], inserted), b.reject);
      }
    }, maxBatch);
  }

  store(e: InboundEvent): Promise<boolean> {
    return this.batcher.submit(e);
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
        .values(
          [...unique.values()].map((e) => ({
            source: e.source,
            shop_id: e.shopId,
            dedup_key: e.dedupKey,
            event_type: e.eventType,
            external_id: e.externalId,
            payload: e.payload,
            received_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['source', 'shop_id', 'dedup_key']).doNothing())
        .returning(['source', 'shop_id', 'dedup_key'])
        .execute();
      const isNew = new Set(rows.map((r) => `${r.source}|${r.shop_id}|${r.dedup_key}`));
      const jobs = new Map<string, JobSpec>();
      for (const [k, e] of unique) {
        if (!isNew.has(k)) continue;
        if (e.jobsFor) for (const j of await e.jobsFor(trx)) jobs.set(j.singletonKey ?? `${k}|${j.kind}`, j);
        else if (e.job && !(await e.skipJob?.(trx))) jobs.set(e.job.singletonKey ?? `${k}`, e.job);
      }
      if (jobs.size) {
        await trx
          .insertInto('jobs')
          .values(
            [...jobs.values()].map((j) => ({
              kind: j.kind,
              payload: JSON.stringify(j.payload ?? {}),
              status: 'pending',
              run_at: now + (j.delayMs ?? 0),
              attempts: 0,
              max_attempts: j.maxAttempts ?? 8,
              singleton_key: j.singletonKey ?? null,
              created_at: now,
              updated_at: now,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      return isNew;
    });
  }
}
