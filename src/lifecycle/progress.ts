import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { transitionIfAllowed } from './apply-transition.js';
import type { PurchaseOrderState } from '../domain/purchase-order.lifecycle.js';

const poStillPlacing = prepared((db, shopOrderId: number, s1: PurchaseOrderState, s2: PurchaseOrderState, s3: PurchaseOrderState) =>
  db.selectFrom('purchase_orders').select('id').where('shop_order_id', '=', shopOrderId).where('state', 'in', [s1, s2, s3]),
);

/**
 * Sourced → Purchasing: when no supplier order of the shop order is still being placed (or stuck), the order moves
 * on. Called by whatever finishes placing one (placement, a read-back confirmed by a person, an accepted price, a
 * supplier's e-mail answer) — a step of the shop order's lifecycle, not of any one route.
 */
export async function advanceWhenAllPlaced(trx: Transaction<Database>, shopOrderId: number, now: number): Promise<void> {
  // A sibling may already be paying or paid: everything past placing counts as placed.
  const open = (await poStillPlacing(trx, shopOrderId, 'Draft', 'Placing', 'NeedsAttention')).rows[0];
  if (!open)
    await transitionIfAllowed(
      trx,
      {
        entity: 'shop_order',
        id: shopOrderId,
        to: 'Purchasing',
        expectFrom: 'Sourced',
        event: 'order.purchased',
        actor: 'system:purchasing',
      },
      now,
    );
}
