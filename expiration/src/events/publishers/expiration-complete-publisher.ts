import { Publisher, Subjects, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';

/** Publishes expiration:complete once an order's reservation window has ended. */
export class ExpirationCompletePublisher extends Publisher<ExpirationCompleteEvent> {
  readonly subject = Subjects.ExpirationComplete;

  /**
   * One key per order: a publish retried after a lost ack, or by a second
   * worker after a stalled job, is dropped by JetStream within the stream's
   * duplicate window instead of expiring the order twice.
   */
  protected override messageId(data: ExpirationCompleteEvent['data']): string {
    return `expiration:complete:${data.orderId}`;
  }
}
