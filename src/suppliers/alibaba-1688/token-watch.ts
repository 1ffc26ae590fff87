import type { Db } from '../../db/dialect.js';
import { tokenWatchJob } from '../../jobs/catalogue.js';
import { enqueue } from '../../jobs/queue.js';
import type { Clock } from '../../lib/clock.js';
import type { Notifier } from '../../notify/notifier.js';
import type { Alibaba1688Accounts } from './accounts.js';

const DAY = 86_400_000;

/** Daily: alert the merchant (once per account per day) when the 1688 refresh token lapses within 14 days. */
export class TokenWatch {
  constructor(
    private readonly db: Db,
    private readonly accounts: Alibaba1688Accounts,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
  ) {}

  handler = async (): Promise<void> => {
    const now = this.clock.now();
    const expiring = await this.accounts.expiring(14 * DAY);
    await this.db.kysely.transaction().execute(async (trx) => {
      for (const a of expiring) {
        const at = new Date(a.expiresAt + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 16);
        await this.notifier.raise(trx, {
          event: 'refresh_token_expiring',
          shopId: null,
          subject: `${a.id}:${Math.floor(now / DAY)}`,
          data: { account: a.memberId ?? `#${a.id}`, expiresAt: at },
        });
      }
      await enqueue(trx, tokenWatchJob(DAY), now);
    });
  };
}
