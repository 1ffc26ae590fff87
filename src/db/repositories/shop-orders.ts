import type { Executor } from '../dialect.js';

/** Shop orders (微信小店订单): reads and writes of their rows outside the lifecycle and intake. */

/** A shop order's head: ids, state, WeChat's status and the (masked) address. */
export const orderHead = (ex: Executor, id: number) =>
  ex
    .selectFrom('shop_orders')
    .select(['id', 'shop_id', 'wx_order_id', 'state', 'wx_status', 'address'])
    .where('id', '=', id)
    .executeTakeFirst();
