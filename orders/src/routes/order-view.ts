import type { Order } from '../store';

/** An order as the API shows it. */
export type OrderView = Omit<Order, 'pendingEvents'>;

/**
 * What a client sees of an order: everything but the events it still owes,
 * which are the service's own bookkeeping.
 *
 * @param order - the order as stored
 * @returns the order as the API shows it
 */
export function toOrderView(order: Order): OrderView {
  const { id, userId, status, expiresAt, version, ticket } = order;
  return { id, userId, status, expiresAt, version, ticket };
}
