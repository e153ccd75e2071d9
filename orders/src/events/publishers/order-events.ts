import type { OrderCancelledEvent, OrderCreatedEvent } from '@grider-ms-tickets/common';
import type { Order } from '../../store';

/** The order:created payload of an order. */
export function orderCreatedData(order: Order): OrderCreatedEvent['data'] {
  return {
    id: order.id,
    version: order.version,
    status: order.status,
    userId: order.userId,
    expiresAt: order.expiresAt.toISOString(),
    ticket: { id: order.ticket.id, price: order.ticket.price },
  };
}

/** The order:cancelled payload of an order. */
export function orderCancelledData(order: Order): OrderCancelledEvent['data'] {
  return { id: order.id, version: order.version, ticket: { id: order.ticket.id } };
}
