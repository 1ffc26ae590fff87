import type { Transaction } from 'kysely';
import type { Db } from './dialect.js';
import type { Database } from './schema.js';

type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Waiting {
  work: Work<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

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
  private pending: Waiting[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 200,
  ) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
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
      let results: unknown[] | undefined;
      if (batch.length === 1) {
        const [w] = batch as [Waiting];
        await this.db.kysely.transaction().execute((trx) => w.work(trx)).then(w.resolve, w.reject);
        return;
      }
      try {
        results = await this.db.kysely.transaction().execute(async (trx) => {
          const out: unknown[] = [];
          for (const w of batch) out.push(await w.work(trx));
          return out;
        });
      } catch {
        results = undefined;
      }
      if (results) batch.forEach((w, i) => w.resolve(results[i]));
      else
        for (const w of batch) {
          await this.db.kysely
            .transaction()
            .execute((trx) => w.work(trx))
            .then(w.resolve, w.reject);
        }
    } finally {
      this.flushing = false;
      if (this.pending.length) this.schedule();
    }
  }
}
