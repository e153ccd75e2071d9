import { OrderStatus, type Subjects } from '@grider-ms-tickets/common';

/** The statuses of an order that holds its ticket and is not paid yet: the ones an expiry cancels. */
export const UNPAID_STATUSES: readonly OrderStatus[] = [OrderStatus.Created, OrderStatus.AwaitingPayment];

/** The orders service's replica of a ticket, kept up to date by ticket events. */
export interface Ticket {
  id: string;
  title: string;
  price: number;
  /** Mirrors the ticket's version in the tickets service. */
  version: number;
}

/** The events the orders service publishes about an order. */
export type OrderEventSubject = Subjects.OrderCreated | Subjects.OrderCancelled;

/**
 * An event an order owes: saved with the state change that calls for it, in
 * the same write, and removed once NATS has acknowledged it (the outbox).
 */
export interface PendingEvent {
  subject: OrderEventSubject;
  /** The order's version the event carries: the one the state change saved. */
  version: number;
  /** When the state change was saved. */
  since: Date;
}

/** An order, always read together with the ticket it reserves. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  expiresAt: Date;
  /** Incremented by every save; events about the order carry it. */
  version: number;
  ticket: Ticket;
  /** The events still owed, oldest first; empty once every one was acknowledged. */
  pendingEvents: PendingEvent[];
  /**
   * The id of the request that created the order (its `x-request-id`, or the
   * one the service made), sent with every event of the order so that one
   * grep finds its whole story. Absent on orders created before it was kept.
   */
  correlationId?: string;
}

/** Which pending event of an order was acknowledged. */
export interface PublishedEvent {
  subject: OrderEventSubject;
  version: number;
}

/** What it takes to create an order. */
export interface NewOrder {
  userId: string;
  expiresAt: Date;
  ticket: Ticket;
  /** The id of the request that creates it; see `Order.correlationId`. */
  correlationId?: string;
}

/** The new replica of a ticket, from ticket:created. */
export interface NewTicket {
  /** A 24-digit hex ObjectId, as the tickets service makes them. */
  id: string;
  title: string;
  price: number;
}

/**
 * The ticket replicas.
 *
 * Every write goes through `create` or the version-checked `save`; there is
 * no other update path, so no write can skip the version check.
 */
export interface TicketRepository {
  /**
   * Adds the replica of a new ticket, with the id the tickets service gave it, at version 0.
   *
   * @throws TicketExistsError when a ticket with that id exists
   * @throws TypeError when the id is not a 24-digit hex ObjectId
   */
  create(ticket: NewTicket): Promise<Ticket>;
  /** @returns the ticket, or null when there is none with that id (or the id is malformed) */
  findById(id: string): Promise<Ticket | null>;
  /**
   * Writes the title and price, if the stored version is still `ticket.version`,
   * and increments the version, even when nothing else changed.
   *
   * @returns the ticket as stored, at `ticket.version + 1`
   * @throws VersionConflictError when the stored version differs or the ticket is gone
   */
  save(ticket: Ticket): Promise<Ticket>;
}

/**
 * The orders. A ticket is reserved while it has an order that is not
 * cancelled; the store enforces that at most one such order exists per ticket,
 * atomically, so two users racing for one ticket can't both get it.
 */
export interface OrderRepository {
  /**
   * Creates an order for the ticket, with status `created`, at version 0.
   *
   * @param order - the user, the end of the reservation and the ticket
   * @param owes - the event the new order owes, recorded in the same write (at version 0)
   * @throws TicketReservedError when the ticket already has an order that is not cancelled
   */
  create(order: NewOrder, owes?: OrderEventSubject): Promise<Order>;
  /** @returns the order with its ticket, or null when there is none (or the id is malformed) */
  findById(id: string): Promise<Order | null>;
  /** @returns the user's orders with their tickets, oldest first */
  listByUser(userId: string): Promise<Order[]>;
  /**
   * Writes the status (the only field that changes after creation), if the
   * stored version is still `order.version`, and increments the version.
   * `order.pendingEvents` is not written: events are added by `owes` and
   * removed by `markPublished` only, so a save never brings back an event
   * that was acknowledged meanwhile.
   *
   * @param order - the order as loaded, with its new status
   * @param owes - the event this change owes, recorded in the same write at the new version
   * @returns the order as stored, at `order.version + 1`
   * @throws VersionConflictError when the stored version differs or the order is gone
   * @throws TicketReservedError when the new status would make a second order reserve the ticket
   */
  save(order: Order, owes?: OrderEventSubject): Promise<Order>;
  /**
   * Removes a pending event once NATS acknowledged it. It does not change the
   * order's version: events carry the version, and other services order them
   * by it, so bookkeeping must not create a version no event announces. Does
   * nothing when the event is not pending (any more) or the order is gone.
   *
   * @param orderId - the order
   * @param event - the subject and version of the acknowledged event
   */
  markPublished(orderId: string, event: PublishedEvent): Promise<void>;
  /**
   * Orders still reserving their ticket (`created` or `awaiting:payment`)
   * whose `expiresAt` is before `before`, earliest expiry first.
   *
   * @param before - the cut-off
   * @param limit - at most this many
   */
  findOverdue(before: Date, limit: number): Promise<Order[]>;
  /**
   * Orders that owe an event pending since before `before`, longest owing first.
   *
   * @param before - the cut-off
   * @param limit - at most this many
   */
  findOwingEvents(before: Date, limit: number): Promise<Order[]>;
}

/**
 * The data-access contract of the orders service. Two implementations exist,
 * chosen by `ORDERS_STORE`: `mongo` (production) and `memory` (nothing is
 * durable; for machines without MongoDB). Both pass `store.contract.ts`.
 */
export interface OrdersStore {
  readonly kind: 'mongo' | 'memory';
  readonly tickets: TicketRepository;
  readonly orders: OrderRepository;
  /** Whether the store answers right now (the readiness probe). */
  isReady(): Promise<boolean>;
  /** Closes the connection. Safe to call twice. */
  close(): Promise<void>;
}
