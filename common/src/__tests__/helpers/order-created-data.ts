import type { OrderCreatedEvent } from '../../events/order-created-event';
import { OrderStatus } from '../../events/types/order-status';

/**
 * An order:created payload its schema accepts, for a reservation that ends in 2030.
 *
 * @param id - the order id
 * @param ticketId - the ticket id
 */
export function orderCreatedData(id = 'o1', ticketId = `t-${id}`): OrderCreatedEvent['data'] {
  return {
    id,
    version: 0,
    status: OrderStatus.Created,
    userId: 'u1',
    expiresAt: '2030-01-01T10:00:00.000Z',
    ticket: { id: ticketId, price: 20 },
  };
}
