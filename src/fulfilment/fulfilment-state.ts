import { canTransition, type Lifecycle } from '../domain/lifecycle.js';
import { deliveryLifecycle, negotiationLifecycle, type DeliveryState, type NegotiationState } from '../domain/fulfilment.lifecycle.js';
import type { Executor } from '../jobs/queue.js';

function assertAllowed<S extends string>(lc: Lifecycle<S>, from: readonly S[], to: S): void {
  for (const f of from) {
    const check = canTransition(lc, f, to);
    if (!check.ok) throw new Error(check.reason);
  }
}

/** A negotiation's next state, only from the states its lifecycle allows; whether this call made the change. */
export async function moveNegotiation(
  db: Executor,
  id: number,
  from: NegotiationState,
  to: NegotiationState,
  set: { answered_at?: number } = {},
): Promise<boolean> {
  assertAllowed(negotiationLifecycle, [from], to);
  const r = await db
    .updateTable('negotiations')
    .set({ ...set, state: to })
    .where('id', '=', id)
    .where('state', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** A delivery's next status (one waybill of one order), only from the statuses its lifecycle allows. */
export async function moveDelivery(
  db: Executor,
  where: { shopOrderId: number; waybillIds: string[] },
  from: readonly DeliveryState[],
  to: DeliveryState,
  set: { error?: string | null; in_flight?: number; updated_at: number },
): Promise<number> {
  assertAllowed(deliveryLifecycle, from, to);
  if (!where.waybillIds.length) return 0;
  const r = await db
    .updateTable('wx_deliveries')
    .set({ ...set, status: to })
    .where('shop_order_id', '=', where.shopOrderId)
    .where('waybill_id', 'in', where.waybillIds)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
