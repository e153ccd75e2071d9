import { randomBytes } from 'node:crypto';
import { OrderStatus, type OrderCancelledEvent, type OrderCreatedEvent } from '@grider-ms-tickets/common';

/** An order the benchmark creates: its id and when it expires. */
export interface BenchOrder {
  id: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** A random 24-hex id, shaped like the Mongo ObjectIds the orders service makes. */
export function newOrderId(): string {
  return randomBytes(12).toString('hex');
}

/**
 * @param count - how many
 * @param expiresAt - the expiry of the i-th order, in epoch milliseconds
 */
export function makeOrders(count: number, expiresAt: (i: number) => number): BenchOrder[] {
  return Array.from({ length: count }, (_, i) => ({ id: newOrderId(), expiresAt: Math.round(expiresAt(i)) }));
}

/** The order:created payload of an order, as the orders service publishes it. */
export function orderCreatedData(order: BenchOrder): OrderCreatedEvent['data'] {
  return {
    id: order.id,
    version: 0,
    status: OrderStatus.Created,
    userId: 'bench-user',
    expiresAt: new Date(order.expiresAt).toISOString(),
    ticket: { id: order.id.split('').reverse().join(''), price: 20 },
  };
}

/** The order:cancelled payload of an order. */
export function orderCancelledData(order: BenchOrder): OrderCancelledEvent['data'] {
  return { id: order.id, version: 1, ticket: { id: order.id.split('').reverse().join('') } };
}
