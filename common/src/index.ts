/**
 * `@grider-ms-tickets/common`: what the ticketing services share.
 *
 * @packageDocumentation
 */
export * from './events/subjects';
export * from './events/types/order-status';
export type { Event } from './events/base-event';
export type { TicketCreatedEvent } from './events/ticket-created-event';
export type { TicketUpdatedEvent } from './events/ticket-updated-event';
export type { OrderCreatedEvent } from './events/order-created-event';
export type { OrderCancelledEvent } from './events/order-cancelled-event';
export type { ExpirationCompleteEvent } from './events/expiration-complete-event';
export type { PaymentCreatedEvent } from './events/payment-created-event';
export * from './events/schemas';
export * from './events/invalid-event-error';
export * from './events/listener';
export * from './events/publisher';

export * from './bus/event-bus';
export * from './bus/to-event-bus';
export * from './bus/stan-bus';
export * from './bus/jetstream-bus';
export * from './bus/nats-wrapper';

export * from './config/config-error';
export * from './config/env';
export * from './config/event-bus-config';

export * from './logging/logger';
export * from './lifecycle/shutdown';
export * from './lifecycle/health';
export * from './lifecycle/http';

export * from './errors';
export * from './middlewares';

export * from './compat';
