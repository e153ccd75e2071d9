import type { Subjects } from './subjects';
import type { OrderStatus } from './types/order-status';

/** An order reserved a ticket until `expiresAt`. */
export interface OrderCreatedEvent {
  subject: Subjects.OrderCreated;
  data: {
    id: string;
    version: number;
    status: OrderStatus;
    userId: string;
    /** When the reservation ends, as an ISO 8601 string. */
    expiresAt: string;
    ticket: {
      id: string;
      price: number;
    };
  };
}
