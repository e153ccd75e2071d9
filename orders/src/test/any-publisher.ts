import { Publisher, type Event, type EventClient } from '@grider-ms-tickets/common';

/** Publishes any subject, as the other services would: tickets, expiration, payments. */
export class AnyPublisher<E extends Event = Event> extends Publisher<E> {
  /**
   * @param client - the bus
   * @param subject - the subject to publish on
   */
  constructor(
    client: EventClient,
    readonly subject: E['subject'],
  ) {
    super(client);
  }
}
