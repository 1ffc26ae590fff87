import type { Db } from '../db/dialect.js';

/** A process not seen for this long is taken as gone (three missed heartbeats and a half; see runtime/process-registry). */
export const STALE_MS = 35_000;

/** The Daifa processes (serve, worker) seen recently: who shares the jobs and the API rate limits (for `daifa stats`). */
export async function liveProcesses(db: Db, now: number): Promise<{ id: string; role: string; host: string; pid: number; startedAt: number; seenAt: number }[]> {
  const rows = await db.kysely.selectFrom('daifa_processes').selectAll().where('seen_at', '>=', now - STALE_MS).orderBy('started_at').execute();
  return rows.map((r) => ({ id: r.id, role: r.role, host: r.host, pid: Number(r.pid), startedAt: Number(r.started_at), seenAt: Number(r.seen_at) }));
}
