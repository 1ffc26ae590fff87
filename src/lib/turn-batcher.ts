/** One submitted item and how to answer its caller. */
export interface BatchEntry<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Collects what is submitted in the same turn of the event loop and hands it to `write` as one batch (group
 * commit: one transaction or one statement for many callers). Batches are written one at a time, at most
 * `maxBatch` items each; what arrives meanwhile waits for the next. `write` answers each entry; an error it throws
 * rejects every entry it left unanswered, so no caller is ever left waiting.
 */
export class TurnBatcher<I, O> {
  private pending: BatchEntry<I, O>[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(
    private readonly write: (batch: BatchEntry<I, O>[]) => Promise<void>,
    private readonly maxBatch = 200,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate: everything already parsed or finished in this turn of the event loop joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const batch = this.pending.splice(0, this.maxBatch);
    const answered = new Set<BatchEntry<I, O>>();
    const tracked = batch.map((e) => ({
      item: e.item,
      resolve: (v: O) => (answered.add(e), e.resolve(v)),
      reject: (err: unknown) => (answered.add(e), e.reject(err)),
    }));
    try {
      await this.write(tracked);
      for (const e of batch) if (!answered.has(e)) e.reject(new Error('batch written without an answer for this item'));
    } catch (err) {
      for (const e of batch) if (!answered.has(e)) e.reject(err);
    } finally {
      this.flushing = false;
      if (this.pending.length) this.schedule();
    }
  }
}
