/**
 * Every subject the ticketing services exchange. The values are the NATS subjects
 * on the wire, and the names a JetStream stream has to cover.
 */
export enum Subjects {
  TicketCreated = 'ticket:created',
  TicketUpdated = 'ticket:updated',
  OrderCreated = 'order:created',
  OrderCancelled = 'order:cancelled',
  ExpirationComplete = 'expiration:complete',
  PaymentCreated = 'payment:created',
}

/** All subjects, in declaration order. */
export const ALL_SUBJECTS: readonly Subjects[] = Object.values(Subjects);
