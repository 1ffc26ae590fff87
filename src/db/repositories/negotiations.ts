import type { Executor } from '../dialect.js';
import { prepared } from '../prepared.js';
import type { NegotiationState } from '../../domain/fulfilment.lifecycle.js';

/**
 * 发货协商: the requests to the buyer for a later ship time (negotiations) and the ship-by times they move. The only
 * writer of these rows but for their state, which fulfilment-state.ts moves along the negotiation lifecycle.
 */

/** Runs after every order sync (one query, nothing more unless a negotiation waits): compiled once (see prepared()). */
export const negotiationInProgress = prepared((db, shopId: number, wxOrderId: string, s1: NegotiationState, s2: NegotiationState) =>
  db
    .selectFrom('negotiations as n')
    .innerJoin('shop_orders as o', 'o.id', 'n.shop_order_id')
    .select(['n.id', 'n.state', 'n.predict_delivery_s', 'n.remark', 'n.requested_by', 'o.id as shopOrderId', 'o.wx_order_id'])
    .where('o.shop_id', '=', shopId)
    .where('o.wx_order_id', '=', wxOrderId)
    .where('n.state', 'in', [s1, s2]),
);

/** The states of every negotiation of an order (at most 3 are allowed). */
export const negotiationStates = (ex: Executor, shopOrderId: number) =>
  ex.selectFrom('negotiations').select(['state']).where('shop_order_id', '=', shopOrderId).execute();

/** The request whose outcome is unknown (recorded before the call, not yet confirmed). */
export const sendingNegotiation = (ex: Executor, shopOrderId: number) =>
  ex
    .selectFrom('negotiations')
    .select(['id', 'shop_order_id', 'predict_delivery_s', 'remark', 'requested_by'])
    .where('shop_order_id', '=', shopOrderId)
    .where('state', '=', 'Sending')
    .executeTakeFirst();

/** A request recorded before it is sent (state Sending); its id. */
export async function recordNegotiation(
  ex: Executor,
  n: { shopOrderId: number; predictDeliveryS: number; reason: number; remark: string; requestedBy: string },
  now: number,
): Promise<number> {
  const row = await ex
    .insertInto('negotiations')
    .values({
      shop_order_id: n.shopOrderId,
      predict_delivery_s: n.predictDeliveryS,
      reason: n.reason,
      remark: n.remark,
      state: 'Sending',
      requested_by: n.requestedBy,
      created_at: now,
      answered_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A request that never reached the buyer is forgotten (only while it is still Sending). */
export async function forgetUnsent(ex: Executor, id: number): Promise<void> {
  await ex.deleteFrom('negotiations').where('id', '=', id).where('state', '=', 'Sending').execute();
}

/** The buyer agreed to a later ship time: no line of the order must ship before it. */
export async function postponeShipBy(ex: Executor, shopOrderId: number, predictDeliveryS: number): Promise<void> {
  await ex
    .updateTable('shop_order_lines')
    .set({ delivery_deadline_s: predictDeliveryS })
    .where('shop_order_id', '=', shopOrderId)
    .where('delivery_deadline_s', '<', predictDeliveryS)
    .execute();
}
