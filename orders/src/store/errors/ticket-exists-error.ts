/** A replica with this id exists already, as when ticket:created is delivered twice. Operational. */
export class TicketExistsError extends Error {
  readonly isOperational = true;

  /**
   * @param ticketId - the ticket
   * @param options - `cause`, such as MongoDB's duplicate key error
   */
  constructor(
    readonly ticketId: string,
    options?: { cause?: unknown },
  ) {
    super(`ticket ${ticketId} exists already`, options);
    this.name = 'TicketExistsError';
  }
}
