import type { Transaction } from 'kysely';
import { TurnBatcher, type BatchEntry } from '../lib/turn-batcher.js';
import type { Db } from './dialect.js';
import type { Database } from './schema.js';

type Work = (trx: Transaction<Database>) => Promise<unknown>;

/**
 * Group commit for small independent units of work that arrive together (webhook messages acknowledged only
 * after they are stored). Units submitted in the same turn of the event loop run one after another inside one
 * transaction, and each caller's promise settles after that transaction commits — the same guarantee as a
 * transaction each, for one commit instead of many (a commit is most of what such a unit costs on SQLite).
 *
 * A unit that throws would roll the others back with it, so a failed batch is run again one unit per
 * transaction: each caller then gets its own outcome. Units must therefore be safe to run twice (they are:
 * inserts keyed on the message, with ON CONFLICT DO NOTHING).
 */
export class GroupCommit {
  private readonly batcher: TurnBatcher<Work, unknown>;

  constructor(
    private readonly db: Db,
    maxBatch = 200,
  ) {
    this.batcher = new TurnBatcher((batch) => this.write(batch), maxBatch);
  }

  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.batcher.submit(work) as Promise<T>;
  }

  private async write(batch: BatchEntry<Work, unknown>[]): Promise<void> {
    const alone = (w: BatchEntry<Work, unknown>) => this.db.kysely.transaction().execute((trx) => w.item(trx)).then(w.resolve, w.reject);
    if (batch.length === 1) return alone(batch[0]!);
    let results: unknown[];
    try {
      results = await this.db.kysely.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const w of batch) out.push(await w.item(trx));
        return out;
      });
    } catch {
      for (const w of batch) await alone(w);
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]));
  }
}
