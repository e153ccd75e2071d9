import type { Subjects } from './subjects';

/** A ticket changed: its title or price, or the order that reserves it. */
export interface TicketUpdatedEvent {
  subject: Subjects.TicketUpdated;
  data: {
    id: string;
    version: number;
    title: string;
    price: number;
    userId: string;
    /** The order that reserves the ticket; absent when it is free. */
    orderId?: string;
  };
}
