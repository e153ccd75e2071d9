/**
 * The names of the published `@grider-ms-tickets/common@1.0.14`, so that code
 * written against it compiles unchanged. Each one is the current name under
 * its old spelling, typos included.
 */
import { Listener } from './events/listener';
import { Publisher } from './events/publisher';
import { Subjects } from './events/subjects';
import { OrderStatus } from './events/types/order-status';
import { BadRequestError } from './errors/bad-request-error';
import type { TicketCreatedEvent } from './events/ticket-created-event';
import type { TicketUpdatedEvent } from './events/ticket-updated-event';
import type { OrderCreatedEvent } from './events/order-created-event';
import type { OrderCancelledEvent } from './events/order-cancelled-event';
import type { ExpirationCompleteEvent } from './events/expiration-complete-event';
import type { PaymentCreatedEvent } from './events/payment-created-event';

/** @deprecated use {@link Listener} */
export const ListenerAbstract = Listener;
/** @deprecated use {@link Listener} */
export type ListenerAbstract<T extends import('./events/base-event').Event> = Listener<T>;
/** @deprecated use {@link Publisher} */
export const PublisherAbstract = Publisher;
/** @deprecated use {@link Publisher} */
export type PublisherAbstract<T extends import('./events/base-event').Event> = Publisher<T>;
/** @deprecated use {@link Subjects} */
export const SubjectsEnum = Subjects;
/** @deprecated use {@link Subjects} */
export type SubjectsEnum = Subjects;
// The namespaces make `SubjectsEnum.OrderCreated` usable as a type, as it was.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace SubjectsEnum {
  type TicketCreated = Subjects.TicketCreated;
  type TicketUpdated = Subjects.TicketUpdated;
  type OrderCreated = Subjects.OrderCreated;
  type OrderCancelled = Subjects.OrderCancelled;
  type ExpirationComplete = Subjects.ExpirationComplete;
  type PaymentCreated = Subjects.PaymentCreated;
}
/** @deprecated use {@link OrderStatus} */
export const OrderStatusEnum = OrderStatus;
/** @deprecated use {@link OrderStatus} */
export type OrderStatusEnum = OrderStatus;
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace OrderStatusEnum {
  type Created = OrderStatus.Created;
  type Cancelled = OrderStatus.Cancelled;
  type AwaitingPayment = OrderStatus.AwaitingPayment;
  type Complete = OrderStatus.Complete;
}
/** @deprecated use {@link TicketCreatedEvent} */
export type TicketCreatedEventInterface = TicketCreatedEvent;
/** @deprecated use {@link TicketUpdatedEvent} */
export type TicketUpdatedEventInterface = TicketUpdatedEvent;
/** @deprecated use {@link OrderCreatedEvent} */
export type OrderCreatedEventInterface = OrderCreatedEvent;
/** @deprecated use {@link OrderCancelledEvent} */
export type OrderCancelledEventInterface = OrderCancelledEvent;
/** @deprecated use {@link ExpirationCompleteEvent} */
export type ExpirationCompleteEventInterface = ExpirationCompleteEvent;
/** @deprecated use {@link PaymentCreatedEvent} (the old name's typo is kept) */
export type PaymentCreatedEventInteface = PaymentCreatedEvent;
/** @deprecated use {@link BadRequestError} (the old name's typo is kept) */
export const BadRequstError = BadRequestError;
/** @deprecated use {@link BadRequestError} */
export type BadRequstError = BadRequestError;
