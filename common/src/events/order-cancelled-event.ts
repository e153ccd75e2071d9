import type { Subjects } from './subjects';

/** An order was cancelled, so its ticket is free again. */
export interface OrderCancelledEvent {
  subject: Subjects.OrderCancelled;
  data: {
    id: string;
    version: number;
    ticket: {
      id: string;
    };
  };
}
