/** The ticket already has an order that is not cancelled. Operational: the client asked for a taken ticket. */
export class TicketReservedError extends Error {
  readonly isOperational = true;

  /**
   * @param ticketId - the ticket
   * @param options - `cause`, such as MongoDB's duplicate key error
   */
  constructor(
    readonly ticketId: string,
    options?: { cause?: unknown },
  ) {
    super(`ticket ${ticketId} is already reserved`, options);
    this.name = 'TicketReservedError';
  }
}
