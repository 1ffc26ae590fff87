import type { Updateable } from 'kysely';
import type { PaymentsTable } from '../db/schema.js';
import { canTransition } from '../domain/lifecycle.js';
import { paymentLifecycle, paymentStatusesInto, type PaymentStatus } from '../domain/payment.lifecycle.js';
import type { Executor } from '../jobs/queue.js';

/**
 * The one way a payment's status changes: only from statuses the lifecycle allows (all of them, unless the caller
 * narrows them), in one guarded UPDATE. Returns whether this call made the change — false when the payment had
 * already moved on (another worker, a person, a duplicate request): the caller decides what that means.
 * A `from` the lifecycle does not allow is a programming error and throws.
 */
export async function movePayment(
  db: Executor,
  id: number,
  to: PaymentStatus,
  opts: { from?: readonly PaymentStatus[]; set?: Omit<Updateable<PaymentsTable>, 'status'>; attempts?: number } = {},
): Promise<boolean> {
  const from = opts.from ?? paymentStatusesInto(to);
  for (const f of from) {
    const check = canTransition(paymentLifecycle, f, to);
    if (!check.ok) throw new Error(check.reason);
  }
  let q = db
    .updateTable('payments')
    .set({ ...opts.set, status: to })
    .where('id', '=', id)
    .where('status', 'in', [...from]);
  if (opts.attempts !== undefined) q = q.where('attempts', '=', opts.attempts);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * A payment stopped for its amount (Blocked) owes a new total: its status stays Blocked and it is decided again by its
 * pay run as one the limits blocked. Whether the payment was still Blocked.
 */
export async function repriceBlocked(db: Executor, id: number, amount: number, reason: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('payments')
    .set({ amount, block_cause: 'limits', reason, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'Blocked')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
