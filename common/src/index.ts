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
export { ListenerBase, DELIVERY_OUTCOMES, type DeliveryOutcome, type DeliveryReport } from './events/listener-base';
export { BatchListener, type BatchItem, type BatchMessage } from './events/batch-listener';
export { CORRELATION_ID_HEADER, correlationIdOf, isCorrelationId } from './events/correlation';
export type { EventPublishOptions } from './events/publisher';

export {
  DEAD_LETTER_SUBJECT,
  DEAD_LETTER_MAX_BYTES,
  createDeadLetter,
  parseDeadLetter,
  deadLetterPayload,
  type DeadLetter,
  type DeadLetterFields,
} from './dead-letter/dead-letter';
export { listDeadLetters, replayDeadLetter } from './dead-letter/dead-letters';
export type { StoredDeadLetter, ListDeadLettersOptions, ReplayedDeadLetter } from './dead-letter/stored-dead-letter';

export * from './bus/event-bus';
export * from './bus/to-event-bus';
export * from './bus/stan-bus';
export * from './bus/jetstream-bus';
export * from './bus/nats-wrapper';
export { StreamSubjectsOverlapError } from './bus/stream-subjects-overlap-error';

export * from './config/config-error';
export * from './config/env';
export * from './config/event-bus-config';
export {
  envDuration,
  envDurationSeconds,
  parseDuration,
  formatDuration,
  type EnvDurationOptions,
  type EnvDurationSecondsOptions,
} from './config/env-duration';
export { envByteSize, parseByteSize, type EnvByteSizeOptions } from './config/env-byte-size';
export {
  DEFAULT_MAX_DELIVERIES,
  DEFAULT_DOWN_GRACE_MS,
  DEFAULT_STREAM_MAX_AGE_MS,
  DEFAULT_STREAM_MAX_BYTES,
} from './config/event-bus-defaults';

export * from './logging/logger';
export * from './lifecycle/shutdown';
export * from './lifecycle/health';
export { busLiveness } from './lifecycle/bus-liveness';
export * from './lifecycle/http';

export * from './errors';
export * from './middlewares';

export * from './compat';
