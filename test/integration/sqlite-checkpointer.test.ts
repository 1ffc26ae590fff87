import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/dialect.js';

/** SQLite: the WAL is copied into the database file by the checkpoint thread, not by a commit on the event loop. */
describe('SQLite checkpoint thread', () => {
  it('moves committed pages into the database file without the main connection checkpointing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daifa-ckpt-'));
    const file = join(dir, 'db.sqlite');
    const db = openDatabase(`sqlite:${file}`);
    try {
      await sql`create table blobs (id integer primary key, body text not null)`.execute(db.kysely);
      const before = statSync(file).size;
      // About 2 MB: below the main connection's automatic checkpoint (16,000 pages), so only the thread moves it.
      for (let i = 0; i < 20; i++)
        await db.kysely.transaction().execute((trx) => sql`insert into blobs (body) values (${'x'.repeat(100_000)})`.execute(trx));
      const deadline = Date.now() + 5_000;
      while (statSync(file).size < before + 1_500_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(statSync(file).size).toBeGreaterThanOrEqual(before + 1_500_000);
      expect(Number((await sql<{ n: number }>`select count(*) as n from blobs`.execute(db.kysely)).rows[0]!.n)).toBe(20);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
