import { Publisher, Subjects, type OrderCancelledEvent } from '@grider-ms-tickets/common';

/** Announces that an order was cancelled, so its ticket is free again. */
export class OrderCancelledPublisher extends Publisher<OrderCancelledEvent> {
  subject: Subjects.OrderCancelled = Subjects.OrderCancelled;

  /**
   * One event per order version. A republish that heals a failed one (see
   * ExpirationCompleteListener) gets through; one whose first try did reach
   * the server is dropped by JetStream within its duplicate window.
   */
  protected override messageId(data: OrderCancelledEvent['data']): string {
    return `${this.subject}:${data.id}:${data.version}`;
  }
}
