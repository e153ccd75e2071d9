export type {
  NewOrder,
  NewTicket,
  Order,
  OrderEventSubject,
  OrderRepository,
  OrdersStore,
  PendingEvent,
  PublishedEvent,
  Ticket,
  TicketRepository,
} from './orders-store';
export { UNPAID_STATUSES } from './orders-store';
export { createStore } from './create-store';
export { MemoryOrdersStore } from './memory/memory-store';
export { MongoOrdersStore, type MongoStoreOptions } from './mongo/mongo-store';
export { isObjectId, newObjectId } from './object-id';
export { TicketExistsError } from './errors/ticket-exists-error';
export { TicketReservedError } from './errors/ticket-reserved-error';
export { VersionConflictError } from './errors/version-conflict-error';
