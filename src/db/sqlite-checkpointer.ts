import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own (SQLite, file databases).
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold: it copies the WAL's pages into
 * the database file and syncs it, on the connection's thread — the event loop's. Under load that was about a third
 * of the time spent in commits (bench/pipeline). Here a second connection on a worker thread runs a PASSIVE
 * checkpoint every `intervalMs` (it never blocks the writer or the readers), and the main connection's own
 * automatic checkpoint is raised to `fallbackPages` so that it only runs if this thread falls behind or is gone.
 */
export interface Checkpointer {
  close(): Promise<void>;
}

export const CHECKPOINT_INTERVAL_MS = 200;
/** The main connection's automatic checkpoint while the thread runs (pages; 4 KiB each). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_000;

// Plain JavaScript (a worker thread does not get the tsx loader the TypeScript runs under).
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'close') { clearInterval(timer); try { db.close(); } finally { parentPort.close(); } }
});
`;

export function startCheckpointer(file: string, opts: { intervalMs?: number; onError?: (message: string) => void } = {}): Checkpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, module, intervalMs: opts.intervalMs ?? CHECKPOINT_INTERVAL_MS },
  });
  worker.unref(); // a short CLI command is not kept alive by it
  worker.on('message', (m: { error?: string }) => m.error && opts.onError?.(m.error));
  worker.on('error', (err) => opts.onError?.(err.message));
  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= new Promise<void>((resolve) => {
        const timeout = setTimeout(() => void worker.terminate().then(() => resolve()), 2_000);
        worker.once('exit', () => {
          clearTimeout(timeout);
          resolve();
        });
        worker.postMessage('close');
      });
      return closed;
    },
  };
}
