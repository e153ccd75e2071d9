/** The life cycle of an order. */
export enum OrderStatus {
  /** The order exists, but the ticket it reserves has not been paid for. */
  Created = 'created',
  /**
   * The ticket is no longer reserved: the user cancelled, the order expired,
   * or the ticket was reserved by someone else first.
   */
  Cancelled = 'cancelled',
  /** The ticket is reserved and the order waits for its payment. */
  AwaitingPayment = 'awaiting:payment',
  /** The order is paid. It is never cancelled after this. */
  Complete = 'complete',
}
