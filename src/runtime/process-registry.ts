import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Db } from '../db/dialect.js';
import type { Clock } from '../lib/clock.js';
import { randomAlnum } from '../lib/random.js';
import type { RateShare } from '../lib/rate-limiter.js';

import { forgetProcesses, heartbeat, processesOnHost, STALE_MS } from '../jobs/processes.js';

export { liveProcesses, STALE_MS } from '../jobs/processes.js';
export const HEARTBEAT_MS = 10_000;

/**
 * Each long-running Daifa process (serve, worker) announces itself in `daifa_processes` and renews the row every
 * heartbeat. The number of live processes sets this process's share of every API rate limit: three workers of an
 * agency pace each 1688 and WeChat credential at a third of its limit each, instead of three times the limit
 * together. Rows of processes gone for long are removed; a process that stops removes its own row at once.
 */
export class ProcessRegistry {
  readonly id: string;
  private readonly host: string;
  private timer?: NodeJS.Timeout;
  private startedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly share: RateShare,
    private readonly log: Logger,
    private readonly opts: { heartbeatMs?: number; staleMs?: number; /** Tests play several machines. */ host?: string } = {},
  ) {
    this.host = opts.host ?? hostname();
    this.id = `${this.host}:${process.pid}:${randomAlnum(4)}`;
  }

  async start(role: string): Promise<void> {
    this.startedAt = this.clock.now();
    await this.forgetDeadNeighbours();
    await this.beat(role);
    this.timer = setInterval(
      () => void this.beat(role).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'process heartbeat failed')),
      this.opts.heartbeatMs ?? HEARTBEAT_MS,
    );
    this.timer.unref();
  }

  /** Renew this process's row, and set the share from the processes alive now. Returns how many there are. */
  async beat(role: string): Promise<number> {
    const live = await heartbeat(
      this.db,
      { id: this.id, role, host: this.host, pid: process.pid, startedAt: this.startedAt },
      this.clock.now(),
      this.opts.staleMs ?? STALE_MS,
    );
    const fraction = 1 / Math.max(1, live);
    if (fraction !== this.share.fraction)
      this.log.info({ processes: live, share: fraction }, 'API rate limits shared between Daifa processes');
    this.share.fraction = fraction;
    return live;
  }

  /**
   * Rows of this machine whose process is gone (killed, crashed: it could not remove its row) stop counting at
   * once instead of after the stale window, so a restarted process does not pace itself for a ghost. A row with
   * this very pid is a previous life of the pid (a container restarted as pid 1, say).
   */
  private async forgetDeadNeighbours(): Promise<void> {
    const mine = await processesOnHost(this.db, this.host);
    await forgetProcesses(
      this.db,
      mine.filter((r) => r.id !== this.id && (r.pid === process.pid || !alive(r.pid))).map((r) => r.id),
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await forgetProcesses(this.db, [this.id]);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
