import type { Db } from '../db/dialect.js';

/** A process not seen for this long is taken as gone (three missed heartbeats and a half; see runtime/process-registry). */
export const STALE_MS = 35_000;

/** The Daifa processes (serve, worker) seen recently: who shares the jobs and the API rate limits (for `daifa stats`). */
export async function liveProcesses(
  db: Db,
  now: number,
): Promise<{ id: string; role: string; host: string; pid: number; startedAt: number; seenAt: number }[]> {
  const rows = await db.kysely
    .selectFrom('daifa_processes')
    .selectAll()
    .where('seen_at', '>=', now - STALE_MS)
    .orderBy('started_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    role: r.role,
    host: r.host,
    pid: Number(r.pid),
    startedAt: Number(r.started_at),
    seenAt: Number(r.seen_at),
  }));
}

/**
 * This process's heartbeat: its row renewed (created the first time), rows gone for ten stale windows removed, and
 * the number of processes alive now returned (the rate-limit share follows from it).
 */
export async function heartbeat(
  db: Db,
  row: { id: string; role: string; host: string; pid: number; startedAt: number },
  now: number,
  staleMs: number,
): Promise<number> {
  const k = db.kysely;
  await k
    .insertInto('daifa_processes')
    .values({ id: row.id, role: row.role, host: row.host, pid: row.pid, started_at: row.startedAt || now, seen_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: now }))
    .execute();
  await k
    .deleteFrom('daifa_processes')
    .where('seen_at', '<', now - 10 * staleMs)
    .execute();
  return Number(
    (
      await k
        .selectFrom('daifa_processes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('seen_at', '>=', now - staleMs)
        .executeTakeFirstOrThrow()
    ).n,
  );
}

export async function processesOnHost(db: Db, host: string): Promise<{ id: string; pid: number }[]> {
  return (await db.kysely.selectFrom('daifa_processes').select(['id', 'pid']).where('host', '=', host).execute()).map((r) => ({
    id: r.id,
    pid: Number(r.pid),
  }));
}

export async function forgetProcesses(db: Db, ids: string[]): Promise<void> {
  if (ids.length) await db.kysely.deleteFrom('daifa_processes').where('id', 'in', ids).execute();
}
