/**
 * An event names an order this service does not have (yet). Operational: the
 * order may still be on its way (events of two subjects are not ordered), so
 * the message is retried with backoff, and dead-lettered past the last
 * delivery, where an operator can see it and replay it.
 */
export class UnknownOrderError extends Error {
  readonly isOperational = true;

  /** @param orderId - the id the event carries */
  constructor(readonly orderId: string) {
    super(`order ${orderId} is unknown here`);
    this.name = 'UnknownOrderError';
  }
}
