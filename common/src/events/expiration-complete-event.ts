import type { Subjects } from './subjects';

/** The reservation window of an order has ended. */
export interface ExpirationCompleteEvent {
  subject: Subjects.ExpirationComplete;
  data: {
    orderId: string;
  };
}
