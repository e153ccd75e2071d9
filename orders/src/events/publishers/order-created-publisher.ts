import { Publisher, Subjects, type OrderCreatedEvent } from '@grider-ms-tickets/common';

/** Announces a new order, which reserves its ticket until `expiresAt`. */
export class OrderCreatedPublisher extends Publisher<OrderCreatedEvent> {
  subject: Subjects.OrderCreated = Subjects.OrderCreated;

  /** One event per order version: JetStream drops a retried publish within its duplicate window. */
  protected override messageId(data: OrderCreatedEvent['data']): string {
    return `${this.subject}:${data.id}:${data.version}`;
  }
}
