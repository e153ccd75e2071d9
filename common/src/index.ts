/**
 * `@grider-ms-tickets/common`: what the ticketing services share.
 *
 * This file is the public API, name by name: what is not listed here is
 * internal and may change without notice. The test kit is a separate entry,
 * `@grider-ms-tickets/common/testing`.
 *
 * @packageDocumentation
 */

// Events: subjects, payload types and their schemas.
export { Subjects, ALL_SUBJECTS } from './events/subjects';
export { OrderStatus } from './events/types/order-status';
export type { Event } from './events/base-event';
export type { TicketCreatedEvent } from './events/ticket-created-event';
export type { TicketUpdatedEvent } from './events/ticket-updated-event';
export type { OrderCreatedEvent } from './events/order-created-event';
export type { OrderCancelledEvent } from './events/order-cancelled-event';
export type { ExpirationCompleteEvent } from './events/expiration-complete-event';
export type { PaymentCreatedEvent } from './events/payment-created-event';
export { eventSchemas, validateEvent, isEventId, EVENT_ID_PATTERN, type EventValidation } from './events/schemas';
export { InvalidEventError } from './events/invalid-event-error';

// Listening and publishing.
export {
  ListenerBase,
  DELIVERY_OUTCOMES,
  type DeliveryOutcome,
  type DeliveryReport,
  type ListenerOptions,
} from './events/listener-base';
export { Listener } from './events/listener';
export { BatchListener, type BatchItem, type BatchMessage } from './events/batch-listener';
export { Publisher, type EventPublishOptions } from './events/publisher';
export { CORRELATION_ID_HEADER, correlationIdOf, isCorrelationId } from './events/correlation';

// Dead letters.
export { DEAD_LETTER_SUBJECT, type DeadLetter } from './dead-letter/dead-letter';
export { listDeadLetters, replayDeadLetter } from './dead-letter/dead-letters';
export type { StoredDeadLetter, ListDeadLettersOptions, ReplayedDeadLetter } from './dead-letter/stored-dead-letter';

// Transports.
export type {
  EventBus,
  EventMessage,
  EventSubscription,
  MessageHandler,
  PublishOptions,
  SubscriptionSpec,
} from './bus/event-bus';
export type { EventClient } from './bus/to-event-bus';
export { StanBus, type StanConnectOptions } from './bus/stan-bus';
export { JetStreamBus, durableName, type JetStreamConnectOptions } from './bus/jetstream-bus';
export { DEFAULT_PUBLISH_RETRY, type PublishRetryPolicy } from './bus/publish-retry';
export { NatsWrapper, connectEventBus } from './bus/nats-wrapper';
export { StreamSubjectsOverlapError } from './bus/stream-subjects-overlap-error';

// Configuration.
export { ConfigError } from './config/config-error';
export {
  loadConfig,
  envString,
  envOptionalString,
  envOptionalInt,
  envInt,
  envPort,
  envEnum,
  envUrl,
  envUrlList,
  envLogLevel,
  type EnvStringOptions,
} from './config/env';
export {
  envDuration,
  envDurationSeconds,
  type EnvDurationOptions,
  type EnvDurationSecondsOptions,
} from './config/env-duration';
export { envByteSize, type EnvByteSizeOptions } from './config/env-byte-size';
export {
  eventBusEnvShape,
  withEventBusRules,
  eventBusConfig,
  natsServersOf,
  type EventBusConfig,
  type EventBusConnectConfig,
  type EventBusPolicy,
  type NatsServers,
  type StanBusConfig,
  type JetStreamBusConfig,
} from './config/event-bus-config';
export {
  DEFAULT_MAX_DELIVERIES,
  DEFAULT_DOWN_GRACE_MS,
  DEFAULT_STREAM_MAX_AGE_MS,
  DEFAULT_STREAM_MAX_BYTES,
  DEFAULT_STREAM_REPLICAS,
} from './config/event-bus-defaults';

// Logging and the process lifecycle.
export { createLogger, type Logger, type LoggerOptions } from './logging/logger';
export { createShutdown, shutdownOnSignals, type ShutdownStep, type ShutdownOptions } from './lifecycle/shutdown';
export { createHealthRouter, type HealthCheck, type HealthRouterOptions } from './lifecycle/health';
export { busLiveness } from './lifecycle/bus-liveness';
export { startHttpServer, closeHttpServer } from './lifecycle/http';

// HTTP: errors and express middlewares.
export {
  CustomError,
  BadRequestError,
  NotFoundError,
  NotAuthorizedError,
  RequestValidationError,
  DatabaseConnectionError,
  type CustomErrorOptions,
  type SerializedError,
} from './errors';
export {
  createCurrentUser,
  currentUser,
  requireAuth,
  validateRequest,
  createErrorHandler,
  errorHandler,
  createRequestLogger,
  requestIdOf,
  QUIET_PATHS,
  REQUEST_ID_HEADER,
  type RequestLoggerOptions,
  type CurrentUserOptions,
  type UserPayload,
} from './middlewares';

// The names of the published 1.0.14, kept as deprecated aliases.
export {
  ListenerAbstract,
  PublisherAbstract,
  SubjectsEnum,
  OrderStatusEnum,
  BadRequstError,
  type TicketCreatedEventInterface,
  type TicketUpdatedEventInterface,
  type OrderCreatedEventInterface,
  type OrderCancelledEventInterface,
  type ExpirationCompleteEventInterface,
  type PaymentCreatedEventInteface,
} from './compat';
