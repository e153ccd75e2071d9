import { NotAuthorizedError, NotFoundError } from '@grider-ms-tickets/common';
import type { Request } from 'express';
import type { Order, OrdersStore } from '../store';

/**
 * The order named by `:orderId`, if it belongs to the signed-in user.
 *
 * @throws NotFoundError (404) when there is no such order
 * @throws NotAuthorizedError (401) when it is another user's
 */
export async function loadOwnOrder(store: OrdersStore, req: Request): Promise<Order> {
  const order = await store.orders.findById(String(req.params.orderId));
  if (!order) throw new NotFoundError('Order not found');
  if (order.userId !== req.currentUser?.id) throw new NotAuthorizedError();
  return order;
}
